"""Highlight spans: where the query's terms occur in a passage, as [start, end) offsets into its text."""

from __future__ import annotations

from collections.abc import Iterable


def highlight_spans(normalized_text: str, terms: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Merged spans of every occurrence of each term in the search-normalised passage.

    Search normalisation keeps one character per character, so offsets in the normalised text are offsets
    in the text shown to users.
    """
    spans: list[tuple[int, int]] = []
    for term in {t for t in terms if t}:
        start = normalized_text.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = normalized_text.find(term, start + len(term))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
