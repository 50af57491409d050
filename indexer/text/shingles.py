"""Near-duplicate signatures of passages: template sentences repeat across reports almost verbatim.

A passage's signature is the set of its character 4-grams (spaces and punctuation removed), each hashed
to 32 bits and stored sorted with the chunk at index time, so a search compares stored signatures instead
of re-reading and re-cutting every candidate's text. Two different 4-grams share a hash with probability
2⁻³², far too rarely to move a containment of 70 %.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

SHINGLE = 4
NOISE = re.compile(r"[\s\W_]+")
# Odd 64-bit multiplier of the polynomial hash over code points (wrapping arithmetic is intended), and
# splitmix64's finaliser, which spreads every input bit over the top 32 bits kept: without it, 4-grams
# that differ in their last character only (改革开放, 改革开发) would mostly share their top bits.
MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
SIGNATURE_DTYPE = np.dtype("<u4")
# Share of the shorter passage's shingles the longer must hold for the two to be near-duplicates.
NEAR_DUPLICATE = 0.7


def signature(normalized: str) -> np.ndarray:
    """Sorted distinct 32-bit hashes of the text's character 4-grams (the whole text when shorter)."""
    compact = NOISE.sub("", normalized)
    points = np.frombuffer(compact.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    width = min(SHINGLE, len(points))
    hashes = np.full(len(points) - width + 1, np.uint64(width), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(width):
            hashes = hashes * MULTIPLIER + points[offset : len(points) - width + 1 + offset]
        hashes = (hashes ^ (hashes >> np.uint64(30))) * MIX[0]
        hashes = (hashes ^ (hashes >> np.uint64(27))) * MIX[1]
        hashes ^= hashes >> np.uint64(31)
    return np.unique((hashes >> np.uint64(32)).astype(SIGNATURE_DTYPE))


def to_blob(hashes: np.ndarray) -> bytes:
    return hashes.astype(SIGNATURE_DTYPE).tobytes()


def from_blob(blob: bytes) -> frozenset[int]:
    """A stored signature as a set, the form the containment test intersects fastest."""
    return frozenset(np.frombuffer(blob, dtype=SIGNATURE_DTYPE).tolist())


def near_duplicate(a: frozenset[int], b: frozenset[int], threshold: float = NEAR_DUPLICATE) -> bool:
    """True when most of the shorter passage's shingles occur in the longer one (containment, not Jaccard,
    so a template sentence quoted inside a longer paragraph still counts)."""
    smaller = min(len(a), len(b))
    return smaller > 0 and len(a & b) >= threshold * smaller


def first_near_duplicates(
    candidates: Sequence[bytes], kept: Sequence[bytes], threshold: float = NEAR_DUPLICATE
) -> list[int]:
    """For each candidate's stored signature, the first of the `kept` ones it near-duplicates (the rule of
    `near_duplicate`), or -1. The shared hashes of every pair are counted in one pass of sorted-array
    lookups, which costs a page of near-copies far less than a set built and intersected per pair."""
    if not kept:
        return [-1] * len(candidates)
    kept_hashes = [np.frombuffer(blob, dtype=SIGNATURE_DTYPE) for blob in kept]
    hashes = [np.frombuffer(blob, dtype=SIGNATURE_DTYPE) for blob in candidates]
    kept_sizes = np.array([len(h) for h in kept_hashes], dtype=np.int64)
    sizes = np.array([len(h) for h in hashes], dtype=np.int64)
    merged = np.concatenate([*kept_hashes, np.zeros(0, dtype=SIGNATURE_DTYPE)])
    order = np.argsort(merged, kind="stable")
    merged, owners = merged[order], np.repeat(np.arange(len(kept)), kept_sizes)[order]
    values = np.concatenate([*hashes, np.zeros(0, dtype=SIGNATURE_DTYPE)])
    left = np.searchsorted(merged, values, "left")
    counts = np.searchsorted(merged, values, "right") - left  # a hash is at most once in each signature
    found = int(counts.sum())
    starts = np.cumsum(counts) - counts
    owner = owners[np.repeat(left - starts, counts) + np.arange(found)]
    candidate = np.repeat(np.repeat(np.arange(len(candidates)), sizes), counts)
    shared = np.bincount(candidate * len(kept) + owner, minlength=len(candidates) * len(kept))
    smaller = np.minimum(sizes[:, None], kept_sizes[None, :])
    near = (smaller > 0) & (shared.reshape(len(candidates), len(kept)) >= threshold * smaller)
    return np.where(near.any(axis=1), near.argmax(axis=1), -1).tolist()
