"""Keeping the Milvus collection equal to the SQLite catalog, which stays the source of truth.

A write commits to SQLite first (generation + 1), then brings the collection up to date, then stamps it
with the catalog's state: when the index was created and its generation. The stamp goes last, so a writer
killed in between (or a server that failed halfway) leaves a collection whose stamp disagrees with the
catalog, and the next open rebuilds the collection from the catalog; its vectors come from the embedding
cache, so nothing is embedded again. A writer applies its own changes only to a collection stamped with
the state it started from; any other collection is rebuilt whole. The same rebuild migrates a local index
to Milvus: open it with the milvus backend set.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from indexer.store.database import Database, in_batches
from indexer.store.milvus import MilvusStore

SYNC_BATCH = 1000
# The text Milvus analyses is the keyword index's terms of the chunk (our jieba segmentation, with the
# project's dictionary), its headings' terms after them: Milvus's jieba analyzer keeps such words whole, so
# BM25 counts the same terms on both backends (top-10 overlap with the local store 0.95 vs 0.91 on raw text,
# tests/test_backends.py queries); headings weigh as much as text here, 0.3 in FTS5.
ROW_COLUMNS = (
    "SELECT c.id, t.body || ' ' || t.heading, d.doc_id, d.level, d.doc_type, d.region, d.province, d.year,"
    " e.vector FROM chunks c JOIN documents d ON d.doc_id = c.doc_id"
    " JOIN embeddings e ON e.key = c.embedding_key JOIN chunk_terms t ON t.rowid = c.id"
)


def catalog_stamp(manifest: dict[str, str]) -> str | None:
    """The catalog state a collection mirroring it carries; None before the first commit."""
    generation = manifest.get("generation")
    return f"{manifest.get('created_at', '')}#{generation}" if generation else None


def milvus_row(record: Sequence[Any]) -> dict[str, Any]:
    """A collection row from a ROW_COLUMNS record."""
    row_id, terms, doc_id, level, doc_type, region, province, year, vector = record
    return {
        "id": row_id,
        "text": terms,
        "doc_id": doc_id,
        "level": level,
        "doc_type": doc_type,
        "region": region,
        "province": province,
        "year": year,
        "dense": np.frombuffer(vector, dtype=np.float32).tolist(),
    }


def batched(records: Iterator[Sequence[Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(milvus_row(record))
        if len(batch) == SYNC_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def all_rows(connection: sqlite3.Connection) -> Iterator[Sequence[Any]]:
    """Every chunk, a page of rows at a time (by row id), so a large catalog is never in memory at once."""
    last = -1
    while True:
        page = connection.execute(f"{ROW_COLUMNS} WHERE c.id > ? ORDER BY c.id LIMIT ?", (last, SYNC_BATCH))
        records = page.fetchall()
        if not records:
            return
        yield from records
        last = records[-1][0]


class MilvusSync:
    """Brings one collection up to date with one catalog, by changes or by a rebuild."""

    def __init__(self, store: MilvusStore, database: Database) -> None:
        self.store = store
        self.database = database

    def ensure(self, manifest: dict[str, str]) -> None:
        """Rebuild the collection unless it already mirrors the catalog (crash safety, migration)."""
        stamp = catalog_stamp(manifest)
        if stamp is not None and self.store.stamp() != stamp:
            self.rebuild(manifest)
        self.store.load()

    def rebuild(self, manifest: dict[str, str]) -> None:
        """Every chunk of the catalog into a new collection, stamped when complete."""
        self.store.recreate(int(manifest["dimension"]))
        for batch in batched(all_rows(self.database.connection)):
            self.store.upsert(batch)
        self.store.set_stamp(catalog_stamp(manifest) or "")

    def apply(
        self, previous: str | None, manifest: dict[str, str], removed: Sequence[str], added: Sequence[str]
    ) -> None:
        """After a commit from state `previous`: remove and add those documents' chunks, then stamp."""
        if previous is None or self.store.stamp() != previous:
            self.rebuild(manifest)
            return
        self.store.delete_documents(removed)
        sql = f"{ROW_COLUMNS} WHERE c.doc_id IN ({{}})"
        for batch in batched(in_batches(self.database.connection, sql, added)):
            self.store.upsert(batch)
        self.store.set_stamp(catalog_stamp(manifest) or "")
