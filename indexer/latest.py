"""Opening an index that another process builds, updates or replaces, and noticing when to reopen it.

The server may start before `govsearch index` has built anything (the Docker recipe does), and the index
directory may be rebuilt, deleted or swapped for another while it runs. Updates to an open index need
nothing here: it reads the catalog's generation on every search and loads that generation's vectors.
Only a catalog file that was replaced or removed, or a directory that changed after a failed open, calls
for opening again.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from indexer.errors import IndexNotFound, IndexUnreadable
from indexer.index import Index, IndexConfig

# Transient files of SQLite and the vector files: opening the catalog creates and removes some, so they say
# nothing about the index.
TRANSIENT_SUFFIXES = ("-wal", "-shm", "-journal", ".tmp")

FileIdentity = tuple[int, int] | None
DirectoryState = frozenset[tuple[str, int, int, int]] | None


def file_identity(path: Path) -> FileIdentity:
    """Changes when the file is replaced or removed, not when it is written."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return (status.st_dev, status.st_ino)


def directory_state(path: Path) -> DirectoryState:
    """Changes when a lasting file in the directory is created, replaced, removed or written."""
    try:
        with os.scandir(path) as entries:
            return frozenset(
                (entry.name, status.st_ino, status.st_size, status.st_mtime_ns)
                for entry in entries
                if not entry.name.endswith(TRANSIENT_SUFFIXES)
                for status in (entry.stat(),)
            )
    except FileNotFoundError:  # no directory yet, or a file removed while listing: look again later
        return None


class LatestIndex:
    """Opens the last committed build in one directory, and says when opening again may give another."""

    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self._seen: DirectoryState = None
        self._opened: FileIdentity = None

    def open(self) -> Index:
        """The index as last committed, its vectors loaded; IndexNotFound while nothing is committed,
        IndexUnreadable for files that cannot be read."""
        # Taken before the attempt: a change made while it runs is seen by the next `changed`.
        self._seen = directory_state(self.config.index_dir)
        try:
            index = Index(self.config)
            if index.catalog.generation() == 0:
                # The catalog exists but nothing was ever committed: `govsearch index` is still embedding.
                raise IndexNotFound(
                    f"the index at {self.config.index_dir} has no finished build yet; "
                    "it is served as soon as `govsearch index PATH` has built it"
                )
            index.searcher()  # loads the vectors, or rebuilds them from the catalog: reads every page
        except (sqlite3.Error, OSError) as error:
            # A half-copied file, a permission: opening again after the directory changes may succeed.
            raise IndexUnreadable(f"the index at {self.config.index_dir} cannot be opened: {error}") from None
        self._opened = file_identity(index.database.path)
        return index

    def changed(self, index: Index | None) -> bool:
        """Whether to open again: the open `index`'s catalog was replaced or removed, or, with none open,
        the directory changed since the last attempt."""
        if index is not None:
            return file_identity(index.database.path) != self._opened
        return directory_state(self.config.index_dir) != self._seen
