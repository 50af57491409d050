"""Vectors by embedding key (model id + passage text): passages already embedded are never embedded again.

The cache survives re-indexing and killed runs; `all_vectors` is what the vector index is rebuilt from.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

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

    def all_vectors(self, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk row ids, vectors) of every stored chunk: what the FAISS index is rebuilt from."""
        rows = self._connection.execute(
            "SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.key = c.embedding_key ORDER BY c.id"
        ).fetchall()
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32).reshape(
            len(rows), dimension
        )
        return ids, vectors

    @staticmethod
    def prune(connection: sqlite3.Connection) -> None:
        """Vectors no stored chunk uses any more, inside the caller's transaction."""
        connection.execute("DELETE FROM embeddings WHERE key NOT IN (SELECT embedding_key FROM chunks)")
