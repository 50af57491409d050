"""The dense store of the catalog's generation, kept up to date in place and snapshotted to disk.

    <index_dir>/vectors-<g>.faiss   a snapshot: the store as it was at catalog generation g

The catalog in SQLite is the source of truth. A commit changes it (generation + 1) and logs the chunk rows
it changed (`vector_log`); the store in memory then replays those rows: removes and adds only them. Opening
an index loads the newest snapshot and replays what changed since, so becoming ready reads the changed
vectors, not all of them. A snapshot is written once enough has changed since the last one (at once while
the store is small, where it costs milliseconds); a killed writer leaves the previous snapshot and the log,
from which the next open recovers. Only a bulk change (more than half of the store), a missing snapshot,
or a store that outgrew its kind is rebuilt from every cached vector.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.store.embedding_cache import EmbeddingCache
from indexer.store.vector_log import VECTORS, VectorLog
from indexer.store.vectors import IndexKind, resolve_kind

if TYPE_CHECKING:  # faiss loads with the first vector store, not with every command
    from indexer.store.faiss_store import FaissStore

# Written next to a snapshot, renamed over it when complete (faiss_store.FaissStore.save).
TEMPORARY_SUFFIX = ".tmp"

# A temporary vectors file older than this was left by a killed writer (a save takes seconds).
STALE_TEMPORARY_SECONDS = 600
# Below this many vectors a snapshot is written after every change (it takes milliseconds).
SMALL_STORE = 10_000
# Otherwise once this many rows changed, or a twentieth of the store: bounds what an open replays.
SNAPSHOT_CHANGES = 20_000
SNAPSHOT_SHARE = 0.05


def snapshot_due(size: int, unsaved: int, rebuilt: bool, saving: threading.Thread | None, small: int) -> bool:
    """Whether a store of `size` rows, `unsaved` of them changed since its snapshot, is written now: a
    rebuild at once; otherwise, unless a save is still running, after every change below `small` rows
    (each store passes its own SMALL_STORE), else once enough has changed."""
    if rebuilt:
        return True
    if saving is not None and saving.is_alive():
        return False
    return unsaved > 0 and (size < small or unsaved >= min(SNAPSHOT_CHANGES, size * SNAPSHOT_SHARE))


@dataclass
class Loaded:
    """The store in memory, the generation it reflects, and rows changed since its snapshot on disk."""

    store: FaissStore
    generation: int
    unsaved: int = 0
    rebuilt: bool = False


class VectorFiles:
    """Keeps the store of the newest generation asked for in memory, and its snapshots on disk."""

    def __init__(self, index_dir: Path, kind: IndexKind, log: VectorLog, embeddings: EmbeddingCache) -> None:
        self.index_dir = index_dir
        self.kind = kind
        self.log = log
        self.embeddings = embeddings
        self._current: Loaded | None = None
        self._lock = threading.Lock()
        self._saving: threading.Thread | None = None

    def store(self, generation: int, dimension: Callable[[], int]) -> FaissStore:
        """The store of `generation`: kept, replayed from the log, loaded from a snapshot, or rebuilt."""
        with self._lock:
            current = self._current
            if current is None or not self._replay(current, generation, dimension):
                current = self._open(generation, dimension)
            self._current = current
            if snapshot_due(len(current.store), current.unsaved, current.rebuilt, self._saving, SMALL_STORE):
                if resolve_kind(self.kind, len(current.store)) != current.store.kind:
                    current = self._current = self._rebuild(generation, dimension)
                self._save(current, background=len(current.store) >= SMALL_STORE)
            return current.store

    def rebuild(self, generation: int, dimension: Callable[[], int]) -> FaissStore:
        """A fresh store from every cached vector, on demand (IVF relearns its lists)."""
        with self._lock:
            self._current = self._rebuild(generation, dimension)
            self._save(self._current, background=False)
            return self._current.store

    def _replay(self, loaded: Loaded, generation: int, dimension: Callable[[], int]) -> bool:
        """Bring `loaded` to `generation` from the log; False if the log cannot, or a rebuild is cheaper."""
        if loaded.generation == generation:
            return True
        changed = self.log.changes(loaded.generation, generation)
        if changed is None or len(changed) > max(len(loaded.store), SMALL_STORE) / 2:
            return False
        ids, vectors = self.embeddings.vectors_of(changed, dimension())
        loaded.store.remove(changed)
        loaded.store.add(ids, vectors)
        loaded.generation = generation
        loaded.unsaved += len(changed)
        return True

    def _open(self, generation: int, dimension: Callable[[], int]) -> Loaded:
        snapshots = sorted(
            (int(path.stem.split("-")[1]), path)
            for path in self.index_dir.glob("vectors-*.faiss")
            if path.stem.split("-")[1].isdigit() and int(path.stem.split("-")[1]) <= generation
        )
        if snapshots:
            from indexer.store.faiss_store import FaissStore

            saved, path = snapshots[-1]
            loaded = Loaded(FaissStore.load(path), saved)
            if self._replay(loaded, generation, dimension):
                return loaded
        return self._rebuild(generation, dimension)

    def _rebuild(self, generation: int, dimension: Callable[[], int]) -> Loaded:
        from indexer.store.faiss_store import FaissStore, training_size

        count = self.embeddings.count()
        kind = resolve_kind(self.kind, count)
        training = self.embeddings.sample(training_size(count), dimension()) if kind == "ivf" else None
        store = FaissStore.create(kind, dimension(), training, count)
        for ids, vectors in self.embeddings.batches(dimension()):
            store.add(ids, vectors)
        return Loaded(store, generation, unsaved=max(len(store), 1), rebuilt=True)

    def _save(self, loaded: Loaded, background: bool) -> None:
        """Write the snapshot of the loaded generation: a rebuild at once (it must not be lost if the
        process ends), routine snapshots of a large store beside the searches (the process waits for
        them at exit). A store that moved on meanwhile is saved under the older generation, which a
        replay of the log then brings forward again: replaying is idempotent."""
        generation, loaded.unsaved, rebuilt = loaded.generation, 0, loaded.rebuilt
        loaded.rebuilt = False

        def save() -> None:
            loaded.store.save(self.index_dir / f"vectors-{generation}.faiss")
            self.log.trim(VECTORS, generation)
            self._remove_stale(generation)

        if background and not rebuilt:
            self._saving = threading.Thread(target=save, name="govsearch-vector-snapshot")
            self._saving.start()
        else:
            save()

    def _remove_stale(self, saved: int) -> None:
        """Older snapshots, and temporary files that killed writers left behind."""
        for stale in self.index_dir.glob("vectors-*.faiss"):
            number = stale.stem.split("-")[1]
            if number.isdigit() and int(number) < saved:
                stale.unlink(missing_ok=True)
        cutoff = time.time() - STALE_TEMPORARY_SECONDS
        for temporary in self.index_dir.glob(f"vectors-*{TEMPORARY_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                if temporary.stat().st_mtime < cutoff:
                    temporary.unlink()
