"""Which chunk rows each generation changed, kept in SQLite so a vector snapshot can be brought up to date.

A commit records, in its own transaction, the row ids it added and removed under its new generation. A
store loaded from the snapshot of generation g then replays the rows changed after g: each is removed and,
if the catalog still holds it, added again with its cached vector. Replaying is idempotent and needs only
the changed vectors, never the whole cache. The in-memory keyword index replays the same log. Once every
reader (`vectors`, `keywords`) has a newer snapshot on disk the log up to the oldest of them is dropped;
`start` records from which generation on the log is complete.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import numpy as np

from indexer.store.database import Database, Stored

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vector_changes (generation INTEGER NOT NULL, row_id INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS vector_changes_generation ON vector_changes(generation)",
    "CREATE TABLE IF NOT EXISTS vector_log_start (generation INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vector_log_readers (reader TEXT PRIMARY KEY, generation INTEGER NOT NULL)",
)


# The stores that replay the log from a snapshot of their own; one without a snapshot yet holds it all.
VECTORS, KEYWORDS = "vectors", "keywords"
READERS = (VECTORS, KEYWORDS)


class VectorLog(Stored):
    """The `vector_changes` table: (generation, row id) of every chunk row added or removed."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        with self.database.transaction() as connection:
            new = not connection.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'vector_log_start'"
            ).fetchone()
            for statement in SCHEMA:
                connection.execute(statement)
            if new:  # an index written before the log: its changes so far are not in it
                generation = connection.execute(
                    "SELECT value FROM manifest WHERE key = 'generation'"
                ).fetchone()
                connection.execute(
                    "INSERT INTO vector_log_start VALUES (?)", (int(generation[0]) if generation else 0,)
                )

    @staticmethod
    def record(connection: sqlite3.Connection, generation: int, row_ids: Iterable[int]) -> None:
        """Inside the caller's commit transaction."""
        connection.executemany(
            "INSERT INTO vector_changes VALUES (?, ?)", ((generation, row_id) for row_id in row_ids)
        )

    @staticmethod
    def rows_of(connection: sqlite3.Connection, doc_ids: Iterable[str]) -> list[int]:
        """Chunk row ids of documents, read inside the caller's transaction (before a delete, after an
        insert)."""
        return [
            row_id
            for doc_id in doc_ids
            for (row_id,) in connection.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))
        ]

    def start(self) -> int:
        """The log holds every change made after this generation (0: every change ever made)."""
        row = self._connection.execute("SELECT max(generation) FROM vector_log_start").fetchone()
        return int(row[0] or 0)

    def changes(self, after: int, upto: int) -> np.ndarray | None:
        """Row ids changed in generations after..upto, or None when the log no longer reaches `after`."""
        if after < self.start():
            return None
        rows = self._connection.execute(
            "SELECT DISTINCT row_id FROM vector_changes WHERE generation > ? AND generation <= ?",
            (after, upto),
        )
        return np.fromiter((row[0] for row in rows), dtype=np.int64)

    def trim(self, reader: str, upto: int) -> None:
        """`reader` saved a snapshot of generation `upto`: forget what every reader's snapshot holds."""
        with self.database.transaction() as connection:
            connection.execute("INSERT OR REPLACE INTO vector_log_readers VALUES (?, ?)", (reader, upto))
            saved = dict(connection.execute("SELECT reader, generation FROM vector_log_readers").fetchall())
            start = self.start()
            held = min(saved.get(name, start) for name in READERS)
            if held > start:
                connection.execute("DELETE FROM vector_changes WHERE generation <= ?", (held,))
                connection.execute("DELETE FROM vector_log_start")
                connection.execute("INSERT INTO vector_log_start VALUES (?)", (held,))
