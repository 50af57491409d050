"""The SQLite catalog: documents and chunks, in the file that also holds the embedding cache and keywords.

SQLite is the source of truth. Every change is one transaction that also bumps `generation`; the FAISS
file is a derived cache stamped with the generation it was built from, so the two can never disagree.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from indexer.records import Chunk, DocType, Document, DocumentInfo, Filters, Level
from indexer.store.database import Database, Stored, in_batches
from indexer.store.upgrades import add_missing_columns, fill_search_columns
from indexer.text.gazetteer import canonical_names

SCHEMA = """
CREATE TABLE IF NOT EXISTS manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, year INTEGER, level TEXT NOT NULL,
    region TEXT, doc_type TEXT NOT NULL, extra TEXT NOT NULL, text TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '', province TEXT
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE INDEX IF NOT EXISTS documents_origin ON documents(origin);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    heading_path TEXT NOT NULL, embedding_key TEXT NOT NULL, normalized TEXT, signature BLOB
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(doc_id, ordinal);
CREATE INDEX IF NOT EXISTS chunks_embedding ON chunks(embedding_key);
-- chunks an upgrade has yet to fill in (fill_search_columns), found without reading every chunk
CREATE INDEX IF NOT EXISTS chunks_unsigned ON chunks(id) WHERE signature IS NULL;
CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(heading, body, tokenize = 'unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms_vocab USING fts5vocab(chunk_terms, col);
CREATE TRIGGER IF NOT EXISTS chunks_deleted AFTER DELETE ON chunks BEGIN
    DELETE FROM chunk_terms WHERE rowid = old.id;
END;
"""

# A document's fields as DocumentInfo holds them, its passage count last.
DOCUMENT_COLUMNS = (
    "d.doc_id, d.title, d.source, d.year, d.level, d.region, d.doc_type, d.province, d.origin,"
    " (SELECT count(*) FROM chunks k WHERE k.doc_id = d.doc_id)"
)
DOCUMENT_WIDTH = 10
CHUNK_COLUMNS = 'c.chunk_id, c.doc_id, c.ordinal, c.text, c.heading_path, c.start, c."end"'
CHUNK_WIDTH = 7


@dataclass(frozen=True)
class StoredChunk:
    """A chunk ready to store: its search-normalised text and near-duplicate signature, its keyword terms
    (space-separated) and the key of its cached embedding."""

    chunk: Chunk
    normalized: str
    signature: bytes
    heading_terms: str
    body_terms: str
    embedding_key: str


def filter_clause(filters: Filters) -> tuple[str, list[object]]:
    """SQL conditions on `documents d` for the given filters (always a valid expression)."""
    conditions, params = ["1"], []  # type: list[str], list[object]
    if filters.year_from is not None:
        conditions.append("d.year >= ?")
        params.append(filters.year_from)
    if filters.year_to is not None:
        conditions.append("d.year <= ?")
        params.append(filters.year_to)
    for field, values in filters.memberships():
        if values:
            conditions.append(f"d.{field} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if filters.regions:
        # A region is a document's own government or its province (浙江省 finds 杭州市's reports too),
        # named officially or short (浙江).
        regions = canonical_names(filters.regions)
        marks = ",".join("?" * len(regions))
        conditions.append(f"(d.region IN ({marks}) OR d.province IN ({marks}))")
        params.extend([*regions, *regions])
    if filters.exclude_doc_ids:
        conditions.append(f"d.doc_id NOT IN ({','.join('?' * len(filters.exclude_doc_ids))})")
        params.extend(filters.exclude_doc_ids)
    return " AND ".join(conditions), params


def row_to_document(row: Sequence) -> DocumentInfo:
    """A DocumentInfo from the DOCUMENT_COLUMNS of a row."""
    doc_id, title, source, year, level, region, doc_type, province, origin, chunk_count = row[:DOCUMENT_WIDTH]
    return DocumentInfo(
        doc_id=doc_id,
        title=title,
        source=source,
        year=year,
        level=Level(level),
        region=region,
        doc_type=DocType(doc_type),
        province=province,
        origin=origin,
        chunk_count=chunk_count,
    )


def row_to_chunk(row: Sequence) -> Chunk:
    """A Chunk from the CHUNK_COLUMNS of a row."""
    chunk_id, doc_id, ordinal, text, heading_path, start, end = row[:CHUNK_WIDTH]
    return Chunk(chunk_id, doc_id, ordinal, start, end, text, tuple(json.loads(heading_path)))


class Catalog(Stored):
    """Documents, chunks and the manifest; the schema of every table in the index's SQLite file."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        add_missing_columns(self._connection)  # before the schema, whose indexes need the columns
        self._connection.executescript(SCHEMA)  # idempotent; executescript manages its own transaction
        fill_search_columns(self._connection)

    # --- manifest -------------------------------------------------------------------------------------

    def manifest(self) -> dict[str, str]:
        return dict(self._connection.execute("SELECT key, value FROM manifest").fetchall())

    def generation(self) -> int:
        row = self._connection.execute("SELECT value FROM manifest WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def set_manifest(connection: sqlite3.Connection, values: dict[str, str]) -> None:
        connection.executemany("INSERT OR REPLACE INTO manifest VALUES (?, ?)", values.items())

    # --- writes ---------------------------------------------------------------------------------------

    def existing_documents(self, doc_ids: Sequence[str]) -> set[str]:
        """Which of these document ids are stored."""
        sql = "SELECT doc_id FROM documents WHERE doc_id IN ({})"
        return {doc_id for (doc_id,) in in_batches(self._connection, sql, doc_ids)}

    def origin_documents(self, origin: str) -> list[DocumentInfo]:
        """The documents indexed from one folder or file."""
        rows = self._connection.execute(
            f"SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.origin = ? ORDER BY d.source", (origin,)
        )
        return [row_to_document(row) for row in rows]

    def foreign_documents(self, origins: dict[str, str]) -> list[str]:
        """Ids of stored documents whose recorded origin differs from the one given for them."""
        sql = "SELECT doc_id, origin FROM documents WHERE doc_id IN ({})"
        rows = in_batches(self._connection, sql, list(origins))
        return [doc_id for doc_id, origin in rows if origin != origins[doc_id]]

    @staticmethod
    def set_origins(connection: sqlite3.Connection, origins: dict[str, str]) -> None:
        connection.executemany(
            "UPDATE documents SET origin = ? WHERE doc_id = ?",
            ((origin, doc_id) for doc_id, origin in origins.items()),
        )

    @staticmethod
    def insert_document(
        connection: sqlite3.Connection, document: Document, chunks: Sequence[StoredChunk]
    ) -> None:
        """The document, its chunks and their keyword terms, inside the caller's transaction."""
        connection.execute(
            "INSERT INTO documents (doc_id, title, source, year, level, region, doc_type, extra, text,"
            " origin, province) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                document.doc_id,
                document.title,
                document.source,
                document.year,
                str(document.level),
                document.region,
                str(document.doc_type),
                json.dumps(document.extra, ensure_ascii=False),
                document.text,
                document.origin,
                document.province,
            ),
        )
        for stored in chunks:
            chunk = stored.chunk
            cursor = connection.execute(
                'INSERT INTO chunks (chunk_id, doc_id, ordinal, start, "end", text, heading_path,'
                " embedding_key, normalized, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    chunk.chunk_id,
                    chunk.doc_id,
                    chunk.ordinal,
                    chunk.start,
                    chunk.end,
                    chunk.text,
                    json.dumps(list(chunk.heading_path), ensure_ascii=False),
                    stored.embedding_key,
                    stored.normalized,
                    stored.signature,
                ),
            )
            connection.execute(
                "INSERT INTO chunk_terms (rowid, heading, body) VALUES (?, ?, ?)",
                (cursor.lastrowid, stored.heading_terms, stored.body_terms),
            )

    @staticmethod
    def delete_documents(connection: sqlite3.Connection, doc_ids: Iterable[str]) -> int:
        """Chunks and keyword terms go with their document (cascade and trigger)."""
        return sum(
            connection.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount
            for doc_id in doc_ids
        )

    # --- reads ----------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        one = self._connection.execute
        return {
            "documents": one("SELECT count(*) FROM documents").fetchone()[0],
            "chunks": one("SELECT count(*) FROM chunks").fetchone()[0],
            "embeddings": one("SELECT count(*) FROM embeddings").fetchone()[0],
        }

    def documents(self, filters: Filters, limit: int, offset: int) -> tuple[list[DocumentInfo], int]:
        where, params = filter_clause(filters)
        count = f"SELECT count(*) FROM documents d WHERE {where}"
        total = self._connection.execute(count, params).fetchone()[0]
        rows = self._connection.execute(
            f"SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE {where} ORDER BY d.year DESC, d.title"
            " LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return [row_to_document(row) for row in rows], total

    def document(self, doc_id: str) -> DocumentInfo | None:
        row = self._connection.execute(
            f"SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.doc_id = ?", (doc_id,)
        ).fetchone()
        return row_to_document(row) if row else None

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        rows = self._connection.execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks c WHERE c.doc_id = ? ORDER BY c.ordinal", (doc_id,)
        )
        return [row_to_chunk(row) for row in rows]

    def chunk_row_id(self, chunk_id: str) -> int | None:
        row = self._connection.execute("SELECT id FROM chunks WHERE chunk_id = ?", (chunk_id,)).fetchone()
        return row[0] if row else None

    def chunks_by_row(self, row_ids: Sequence[int]) -> dict[int, tuple[Chunk, DocumentInfo]]:
        """Chunks with their documents, for the given row ids (missing ids are simply absent)."""
        sql = (
            f"SELECT c.id, {CHUNK_COLUMNS}, {DOCUMENT_COLUMNS} FROM chunks c"
            " JOIN documents d ON d.doc_id = c.doc_id WHERE c.id IN ({})"
        )
        return {
            row[0]: (row_to_chunk(row[1:]), row_to_document(row[1 + CHUNK_WIDTH :]))
            for row in in_batches(self._connection, sql, row_ids)
        }

    def collapse_keys(self, row_ids: Sequence[int]) -> dict[int, tuple[str, bytes]]:
        """Document id and near-duplicate signature of each chunk row (what collapsing a ranking reads)."""
        sql = "SELECT id, doc_id, signature FROM chunks WHERE id IN ({})"
        return {row[0]: (row[1], row[2]) for row in in_batches(self._connection, sql, row_ids)}

    def normalized_texts(self, row_ids: Sequence[int]) -> dict[int, str]:
        """Search-normalised text of each chunk row, stored at index time (what highlighting reads)."""
        sql = "SELECT id, normalized FROM chunks WHERE id IN ({})"
        return dict(in_batches(self._connection, sql, row_ids))

    def neighbours(self, chunk: Chunk, before: int, after: int) -> tuple[list[Chunk], list[Chunk]]:
        rows = self._connection.execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks c WHERE c.doc_id = ? AND c.ordinal BETWEEN ? AND ?"
            " AND c.ordinal != ? ORDER BY c.ordinal",
            (chunk.doc_id, chunk.ordinal - before, chunk.ordinal + after, chunk.ordinal),
        )
        views = [row_to_chunk(row) for row in rows]
        return [v for v in views if v.ordinal < chunk.ordinal], [
            v for v in views if v.ordinal > chunk.ordinal
        ]

    def allowed_rows(self, filters: Filters) -> np.ndarray | None:
        """Row ids passing the filters, or None when nothing is filtered (search everything)."""
        if filters == Filters():
            return None
        where, params = filter_clause(filters)
        rows = self._connection.execute(
            f"SELECT c.id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE {where}", params
        )
        return np.fromiter((row[0] for row in rows), dtype=np.int64)
