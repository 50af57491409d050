"""The in-memory keyword index of the catalog's generation, kept current from the log and snapshotted.

    <index_dir>/keywords-<g>/   a snapshot: npy arrays (memory-mapped on load), terms.txt, meta.json

It lives as the dense store does (`vector_files`): FTS5's `chunk_terms` in SQLite is the source; a commit
logs the rows it changed (`vector_log`) and the index in memory replays them (drops them, reads back those
still stored); opening loads the newest snapshot and replays what changed since, so becoming ready reads
the changed rows only. Snapshots are written by the same rule as the dense store's, in a temporary folder
renamed into place; a missing or damaged one is rebuilt from every row of `chunk_terms`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from dataclasses import fields as fields_of
from pathlib import Path

import numpy as np

from indexer.store.bm25 import Base, Keywords
from indexer.store.database import Database, in_batches
from indexer.store.fts_tokens import FtsTokenizer, Postings, Vocabulary
from indexer.store.vector_files import (
    SMALL_STORE,
    STALE_TEMPORARY_SECONDS,
    TEMPORARY_SUFFIX,
    snapshot_due,
)
from indexer.store.vector_log import KEYWORDS, VectorLog

PREFIX = "keywords-"
# Rows tokenized at once while rebuilding.
READ_BATCH = 20_000


@dataclass
class Loaded:
    """The index in memory and how many rows changed since its snapshot on disk."""

    keywords: Keywords
    unsaved: int = 0
    rebuilt: bool = False


class KeywordFiles:
    """Keeps the keyword index of the newest generation asked for in memory, and its snapshots on disk."""

    def __init__(self, index_dir: Path, log: VectorLog, database: Database) -> None:
        self.index_dir = index_dir
        self.log = log
        self.database = database
        self.tokenizer = FtsTokenizer()
        self._current: Loaded | None = None
        self._lock = threading.Lock()
        self._saving: threading.Thread | None = None

    def keywords(self, generation: int) -> Keywords:
        """The index of `generation`: kept, replayed from the log, loaded from a snapshot, or rebuilt."""
        with self._lock:
            current = self._current
            if current is None or not self._replay(current, generation):
                current = self._open(generation)
            self._current = current
            rows = current.keywords.rows
            if snapshot_due(rows, current.unsaved, current.rebuilt, self._saving, SMALL_STORE):
                self._save(current, background=rows >= SMALL_STORE)
            return current.keywords

    def _replay(self, loaded: Loaded, generation: int) -> bool:
        """Bring `loaded` to `generation` from the log; False if the log cannot, or a rebuild is cheaper."""
        keywords = loaded.keywords
        if keywords.generation == generation:
            return True
        changed = self.log.changes(keywords.generation, generation)
        if changed is None or len(changed) > max(keywords.rows, SMALL_STORE) / 2:
            return False
        sql = "SELECT rowid, heading, body FROM chunk_terms WHERE rowid IN ({})"
        stored = list(in_batches(self.database.connection, sql, changed.tolist()))
        added = self.tokenizer.postings(stored, keywords.vocabulary)
        loaded.keywords = keywords.apply(changed, added, generation)
        loaded.unsaved += len(changed)
        return True

    def _open(self, generation: int) -> Loaded:
        """The newest readable snapshot up to `generation`, brought forward; or a rebuild."""
        for saved, folder in sorted(self._snapshots(), reverse=True):
            if saved > generation:
                continue
            try:
                loaded = Loaded(Keywords.load(folder))
            except (OSError, ValueError, KeyError):  # damaged: a truncated or missing file
                continue
            if self._replay(loaded, generation):
                return loaded
        return self._rebuild(generation)

    def _rebuild(self, generation: int) -> Loaded:
        """From every row of `chunk_terms`, tokenized a batch at a time."""
        vocabulary = Vocabulary([])
        parts = [self.tokenizer.postings([], vocabulary)]
        cursor = self.database.connection.execute(
            "SELECT rowid, heading, body FROM chunk_terms ORDER BY rowid"
        )
        while batch := cursor.fetchmany(READ_BATCH):
            postings = self.tokenizer.postings(batch, vocabulary)
            parts.append(
                replace(postings, terms=postings.terms.astype(np.int32), rows=postings.rows.astype(np.int32))
            )
        fields = [
            np.concatenate([getattr(part, field.name) for part in parts]) for field in fields_of(Postings)
        ]
        parts.clear()  # the concatenated arrays only, while the base is sorted out of them
        base = Base.build(Postings(*fields), len(vocabulary))
        return Loaded(Keywords.of_base(base, vocabulary, generation), rebuilt=True)

    def _save(self, loaded: Loaded, background: bool) -> None:
        """Write the snapshot of the loaded generation: a rebuild at once, routine ones of a large index
        beside the searches. The index in memory is the one loaded back from the snapshot from then on
        (its delta starts empty again) once the next generation is asked for."""
        keywords, loaded.unsaved, rebuilt = loaded.keywords, 0, loaded.rebuilt
        loaded.rebuilt = False

        def save(swap: bool) -> None:
            folder = self.index_dir / f"{PREFIX}{keywords.generation}"
            write_snapshot(keywords, folder)
            self.log.trim(KEYWORDS, keywords.generation)
            self._remove_stale(keywords.generation)
            if swap:  # unless something newer was loaded meanwhile; the next replay brings it forward
                fresh = Loaded(Keywords.load(folder))
                with self._lock:
                    if self._current is loaded:
                        self._current = fresh

        if background and not rebuilt:
            self._saving = threading.Thread(target=save, args=(True,), name="govsearch-keyword-snapshot")
            self._saving.start()
        else:
            save(swap=False)

    def _snapshots(self) -> list[tuple[int, Path]]:
        found = []
        for folder in self.index_dir.glob(f"{PREFIX}*"):
            number = folder.name.removeprefix(PREFIX)
            if number.isdigit():
                found.append((int(number), folder))
        return found

    def _remove_stale(self, saved: int) -> None:
        """Older snapshots, and temporary folders that killed writers left behind."""
        for number, folder in self._snapshots():
            if number < saved:
                shutil.rmtree(folder, ignore_errors=True)
        cutoff = time.time() - STALE_TEMPORARY_SECONDS
        for temporary in self.index_dir.glob(f"{PREFIX}*{TEMPORARY_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                if temporary.stat().st_mtime < cutoff:
                    shutil.rmtree(temporary, ignore_errors=True)


def write_snapshot(keywords: Keywords, folder: Path) -> None:
    """Into a uniquely named temporary folder, every file fsynced, then renamed into place: readers see
    a whole snapshot or none. One left damaged by an earlier crash is replaced."""
    temporary = Path(tempfile.mkdtemp(prefix=folder.name + ".", suffix=TEMPORARY_SUFFIX, dir=folder.parent))
    try:
        keywords.save(temporary)
        for path in temporary.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        try:
            os.rename(temporary, folder)
        except OSError:  # a folder of that generation exists: perhaps damaged, so ours replaces it
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):  # another process renamed its own copy in first
                os.rename(temporary, folder)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
