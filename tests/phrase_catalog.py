"""A minimal catalog (documents and chunks) carrying phrase statistics, for the phrase tests.

Only the two tables the `phrase_` tables depend on; the real catalog adds its own columns and calls
`store_phrase_stats` as it stores each document.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from indexer.phrases.statistics import phrase_tally, store_phrase_stats
from indexer.records import Chunk, Document

SCHEMA = """
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT, source TEXT, year INTEGER);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE,
    doc_id TEXT REFERENCES documents(doc_id) ON DELETE CASCADE, ordinal INTEGER, text TEXT
);
"""


def open_catalog(path: Path) -> sqlite3.Connection:
    """A new catalog file with foreign keys on, as the real catalog opens it."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys=ON")
    connection.executescript(SCHEMA)
    return connection


def add_documents(connection: sqlite3.Connection, documents: Iterable[tuple[Document, list[Chunk]]]) -> None:
    """Store each document with its chunks and its phrase statistics, one transaction a document."""
    for document, chunks in documents:
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?)",
            (document.doc_id, document.title, document.source, document.year),
        )
        connection.executemany(
            "INSERT INTO chunks (chunk_id, doc_id, ordinal, text) VALUES (?, ?, ?, ?)",
            [(chunk.chunk_id, chunk.doc_id, chunk.ordinal, chunk.text) for chunk in chunks],
        )
        store_phrase_stats(connection, document.doc_id, phrase_tally([chunk.text for chunk in chunks]))
        connection.execute("COMMIT")


def chunks_containing(connection: sqlite3.Connection, text: str) -> list[tuple[str, str, str]]:
    """(chunk_id, doc_id, text) of every chunk whose text contains `text`."""
    rows = connection.execute(
        "SELECT chunk_id, doc_id, text FROM chunks WHERE instr(text, ?) > 0 ORDER BY id", (text,)
    )
    return [(chunk_id, doc_id, chunk_text) for chunk_id, doc_id, chunk_text in rows]
