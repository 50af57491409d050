"""Per-document phrase statistics in the catalog, kept exact as documents come and go.

Each document stores, for every word-aligned span text found in it, how often it occurs, the most
specific kind that found it, where it may be split (for cohesion) and, for candidates, the characters
on its left and right (for boundary freedom). Corpus figures are sums over the documents present, so
adding or deleting a document (its rows cascade from `documents`) keeps every figure exact.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from indexer.errors import UnknownDocument
from indexer.phrases.candidates import Candidates, Kind, find_candidates
from indexer.store.database import in_batches

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS phrase_documents (
        doc_key INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL UNIQUE REFERENCES documents(doc_id) ON DELETE CASCADE,
        word_count INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS phrase_counts (
        phrase TEXT NOT NULL,
        doc_key INTEGER NOT NULL REFERENCES phrase_documents(doc_key) ON DELETE CASCADE,
        kind INTEGER NOT NULL,
        count INTEGER NOT NULL,
        splits TEXT NOT NULL,
        left_neighbours TEXT,
        right_neighbours TEXT,
        PRIMARY KEY (phrase, doc_key)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS phrase_counts_document ON phrase_counts(doc_key)",
)
# Neighbours are stored one character per occurrence. This mark stands for punctuation, a digit or the
# edge of the text, and every one of them counts as a different neighbour: a phrase that ends a clause
# is as free on that side as it can be.
FREE = "|"
# SQLite's limit on bound parameters is far above this; batches keep each statement small.


@dataclass(frozen=True)
class CorpusTotals:
    """Sizes of the corpus the statistics cover."""

    documents: int
    words: int


class PhraseTally:
    """One document's spans: counts of every span text, and kind, splits and neighbours of candidates."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.kinds: dict[str, Kind] = {}
        self.splits: dict[str, tuple[int, ...]] = {}
        self.left: dict[str, list[str]] = {}
        self.right: dict[str, list[str]] = {}
        self.words = 0

    def add(self, candidates: Candidates) -> None:
        text = candidates.text
        self.words += candidates.word_count
        for start, end, kind, splits in candidates.occurrences:
            phrase = text[start:end]
            self.counts[phrase] += 1
            if kind is Kind.PART:
                continue
            if kind > self.kinds.get(phrase, Kind.PART):
                self.kinds[phrase] = kind
            if splits:
                self.splits.setdefault(phrase, splits)
            self.left.setdefault(phrase, []).append(_neighbour(text, start - 1))
            self.right.setdefault(phrase, []).append(_neighbour(text, end))

    def rows(self, doc_key: int) -> Iterator[tuple[object, ...]]:
        for phrase, count in self.counts.items():
            kind = self.kinds.get(phrase, Kind.PART)
            splits = ",".join(map(str, self.splits.get(phrase, ())))
            if kind is Kind.PART:
                yield phrase, doc_key, 0, count, splits, None, None
            else:
                yield (
                    phrase,
                    doc_key,
                    int(kind),
                    count,
                    splits,
                    "".join(self.left[phrase]),
                    "".join(self.right[phrase]),
                )


def create_phrase_tables(connection: sqlite3.Connection) -> None:
    """Create the `phrase_` tables if missing (safe inside an open transaction, unlike executescript)."""
    for statement in SCHEMA:
        connection.execute(statement)


@contextmanager
def savepoint(connection: sqlite3.Connection, name: str) -> Iterator[None]:
    """All-or-nothing inside the caller's transaction, or as its own transaction when there is none."""
    connection.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        connection.execute(f"ROLLBACK TO {name}")
        connection.execute(f"RELEASE {name}")
        raise
    connection.execute(f"RELEASE {name}")


def phrase_tally(texts: Sequence[str]) -> PhraseTally:
    """The candidate spans of one document's texts: pure Python, so indexing runs it beside the model."""
    tally = PhraseTally()
    for text in texts:
        tally.add(find_candidates(text))
    return tally


def store_phrase_stats(connection: sqlite3.Connection, doc_id: str, tally: PhraseTally) -> None:
    """Replace the statistics of one stored document with `tally`."""
    create_phrase_tables(connection)
    if connection.execute("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)).fetchone() is None:
        raise UnknownDocument(doc_id)
    with savepoint(connection, "phrase_stats"):
        connection.execute("DELETE FROM phrase_documents WHERE doc_id = ?", (doc_id,))
        doc_key = connection.execute(
            "INSERT INTO phrase_documents (doc_id, word_count) VALUES (?, ?)", (doc_id, tally.words)
        ).lastrowid
        if doc_key is None:
            raise sqlite3.DatabaseError("phrase_documents insert returned no row id")
        connection.executemany("INSERT INTO phrase_counts VALUES (?, ?, ?, ?, ?, ?, ?)", tally.rows(doc_key))


def _neighbour(text: str, position: int) -> str:
    if 0 <= position < len(text) and "\u4e00" <= text[position] <= "\u9fff":
        return text[position]
    return FREE


def decode_splits(encoded: str) -> tuple[int, ...]:
    """Offsets stored by `store_phrase_stats` where a phrase may be cut in two."""
    return tuple(int(offset) for offset in encoded.split(",")) if encoded else ()


def corpus_totals(connection: sqlite3.Connection) -> CorpusTotals:
    """How many documents and words the statistics cover."""
    create_phrase_tables(connection)
    documents, words = connection.execute(
        "SELECT COUNT(*), COALESCE(SUM(word_count), 0) FROM phrase_documents"
    ).fetchone()
    return CorpusTotals(documents, words)


def corpus_phrase_counts(
    connection: sqlite3.Connection, phrases: Iterable[str]
) -> dict[str, tuple[int, int]]:
    """Corpus (occurrences, documents) of each phrase that occurs at all."""
    create_phrase_tables(connection)
    sql = "SELECT phrase, SUM(count), COUNT(*) FROM phrase_counts WHERE phrase IN ({}) GROUP BY phrase"
    rows = in_batches(connection, sql, list(dict.fromkeys(phrases)))
    return {phrase: (count, documents) for phrase, count, documents in rows}
