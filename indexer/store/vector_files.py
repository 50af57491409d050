"""The FAISS file of each catalog generation, `vectors-<generation>.faiss` in the index directory.

Derived data: loaded when the file of the catalog's generation exists, rebuilt from the embedding cache
when it does not (a writer killed between its SQLite commit and its FAISS write), so the two halves of
the index always agree.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from indexer.store.vectors import TEMPORARY_SUFFIX, FaissStore, IndexKind

# A temporary vectors file older than this was left by a killed writer (a save takes seconds).
STALE_TEMPORARY_SECONDS = 600

VectorSource = Callable[[], tuple[np.ndarray, np.ndarray]]


class VectorFiles:
    """Keeps the store of the newest generation asked for in memory, and its file on disk."""

    def __init__(self, index_dir: Path, kind: IndexKind) -> None:
        self.index_dir = index_dir
        self.kind = kind
        self._current: tuple[int, FaissStore] | None = None
        self._lock = threading.Lock()

    def store(self, generation: int, source: VectorSource, rebuild: bool = False) -> FaissStore:
        """The store of `generation`, from memory, its file, or (on `rebuild`) `source`'s (ids, vectors)."""
        with self._lock:
            if self._current is not None and self._current[0] == generation and not rebuild:
                return self._current[1]
            path = self.index_dir / f"vectors-{generation}.faiss"
            if path.exists() and not rebuild:
                store = FaissStore.load(path)
            else:
                store = FaissStore.build(*source(), kind=self.kind)
                store.save(path)
            self._remove_stale(keep=path)
            self._current = (generation, store)
            return store

    def _remove_stale(self, keep: Path) -> None:
        """Vectors of older generations, and temporary files that killed writers left behind."""
        for stale in self.index_dir.glob("vectors-*.faiss"):
            if stale != keep:
                stale.unlink(missing_ok=True)
        cutoff = time.time() - STALE_TEMPORARY_SECONDS
        for temporary in self.index_dir.glob(f"vectors-*{TEMPORARY_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                if temporary.stat().st_mtime < cutoff:
                    temporary.unlink()
