"""What the searcher retrieves from, whichever backend serves it: a keyword side and a dense side.

Both take the search's `Filters` and return `(chunk row id, score)` pairs, best first, so the local store
(BM25 in memory over FTS5's terms, and FAISS) and Milvus are ranked, fused and paged by the same code
above them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from indexer.records import Filters
from indexer.store.bm25 import Keywords
from indexer.store.bm25_top import Part, top
from indexer.store.catalog import Catalog
from indexer.store.fts_tokens import FtsTokenizer
from indexer.store.keywords import HEADING_WEIGHT, KeywordIndex
from indexer.store.vectors import VectorStore

Ranked = list[tuple[int, float]]


class KeywordSearch(Protocol):
    """BM25 over the passages, and the document frequencies that weigh a pasted paragraph's highlights."""

    def search(self, terms: Sequence[str], filters: Filters, k: int) -> Ranked: ...

    def term_frequencies(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]: ...


class DenseSearch(Protocol):
    """Nearest passages to a unit vector by inner product, and a stored passage's vector."""

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int, filters: Filters) -> Ranked: ...

    def vector(self, row_id: int) -> np.ndarray: ...


class CatalogFiltered:
    """A local vector store searched within the row ids that the catalog's filters allow."""

    def __init__(self, catalog: Catalog, store: VectorStore) -> None:
        self.catalog = catalog
        self.store = store

    def __len__(self) -> int:
        return len(self.store)

    def search(self, query: np.ndarray, k: int, filters: Filters) -> Ranked:
        ids, scores = self.store.search(query, k, self.catalog.allowed_rows(filters))
        return list(zip(ids.tolist(), scores.tolist(), strict=True))

    def vector(self, row_id: int) -> np.ndarray:
        return self.store.vector(row_id)


class MemoryKeywords:
    """The local keyword side: BM25 in memory (`store/bm25.py`), ranked and scored as FTS5 ranks and scores
    the same rows; FTS5 itself scores the rare term it reads as a phrase, and counts terms by column."""

    def __init__(
        self, catalog: Catalog, fts: KeywordIndex, keywords: Keywords, tokenizer: FtsTokenizer
    ) -> None:
        self.catalog = catalog
        self.fts = fts
        self.keywords = keywords
        self.tokenizer = tokenizer

    def search(self, terms: Sequence[str], filters: Filters, k: int) -> Ranked:
        return top(self.parts(terms), self.catalog.allowed_rows(filters), k)

    def parts(self, terms: Sequence[str]) -> list[Part]:
        """What each term adds to the scores, as the MATCH string has the terms: each once, in order."""
        parts: list[Part] = []
        for term in dict.fromkeys(terms):
            tokens = self.tokenizer.tokens(term)
            if len(tokens) == 1:
                postings = self.keywords.postings(tokens[0], HEADING_WEIGHT)
                if postings is not None:
                    parts.append(postings)
            elif tokens:  # none: punctuation, which FTS5 drops from the query
                parts.append(self.fts.phrase_scores(term))
        return parts

    def term_frequencies(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        frequencies = {term: self.keywords.body_frequency(term) for term in dict.fromkeys(terms)}
        return self.keywords.rows, {term: found for term, found in frequencies.items() if found}
