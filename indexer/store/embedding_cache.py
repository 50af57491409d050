"""Vectors by embedding key (model id + passage text): passages already embedded are never embedded again.

The cache survives re-indexing and killed runs; `batches` is what a vector index is rebuilt from.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from indexer.store.database import Stored, in_batches


class EmbeddingCache(Stored):
    """The `embeddings` table of the index's SQLite file."""

    def missing(self, keys: Iterable[str]) -> list[str]:
        """The keys (in input order, once each) that have no cached vector yet."""
        wanted = list(dict.fromkeys(keys))
        sql = "SELECT key FROM embeddings WHERE key IN ({})"
        present = {key for (key,) in in_batches(self._connection, sql, wanted)}
        return [key for key in wanted if key not in present]

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Cached in their own transaction, so a killed run keeps what it already embedded."""
        with self.database.transaction() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                (
                    (key, vector.astype(np.float32).tobytes())
                    for key, vector in zip(keys, vectors, strict=True)
                ),
            )

    def vectors_of(self, row_ids: np.ndarray, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(row ids, vectors) of the given chunk rows that are stored (a snapshot replays these)."""
        sql = (
            "SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.key = c.embedding_key"
            " WHERE c.id IN ({})"
        )
        return stack(list(in_batches(self._connection, sql, row_ids.tolist())), dimension)

    def count(self) -> int:
        """How many stored chunks there are, each with its vector."""
        return int(self._connection.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def batches(self, dimension: int, size: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(row ids, vectors) of every stored chunk, `size` at a time: what a vector index is built from."""
        last = -1
        while True:
            rows = self._connection.execute(
                "SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.key = c.embedding_key"
                " WHERE c.id > ? ORDER BY c.id LIMIT ?",
                (last, size),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield stack(rows, dimension)

    def sample(self, count: int, dimension: int, seed: int = 0) -> np.ndarray:
        """Vectors of up to `count` chunks drawn at random (an IVF index learns its lists from them)."""
        ids = np.fromiter((row[0] for row in self._connection.execute("SELECT id FROM chunks")), np.int64)
        chosen = np.random.default_rng(seed).choice(ids, min(count, len(ids)), replace=False)
        return self.vectors_of(np.sort(chosen), dimension)[1]

    @staticmethod
    def keys_of(connection: sqlite3.Connection, doc_ids: Iterable[str]) -> list[str]:
        """Embedding keys the documents' chunks use, read inside the caller's transaction before they go."""
        sql = "SELECT DISTINCT embedding_key FROM chunks WHERE doc_id IN ({})"
        return list(dict.fromkeys(key for (key,) in in_batches(connection, sql, list(doc_ids))))

    @staticmethod
    def prune(connection: sqlite3.Connection, keys: Sequence[str]) -> None:
        """Of these keys (the removed chunks'), the vectors no stored chunk uses any more, inside the
        caller's transaction. Only the given keys are looked at (through the `chunks_embedding` index), so
        a commit costs the same at a thousand passages as at a million; vectors of a killed run stay for
        the run that resumes it."""
        sql = (
            "DELETE FROM embeddings WHERE key IN ({})"
            " AND NOT EXISTS (SELECT 1 FROM chunks WHERE embedding_key = embeddings.key)"
        )
        list(in_batches(connection, sql, keys))  # a DELETE yields no rows: this runs every batch


def stack(rows: list[tuple[int, bytes]], dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of (id, float32 bytes) rows."""
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
    return ids, vectors.reshape(len(rows), dimension)
