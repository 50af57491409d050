"""FTS5's own tokenizer, run on a private in-memory table, so the in-memory BM25 counts exactly what
`chunk_terms` indexes.

The stored terms are jieba words joined by spaces, but FTS5's unicode61 tokenizer splits them again: it
folds case and diacritics (Ä → a) and splits at any character that is not a letter or digit (3.5 → 3, 5).
Asking SQLite, rather than imitating it in Python, keeps both sides equal whatever the Unicode tables of
either.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SCHEMA = """
CREATE VIRTUAL TABLE terms USING fts5(heading, body, tokenize = 'unicode61');
CREATE VIRTUAL TABLE instances USING fts5vocab(terms, instance);
"""
# Query terms whose tokens are remembered (writers repeat and refine queries).
CACHED_TERMS = 65_536


@dataclass(frozen=True)
class Postings:
    """(term, row) pairs with the term's count in the row's heading and body, and every row read (rows
    with no tokens count as passages too) with its number of tokens."""

    terms: list[str]
    rows: np.ndarray
    heading: np.ndarray
    body: np.ndarray
    row_ids: np.ndarray
    lengths: np.ndarray


class FtsTokenizer:
    """Splits stored rows and query terms with unicode61, as `chunk_terms` does."""

    def __init__(self) -> None:
        self._connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._connection.executescript(SCHEMA)
        self._lock = threading.Lock()
        self.tokens = lru_cache(maxsize=CACHED_TERMS)(self._tokens)

    def postings(self, rows: Sequence[tuple[int, str, str]]) -> Postings:
        """Postings of `(row id, heading terms, body terms)` rows."""
        with self._lock:
            self._connection.executemany("INSERT INTO terms (rowid, heading, body) VALUES (?, ?, ?)", rows)
            found = self._connection.execute(
                "SELECT term, doc, sum(col = 'heading'), sum(col = 'body') FROM instances"
                " GROUP BY doc, term ORDER BY doc"
            ).fetchall()
            self._connection.execute("DELETE FROM terms")
        counts = np.array([item[1:] for item in found], dtype=np.int64).reshape(-1, 3)
        row_ids = np.array(sorted(row[0] for row in rows), dtype=np.int64)
        totals = np.bincount(
            np.searchsorted(row_ids, counts[:, 0]), counts[:, 1] + counts[:, 2], minlength=len(row_ids)
        )
        return Postings(
            terms=[item[0] for item in found],
            rows=counts[:, 0],
            heading=counts[:, 1].astype(np.uint16),
            body=counts[:, 2].astype(np.uint16),
            row_ids=row_ids,
            lengths=totals.astype(np.int64),
        )

    def _tokens(self, term: str) -> tuple[str, ...]:
        """The tokens FTS5 reads a quoted query term as: one for a word, several for a phrase, none for
        punctuation."""
        with self._lock:
            self._connection.execute("INSERT INTO terms (rowid, heading, body) VALUES (1, '', ?)", (term,))
            found = self._connection.execute("SELECT term FROM instances ORDER BY offset").fetchall()
            self._connection.execute("DELETE FROM terms")
        return tuple(token for (token,) in found)
