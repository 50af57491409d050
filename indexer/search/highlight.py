"""Highlight spans: where the query's terms occur in a passage, as [start, end) offsets into its text.

A few words are all highlighted. A long query (a pasted paragraph) is mostly words every report uses
(推动, 扩大, 持续): marking them marks half the passage and says nothing, so only its distinctive terms
are marked, by inverse document frequency over the indexed passages, and only the most distinctive spans.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# Queries longer than this (characters) are pasted text rather than a few words.
LONG_QUERY_CHARS = 12
# For a long query: a term used by more than 1/e**IDF_FLOOR of the passages (about 5%) is not distinctive.
IDF_FLOOR = 3.0
MAX_LONG_QUERY_SPANS = 8


def inverse_document_frequency(passages: int, documents: int) -> float:
    """ln(N / df): 0 for a term every passage uses, higher the rarer; a term no passage uses counts once."""
    return math.log(max(passages, 1) / max(documents, 1))


def distinctive_terms(terms: list[str], passages: int, frequencies: Mapping[str, int]) -> dict[str, float]:
    """The terms of a long query worth marking, with their IDF: those above the floor."""
    weights = {term: inverse_document_frequency(passages, frequencies.get(term, 0)) for term in terms}
    return {term: weight for term, weight in weights.items() if weight >= IDF_FLOOR}


def highlight_spans(
    normalized_text: str, terms: Mapping[str, float], max_spans: int | None = None
) -> tuple[tuple[int, int], ...]:
    """Merged spans of every occurrence of each term (weighted) in the search-normalised passage.

    With `max_spans`, only that many spans are kept: those of the heaviest terms, earlier ones first among
    equals. Search normalisation keeps one character per character, so offsets in the normalised text are
    offsets in the text shown to users.
    """
    spans: list[tuple[int, int, float]] = []
    for term, weight in terms.items():
        if not term:
            continue
        start = normalized_text.find(term)
        while start != -1:
            spans.append((start, start + len(term), weight))
            start = normalized_text.find(term, start + len(term))
    merged: list[tuple[int, int, float]] = []
    for start, end, weight in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), max(weight, merged[-1][2]))
        else:
            merged.append((start, end, weight))
    if max_spans is not None and len(merged) > max_spans:
        merged = sorted(sorted(merged, key=lambda span: (-span[2], span[0]))[:max_spans])
    return tuple((start, end) for start, end, _ in merged)
