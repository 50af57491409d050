"""One SQLite transaction idiom for the catalog and the phrase bank."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


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
