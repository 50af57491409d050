"""Near-duplicate detection for passages: template sentences repeat across reports almost verbatim."""

from __future__ import annotations

import re

SHINGLE = 4
NOISE = re.compile(r"[\s\W_]+")


def shingles(text: str) -> frozenset[str]:
    """Character 4-grams of the text without spaces and punctuation."""
    compact = NOISE.sub("", text)
    if len(compact) <= SHINGLE:
        return frozenset({compact})
    return frozenset(compact[i : i + SHINGLE] for i in range(len(compact) - SHINGLE + 1))


def near_duplicate(a: frozenset[str], b: frozenset[str], threshold: float = 0.7) -> bool:
    """True when most of the shorter passage's shingles occur in the longer one (containment, not Jaccard,
    so a template sentence quoted inside a longer paragraph still counts)."""
    smaller = min(len(a), len(b))
    return smaller > 0 and len(a & b) >= threshold * smaller
