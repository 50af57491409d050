"""Folding text for matching (queries and passages alike): traditional→simplified, NFKC, lower case."""

from __future__ import annotations

import unicodedata
from functools import cache

from opencc import OpenCC


@cache
def _traditional_to_simplified() -> OpenCC:
    return OpenCC("t2s")


@cache
def _fold_character(character: str) -> str:
    folded = unicodedata.normalize("NFKC", _traditional_to_simplified().convert(character)).lower()
    return folded if len(folded) == 1 else character


def normalize_for_search(text: str) -> str:
    """Fold text for matching: traditional→simplified (OpenCC t2s), NFKC, lower case.

    Folding is character by character, and a character whose folded form is not exactly one character
    (NFKC "…"→"...", OpenCC phrase rewrites) is kept as it is, so the result always has the same length as
    the input and an offset into one is an offset into the other (highlights rely on that).
    """
    return "".join(map(_fold_character, text))
