"""The local dense store: FAISS, exact (flat) while small, IVF over 8-bit scalar-quantised codes when large.

IVF-SQ8 keeps a quarter of the float32 bytes (512 bytes a 512-d vector: 0.5 GB at a million passages),
adds and removes single ids without a rebuild (a hash table maps ids to their list), and loses little
ranking accuracy to the codes (measured in docs/benchmarks.md). HNSW is not used: it cannot remove ids and
takes most of an hour to build a million vectors on two cores.

Searches share the index; an update waits for them and holds it alone (FAISS is not safe to read while
it is written).
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from indexer.store.vector_files import TEMPORARY_SUFFIX

# Lists scanned per query: recall@10 0.97 at a million with 2,048 lists (docs/benchmarks.md).
NPROBE = 24
MAX_LISTS = 4096
# k-means wants at least ~40 training points per list; more only slows training.
TRAINING_PER_LIST = 48


@contextmanager
def one_thread() -> Iterator[None]:
    """FAISS on the calling thread alone, for one query. Its OpenMP threads are there for batches: for a
    single query they spin against each other and the model on a small machine (the dev index served to
    one client: 20 ms of server CPU per search with them, 13 ms without; docs/benchmarks.md). Set per call
    because OpenMP keeps the thread count per thread: set once at startup, it never reached the server's
    worker threads."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def lists_for(count: int) -> int:
    """Inverted lists for a store expected to hold `count` vectors: ~2·√n, about 500 vectors each at a
    million (more lists would scan fewer vectors but take minutes longer to learn on two cores)."""
    return max(1, min(MAX_LISTS, int(2 * math.sqrt(max(count, 1))), count // TRAINING_PER_LIST))


def training_size(count: int) -> int:
    return lists_for(count) * TRAINING_PER_LIST


class ReadWriteLock:
    """Many readers or one writer."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._writing and not self._readers)
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()


class FaissStore:
    """A FAISS index keyed by chunk row id (a `DenseStore`)."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index
        self.kind: Literal["flat", "ivf"] = "ivf" if isinstance(index, faiss.IndexIVF) else "flat"
        self._lock = ReadWriteLock()

    @classmethod
    def create(
        cls, kind: Literal["flat", "ivf"], dimension: int, training: np.ndarray | None, expected: int
    ) -> FaissStore:
        """An empty store; IVF learns its lists from `training`, sized for `expected` vectors."""
        if kind == "flat" or training is None:
            return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)))
        nlist = lists_for(expected)
        index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dimension),
            dimension,
            nlist,
            faiss.ScalarQuantizer.QT_8bit,
            faiss.METRIC_INNER_PRODUCT,
        )
        index.train(np.ascontiguousarray(training, dtype=np.float32))
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        index.nprobe = min(NPROBE, nlist)
        return cls(index)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, kind: Literal["flat", "ivf"]) -> FaissStore:
        """A store holding `vectors` (training on all of them)."""
        store = cls.create(kind, vectors.shape[1], vectors, len(ids))
        store.add(ids, vectors)
        return store

    @classmethod
    def load(cls, path: Path) -> FaissStore:
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        """Write to a temporary file, fsync, then rename: readers see the old file or the new one.

        The temporary name is unique, so a server and `govsearch index` saving the same generation at
        once cannot interleave their bytes.
        """
        descriptor, name = tempfile.mkstemp(prefix=path.name + ".", suffix=TEMPORARY_SUFFIX, dir=path.parent)
        os.close(descriptor)
        try:
            with self._lock.reading():
                faiss.write_index(self.index, name)
            with open(name, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            with self._lock.writing():
                self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if not len(ids):
            return
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        # IVF's id hash table removes only ids given as an array; a flat index checks membership per id.
        selector = (
            faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))
            if self.kind == "ivf"
            else faiss.IDSelectorBatch(ids)
        )
        with self._lock.writing():
            self.index.remove_ids(selector)

    def vector(self, row_id: int) -> np.ndarray:
        with self._lock.reading():
            return np.asarray(self.index.reconstruct(row_id))

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0 or len(self) == 0 or (allowed is not None and len(allowed) == 0):
            return np.empty(0, np.int64), np.empty(0, np.float32)
        # `selector` stays referenced here: SWIG does not keep it alive through `params.sel`.
        selector = None if allowed is None else faiss.IDSelectorBatch(allowed.astype(np.int64))
        params = self._parameters(selector, None if allowed is None else len(allowed))
        with self._lock.reading(), one_thread():
            scores, ids = self.index.search(
                query.reshape(1, -1).astype(np.float32), min(k, len(self)), params=params
            )
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def _parameters(self, selector: faiss.IDSelector | None, allowed: int | None) -> faiss.SearchParameters:
        """IVF probes more lists when a filter allows a share of the vectors: as many candidates pass."""
        if self.kind == "flat":
            params = faiss.SearchParameters()
        else:
            ivf = faiss.extract_index_ivf(self.index)
            params = faiss.SearchParametersIVF()
            share = 1.0 if allowed is None else min(1.0, allowed / max(len(self), 1))
            params.nprobe = min(ivf.nlist, math.ceil(ivf.nprobe / share))
        if selector is not None:
            params.sel = selector
        return params
