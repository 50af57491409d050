"""Catalogs written by earlier versions gain what this one stores, on open: columns, and their values where
they derive from what is already stored."""

from __future__ import annotations

import sqlite3

from indexer.store.database import transaction
from indexer.text.normalize import normalize_for_search
from indexer.text.shingles import signature, to_blob

# Columns that catalogs written by earlier versions lack: added on open, empty for the rows they hold
# (chunks get theirs filled in on open, see `fill_search_columns`).
ADDED_COLUMNS = {
    "documents": {"origin": "TEXT NOT NULL DEFAULT ''", "province": "TEXT"},
    "chunks": {"normalized": "TEXT", "signature": "BLOB"},
}


def add_missing_columns(connection: sqlite3.Connection) -> None:
    """Catalogs written before documents remembered their origin or province, or before chunks kept their
    normalised text and signature, gain the columns (empty)."""
    for table, added in ADDED_COLUMNS.items():
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        for column, definition in added.items():
            if columns and column not in columns:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


def fill_search_columns(connection: sqlite3.Connection) -> None:
    """Normalised text and signatures for chunks stored before the catalog kept them (one transaction)."""
    if connection.execute("SELECT 1 FROM chunks WHERE signature IS NULL LIMIT 1").fetchone() is None:
        return
    with transaction(connection) as writing:
        rows = writing.execute("SELECT id, text FROM chunks WHERE signature IS NULL").fetchall()
        writing.executemany(
            "UPDATE chunks SET normalized = ?, signature = ? WHERE id = ?",
            ((*search_columns(text), row_id) for row_id, text in rows),
        )


def search_columns(text: str) -> tuple[str, bytes]:
    """What a search reads of a chunk beside its text: the folded text and its near-duplicate signature."""
    normalized = normalize_for_search(text)
    return normalized, to_blob(signature(normalized))
