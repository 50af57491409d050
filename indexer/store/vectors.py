"""The dense-store seam: what the searcher and the index need from a vector store, and the exact reference.

Vectors are L2-normalised, so inner product is cosine. Ids are the catalog's chunk row ids. Every backend
(FAISS here, Milvus beside it) implements `DenseStore`; the contract tests compare each to
`BruteForceStore`.
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np

IndexKind = Literal["auto", "flat", "ivf"]

# From this many vectors `auto` chooses the compressed IVF index: exact search costs ~0.2 ms of CPU per
# thousand vectors a query (22 ms at 100k, IVF 1.2 ms with recall@10 0.985: docs/benchmarks.md).
IVF_THRESHOLD = 50_000
# Fewer vectors than this are too few to learn inverted lists from: they are searched exactly.
IVF_MINIMUM = 1_000


def resolve_kind(kind: IndexKind, count: int) -> Literal["flat", "ivf"]:
    """The concrete index kind for `count` vectors."""
    if kind == "auto":
        return "ivf" if count >= IVF_THRESHOLD else "flat"
    return "ivf" if kind == "ivf" and count >= IVF_MINIMUM else "flat"


class VectorStore(Protocol):
    """What the searcher needs from a dense index."""

    def __len__(self) -> int: ...

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids, scores) for one query vector, best first, restricted to `allowed` ids if given."""
        ...

    def vector(self, row_id: int) -> np.ndarray:
        """The stored vector of one id (similar paragraphs start from it)."""
        ...


class DenseStore(VectorStore, Protocol):
    """A vector store the index updates in place: the unit of change is a chunk row id."""

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Store vectors under ids that are not stored yet."""
        ...

    def remove(self, ids: np.ndarray) -> None:
        """Forget the given ids; ids not stored are ignored."""
        ...


class BruteForceStore:
    """Exact search with NumPy: the reference every other store must agree with."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.ids = ids.astype(np.int64)
        self.vectors = vectors.astype(np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.ids = np.concatenate([self.ids, ids.astype(np.int64)])
        self.vectors = np.concatenate([self.vectors, vectors.astype(np.float32)])

    def remove(self, ids: np.ndarray) -> None:
        keep = ~np.isin(self.ids, ids)
        self.ids, self.vectors = self.ids[keep], self.vectors[keep]

    def vector(self, row_id: int) -> np.ndarray:
        return self.vectors[int(np.flatnonzero(self.ids == row_id)[0])]

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        ids, vectors = self.ids, self.vectors
        if allowed is not None:
            mask = np.isin(ids, allowed)
            ids, vectors = ids[mask], vectors[mask]
        scores = vectors @ query.astype(np.float32)
        order = np.argsort(-scores, kind="stable")[:k]
        return ids[order], scores[order]
