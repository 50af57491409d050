"""The SQLite idioms the stores share: a connection per thread, one transaction shape, batched IN lookups."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

# SQLite refuses statements with more variables than this (999 in older builds); batches stay below.
IN_BATCH = 500


@contextmanager
def transaction(connection: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
    """BEGIN … COMMIT on an autocommit connection, rolled back on any error (a killed writer leaves the
    last commit); IMMEDIATE takes the write lock up front, DEFERRED is for reads."""
    connection.execute(f"BEGIN {mode}")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def in_batches(connection: sqlite3.Connection, sql: str, values: Sequence[object]) -> Iterator[tuple]:
    """Rows of `sql`, whose `{}` becomes the placeholders of an IN list, for any number of `values`."""
    for start in range(0, len(values), IN_BATCH):
        batch = list(values[start : start + IN_BATCH])
        yield from connection.execute(sql.format(",".join("?" * len(batch))), batch)


class Database:
    """One SQLite file in WAL mode; a connection per thread, so the service's worker threads share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    @property
    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=FULL")
            self._local.connection = connection
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on this thread's connection."""
        with transaction(self.connection) as connection:
            yield connection


class Stored:
    """Base of the stores that keep their rows in the index's SQLite file (catalog, cache, keywords)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    def _connection(self) -> sqlite3.Connection:
        return self.database.connection
