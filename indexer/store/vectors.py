"""Dense vector stores: FAISS for serving, a NumPy brute-force reference that the contract tests compare to.

Vectors are L2-normalised, so inner product is cosine. Ids are the catalog's chunk row ids.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

if TYPE_CHECKING:  # faiss loads with the first vector index, not with every command
    import faiss

IndexKind = Literal["auto", "flat", "hnsw"]

TEMPORARY_SUFFIX = ".tmp"
# Below this many vectors exact search is both faster to build and fast enough to query.
HNSW_THRESHOLD = 200_000


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


class BruteForceStore:
    """Exact search with NumPy: the reference every other store must agree with."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.ids = ids.astype(np.int64)
        self.vectors = vectors.astype(np.float32)

    def __len__(self) -> int:
        return len(self.ids)

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


class FaissStore:
    """A FAISS index keyed by chunk row id: exact inner product when small, HNSW when large."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, kind: IndexKind = "auto") -> FaissStore:
        import faiss

        dimension = vectors.shape[1]
        if kind == "auto":
            kind = "hnsw" if len(ids) >= HNSW_THRESHOLD else "flat"
        inner: faiss.Index
        if kind == "hnsw":
            graph = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = 80
            graph.hnsw.efSearch = 128
            inner = graph
        else:
            inner = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> FaissStore:
        import faiss

        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        """Write to a temporary file, fsync, then rename: readers see the old file or the new one.

        The temporary name is unique, so a server and `govsearch index` saving the same generation at
        once (both rebuilt it) cannot interleave their bytes.
        """
        import faiss

        descriptor, name = tempfile.mkstemp(prefix=path.name + ".", suffix=TEMPORARY_SUFFIX, dir=path.parent)
        os.close(descriptor)
        try:
            faiss.write_index(self.index, name)
            with open(name, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def vector(self, row_id: int) -> np.ndarray:
        return np.asarray(self.index.reconstruct(row_id))

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0 or len(self) == 0 or (allowed is not None and len(allowed) == 0):
            return np.empty(0, np.int64), np.empty(0, np.float32)
        params = selector = None
        if allowed is not None:
            import faiss

            # `selector` stays referenced here: SWIG does not keep it alive through `params.sel`.
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            params = faiss.SearchParameters()
            params.sel = selector
        scores, ids = self.index.search(
            query.reshape(1, -1).astype(np.float32), min(k, len(self)), params=params
        )
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]
