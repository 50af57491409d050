"""Texts to token-id batches with the model's own tokenizer.json, via the `tokenizers` library.

That library (Rust, parallel) loads in milliseconds where transformers takes seconds, and gives the ids
sentence-transformers gives: same file, same truncation, texts stripped as it strips them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Rows × longest row: a batch of short texts may hold more rows than one of long texts for the same work.
MAX_BATCH_TOKENS = 8192


@dataclass(frozen=True)
class Batch:
    """Rows of equal padded length; `rows` are the positions of its texts in the input."""

    rows: list[int]
    input_ids: np.ndarray
    attention_mask: np.ndarray


class TextTokenizer:
    """Token ids of texts, cut to the model's maximum length."""

    def __init__(self, model_dir: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.no_padding()

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """One id list per text (with its [CLS] and [SEP])."""
        return [encoding.ids for encoding in self._tokenizer.encode_batch([text.strip() for text in texts])]


def length_batches(
    ids: list[list[int]], max_rows: int, max_tokens: int = MAX_BATCH_TOKENS
) -> Iterator[Batch]:
    """Longest first, so each batch pads its rows to nearly their own length and no compute is wasted."""
    order = sorted(range(len(ids)), key=lambda row: len(ids[row]), reverse=True)
    start = 0
    while start < len(order):
        longest = len(ids[order[start]])
        size = max(1, min(max_rows, max_tokens // longest))
        rows = order[start : start + size]
        yield padded(rows, ids, longest)
        start += size


def padded(rows: list[int], ids: list[list[int]], length: int) -> Batch:
    """The rows' ids right-padded with 0 ([PAD]) to `length`, and the mask of real tokens."""
    input_ids = np.zeros((len(rows), length), dtype=np.int64)
    attention_mask = np.zeros((len(rows), length), dtype=np.int64)
    for position, row in enumerate(rows):
        count = len(ids[row])
        input_ids[position, :count] = ids[row]
        attention_mask[position, :count] = 1
    return Batch(rows, input_ids, attention_mask)
