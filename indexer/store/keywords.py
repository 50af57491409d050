"""Keyword retrieval: BM25 over the chunks' jieba terms (SQLite FTS5), headings weighted apart from text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.records import Filters
from indexer.store.catalog import filter_clause
from indexer.store.database import Stored, in_batches

# BM25 weight of a match in the headings a chunk sits under, relative to one in its own text: a heading
# names the topic of every paragraph below it, but weakly (measured in docs/benchmarks.md).
HEADING_WEIGHT = 0.3
SCORE = f"-bm25(chunk_terms, {HEADING_WEIGHT}, 1.0)"


def quoted(term: str) -> str:
    """A term as one FTS5 string: matched as a word, or as a phrase when the tokenizer splits it."""
    return '"' + term.replace('"', '""') + '"'


class KeywordIndex(Stored):
    """The `chunk_terms` FTS5 table of the index's SQLite file (written with the chunks by the catalog)."""

    def term_frequencies(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """How many passages there are, and how many use each term in their own text (the keyword index's
        document frequencies: one lookup per term, however large the index)."""
        passages = self._connection.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return passages, self.body_frequencies(terms)

    def body_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages use each term in their own text."""
        sql = "SELECT term, doc FROM chunk_terms_vocab WHERE col = 'body' AND term IN ({})"
        return dict(in_batches(self._connection, sql, list(dict.fromkeys(terms))))

    def phrase_scores(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Each matching row's BM25 share from one term, as a query of several terms adds it up (what the
        in-memory index asks for a term FTS5 reads as a phrase, 3.5 → "3 5": it keeps no positions)."""
        sql = f"SELECT rowid, {SCORE} FROM chunk_terms WHERE chunk_terms MATCH ?"
        found = self._connection.execute(sql, (quoted(term),)).fetchall()
        return np.array([r for r, _ in found], dtype=np.int64), np.array(
            [s for _, s in found], dtype=np.float64
        )

    def search(self, terms: Sequence[str], filters: Filters, k: int) -> list[tuple[int, float]]:
        """BM25 (FTS5) over the chunks' jieba terms: any term may match; higher score is better."""
        if not terms:
            return []
        match = " OR ".join(quoted(term) for term in dict.fromkeys(terms))
        score = f"{SCORE} AS score"
        params: list[object] = []
        if filters == Filters():
            # No join: SQLite would look up every matching row's chunk and document before sorting
            # (2.4x slower on the dev index, same ranking).
            sql = f"SELECT rowid, {score} FROM chunk_terms WHERE chunk_terms MATCH ?"
        else:
            where, params = filter_clause(filters)
            sql = (
                f"SELECT chunk_terms.rowid, {score} FROM chunk_terms"
                " JOIN chunks c ON c.id = chunk_terms.rowid JOIN documents d ON d.doc_id = c.doc_id"
                f" WHERE chunk_terms MATCH ? AND {where}"
            )
        rows = self._connection.execute(f"{sql} ORDER BY score DESC LIMIT ?", [match, *params, k])
        return [(row[0], float(row[1])) for row in rows]
