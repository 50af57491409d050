"""FTS5's own tokenizer, run on a private in-memory table, so the in-memory BM25 counts exactly what
`chunk_terms` indexes.

The stored terms are jieba words joined by spaces, but FTS5's unicode61 tokenizer splits them again: it
folds case and diacritics (Ä → a) and splits at any character that is not a letter or digit (3.5 → 3, 5).
Each distinct term is split by SQLite itself, once, rather than by an imitation in Python, so both sides
agree whatever the Unicode tables of either; only terms of characters it is known to keep whole (checked
against FTS5 in the tests) skip the round trip.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SCHEMA = """
CREATE VIRTUAL TABLE terms USING fts5(body, tokenize = 'unicode61');
CREATE VIRTUAL TABLE instances USING fts5vocab(terms, instance);
"""
# Terms unicode61 keeps as they are, one token each (tests/test_keyword_memory.py asks FTS5): lower-case
# ASCII letters, digits and the CJK Unified Ideographs, nearly all of the stored terms.
SAME_TOKEN = re.compile("[0-9a-z\u4e00-\u9fff]+")
SAME_TOKENS = re.compile("[0-9a-z\u4e00-\u9fff ]*")
# Query terms whose tokens are remembered (writers repeat and refine queries).
CACHED_TERMS = 65_536


class Vocabulary:
    """Term ids. Only ever appended to (by the one writer), so every state of one base can share it."""

    def __init__(self, terms: list[str]) -> None:
        self.terms = terms
        self.ids = {term: number for number, term in enumerate(terms)}

    def __len__(self) -> int:
        return len(self.terms)

    def ids_of(self, tokens: list[str]) -> np.ndarray:
        """Ids of `tokens`, new ones appended."""
        for token in sorted(set(tokens).difference(self.ids)):
            self.ids[token] = len(self.terms)
            self.terms.append(token)
        return np.fromiter(map(self.ids.__getitem__, tokens), np.int64, len(tokens))


@dataclass(frozen=True)
class Postings:
    """(term id, row) pairs with the term's count in the row's heading and body, and every row read (rows
    with no tokens count as passages too) with its number of tokens."""

    terms: np.ndarray
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
        # Every stored term seen (a vocabulary's worth: the corpus's words, not users' queries).
        self._stored: dict[str, tuple[str, ...]] = {}

    def postings(self, rows: Sequence[tuple[int, str, str]], vocabulary: Vocabulary) -> Postings:
        """Postings of `(row id, heading terms, body terms)` rows. Each space-separated term is split
        alone (FTS5 splits at spaces too), remembered for the next row that uses it."""
        tokens: list[str] = []
        sizes: list[int] = []
        split = self._stored_tokens
        for row in rows:
            for column in row[1:]:  # heading, then body
                text = column or ""  # NULL: no tokens, as in FTS5
                if SAME_TOKENS.fullmatch(text):
                    found = text.split()
                else:
                    found = [token for term in text.split(" ") if term for token in split(term)]
                tokens.extend(found)
                sizes.append(len(found))
        ids = vocabulary.ids_of(tokens)
        owners = np.repeat(np.arange(len(sizes)), sizes)  # heading, body, heading, body, … of each row
        width = max(len(vocabulary), 1)
        keys, inverse = np.unique(owners // 2 * width + ids, return_inverse=True)
        in_body = (owners % 2).astype(np.float64)
        in_heading = 1 - in_body
        row_ids = np.array([row[0] for row in rows], dtype=np.int64)
        return Postings(
            terms=keys % width,
            rows=row_ids[keys // width],
            heading=np.bincount(inverse, in_heading, len(keys)).astype(np.uint16),
            body=np.bincount(inverse, in_body, len(keys)).astype(np.uint16),
            row_ids=row_ids,
            lengths=np.asarray(sizes, dtype=np.int64).reshape(-1, 2).sum(axis=1),
        )

    def _stored_tokens(self, term: str) -> tuple[str, ...]:
        split = self._stored.get(term)
        if split is None:
            split = self._stored[term] = self._tokens(term)
        return split

    def _tokens(self, term: str) -> tuple[str, ...]:
        """The tokens FTS5 reads a quoted query term as: one for a word, several for a phrase, none for
        punctuation."""
        if SAME_TOKEN.fullmatch(term):
            return (term,)
        with self._lock:
            self._connection.execute("INSERT INTO terms (rowid, body) VALUES (1, ?)", (term,))
            found = self._connection.execute("SELECT term FROM instances ORDER BY offset").fetchall()
            self._connection.execute("DELETE FROM terms")
        return tuple(token for (token,) in found)
