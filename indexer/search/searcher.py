"""The searcher: keyword (BM25), semantic (dense) and hybrid retrieval, then collapsing and paging."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Protocol

import numpy as np

from indexer.errors import InvalidInput, UnknownChunk
from indexer.records import Chunk, DocumentInfo, Filters, Hit, Mode
from indexer.search.highlight import (
    LONG_QUERY_CHARS,
    MAX_LONG_QUERY_SPANS,
    distinctive_terms,
    highlight_spans,
)
from indexer.search.query import analyse
from indexer.store.catalog import Catalog
from indexer.store.retrieval import DenseSearch, KeywordSearch, Ranked
from indexer.text.normalize import normalize_for_search
from indexer.text.shingles import first_near_duplicates, from_blob, near_duplicate
from indexer.text.tokenize import tokenize_for_search

# How many candidates each side contributes before fusion, collapsing and paging.
CANDIDATE_POOL = 200
# The words of a pasted paragraph the keyword side ranks by: its rarest, as Lucene's MoreLikeThis keeps
# 25. The words every report uses add little to the ranking and most of its cost (their posting lists).
MAX_KEYWORD_TERMS = 32
# Ranked candidates whose document and signature are read at a time while the page fills: a page of ten
# rarely needs more than one read.
COLLAPSE_WINDOW = 50


@dataclass(frozen=True)
class SearchOptions:
    """Everything about a search except the query itself."""

    mode: Mode = Mode.HYBRID
    k: int = 10
    offset: int = 0
    filters: Filters = field(default_factory=Filters)
    dedupe: bool = True
    per_document: int | None = 3
    context: int = 0


@dataclass
class Candidate:
    """A ranked chunk while the page is assembled; `duplicates` counts the near-copies folded into it."""

    row: int
    doc_id: str
    score: float
    signature: frozenset[int]
    blob: bytes  # the signature as stored
    duplicates: int = 0


@dataclass(frozen=True)
class Highlighting:
    """What to mark in every hit of one search: terms by weight, and at most how many spans."""

    terms: dict[str, float]
    max_spans: int | None = None


@dataclass(frozen=True)
class SearchPage:
    """One page of hits; `more` says whether a next page has any, `total` how many hits were counted:
    exact when `more` is false, and a lower bound (this page and the first hit after it) when true.

    Counting every candidate past the page would mean collapsing all of them; and a count of candidates
    is no count of relevant passages (nonsense finds its 200 nearest neighbours too). What a reader can
    rely on is whether there is a next page.
    """

    hits: list[Hit]
    total: int
    more: bool
    mode: Mode


def keyword_weight(query: str) -> float:
    """Share of the keyword side in hybrid fusion.

    A few words are best matched literally (BM25 is the stronger side there); a pasted paragraph is best
    matched by meaning, where its many common words only add noise to BM25.
    """
    short, long = 12, 80
    length = min(max(len(query), short), long)
    return 0.6 - 0.2 * (length - short) / (long - short)


def min_max(ranked: Ranked) -> dict[int, float]:
    """Scores rescaled to [0, 1] within one side's candidates, so the two sides can be added."""
    if not ranked:
        return {}
    scores = [score for _, score in ranked]
    low, span = min(scores), (max(scores) - min(scores)) or 1.0
    return {row: (score - low) / span for row, score in ranked}


def fuse(keyword: Ranked, semantic: Ranked, weight: float) -> Ranked:
    """Convex combination of min-max normalised scores; a candidate missing on one side gets 0 there.

    Unlike reciprocal-rank fusion it keeps how far apart candidates are: a passage far ahead on BM25 stays
    ahead (0.853 vs 0.845 nDCG@10 on the dev set).
    """
    lexical, dense = min_max(keyword), min_max(semantic)
    fused = {
        row: weight * lexical.get(row, 0.0) + (1 - weight) * dense.get(row, 0.0) for row in lexical | dense
    }
    return sorted(fused.items(), key=lambda item: -item[1])


def is_blank(text: str) -> bool:
    """Nothing to search for: only white space, control and format characters (NUL, zero-width space)."""
    return all(character.isspace() or unicodedata.category(character) in ("Cc", "Cf") for character in text)


class QueryWords:
    """A search-normalised query's words, tokenised once for both the keyword side and the highlighting;
    how many passages use each is read once too, and only for a query long enough to need it."""

    def __init__(self, normalized: str, keywords: KeywordSearch) -> None:
        self.text = normalized
        self.words = list(dict.fromkeys(tokenize_for_search(normalized)))  # distinct, in order
        self._keywords = keywords

    @cached_property
    def frequencies(self) -> tuple[int, dict[str, int]]:
        """The passages indexed, and how many use each word (a word no passage uses is absent)."""
        return self._keywords.term_frequencies(self.words)


def query_terms(query: QueryWords) -> list[str]:
    """Terms to highlight: the query's words of two or more characters, and the query itself when short."""
    terms = [term for term in query.words if len(term) >= 2]
    text = query.text.strip()
    if 2 <= len(text) <= LONG_QUERY_CHARS and " " not in text:
        terms.append(text)
    return list(dict.fromkeys(terms))


class QueryEncoder(Protocol):
    """A model: query texts to unit vectors."""

    def embed_query(self, texts: Sequence[str]) -> np.ndarray: ...


class QueryVectors(Protocol):
    """What the searcher needs: a query's unit vector, computed elsewhere while it does other work."""

    def submit(self, text: str) -> Future[np.ndarray]: ...


class Searcher:
    """Ranks chunks for a query over one catalog, a keyword side and a dense side."""

    def __init__(
        self, catalog: Catalog, keywords: KeywordSearch, vectors: DenseSearch, encoder: QueryVectors
    ) -> None:
        self.catalog = catalog
        self.keywords = keywords
        self.vectors = vectors
        self.encoder = encoder

    def search(self, query: str, options: SearchOptions) -> SearchPage:
        """Passages for a query: a few words (招商引资), a request (searched by its topic) or a paragraph."""
        normalized = normalize_for_search(query).strip()
        if is_blank(normalized):
            raise InvalidInput("query is empty")
        words = QueryWords(analyse(normalized).topic, self.keywords)
        return self.page(self.rank(words, None, options), self.highlighting(words), options)

    def similar(self, chunk_id: str, options: SearchOptions) -> SearchPage:
        """Paragraphs like a stored one, from other documents."""
        row = self.catalog.chunk_row_id(chunk_id)
        if row is None:
            raise UnknownChunk(chunk_id)
        chunk, document = self.catalog.chunks_by_row([row])[row]
        excluded = (*options.filters.exclude_doc_ids, document.doc_id)
        options = replace(options, filters=replace(options.filters, exclude_doc_ids=excluded))
        words = QueryWords(normalize_for_search(chunk.text), self.keywords)
        ranked = self.rank(words, self.vectors.vector(row), options)
        return self.page(ranked, self.highlighting(words), options)

    def highlighting(self, query: QueryWords) -> Highlighting:
        """Every term of a few words; of a pasted paragraph, only the distinctive terms and a few spans."""
        terms = query_terms(query)
        if len(query.text.strip()) <= LONG_QUERY_CHARS:
            return Highlighting(dict.fromkeys(terms, 1.0))
        passages, frequencies = query.frequencies
        return Highlighting(distinctive_terms(terms, passages, frequencies), MAX_LONG_QUERY_SPANS)

    def rank(self, query: QueryWords, vector: np.ndarray | None, options: SearchOptions) -> Ranked:
        keyword: Ranked = []
        semantic: Ranked = []
        dense = options.mode in ("semantic", "hybrid")
        # The model embeds the query on its own thread (GIL released) while the keyword side runs here.
        pending = self.encoder.submit(query.text) if dense and vector is None else None
        if options.mode in ("keyword", "hybrid"):
            keyword = self.keywords.search(self.keyword_terms(query), options.filters, CANDIDATE_POOL)
        if pending is not None:
            vector = pending.result()
        if dense and vector is not None:
            semantic = self.vectors.search(vector, CANDIDATE_POOL, options.filters)
        if options.mode == "keyword":
            return keyword
        if options.mode == "semantic":
            return semantic
        return fuse(keyword, semantic, keyword_weight(query.text))

    def keyword_terms(self, query: QueryWords) -> list[str]:
        """The query's words in order; of a long one, only the MAX_KEYWORD_TERMS used by fewest passages."""
        if len(query.words) <= MAX_KEYWORD_TERMS:
            return query.words
        _, frequencies = query.frequencies
        rarest = set(sorted(query.words, key=lambda term: frequencies.get(term, 0))[:MAX_KEYWORD_TERMS])
        return [term for term in query.words if term in rarest]

    def page(self, ranked: Ranked, highlighting: Highlighting, options: SearchOptions) -> SearchPage:
        """The requested page of the collapsed ranking; only its hits are read in full and highlighted.

        Collapsing goes one hit past the page, so `more` is known, not guessed.
        """
        wanted = options.offset + options.k
        kept = self.collapse(ranked, wanted + 1, options)
        shown = kept[options.offset : wanted]
        rows = self.catalog.chunks_by_row([c.row for c in shown])
        texts = self.catalog.normalized_texts([c.row for c in shown])
        hits = [self.hit(c, *rows[c.row], texts[c.row], highlighting, options.context) for c in shown]
        return SearchPage(hits, len(kept), len(kept) > wanted, options.mode)

    def collapse(self, ranked: Ranked, wanted: int, options: SearchOptions) -> list[Candidate]:
        """The first `wanted` candidates in rank order once near-duplicates are folded into the first of
        them and each report has at most `per_document`."""
        kept: list[Candidate] = []
        copies: dict[bytes, Candidate] = {}  # kept candidates by signature: an exact copy needs no comparing
        per_document: dict[str, int] = {}
        examined = 0
        while len(kept) < wanted and examined < len(ranked):
            window = ranked[examined : examined + COLLAPSE_WINDOW]
            keys = self.catalog.collapse_keys([row for row, _ in window])
            # The window against the candidates kept before it, all pairs at once; those kept within the
            # window are compared one by one.
            known = len(kept) if options.dedupe else 0
            first: dict[int, int] = {}
            if known:
                blobs = {row: keys[row][1] for row, _ in window if row in keys}
                found = first_near_duplicates(list(blobs.values()), [c.blob for c in kept])
                first = dict(zip(blobs, found, strict=True))
            for row, score in window:
                if len(kept) >= wanted:
                    break
                examined += 1
                if row not in keys:
                    continue
                doc_id, signature = keys[row]
                candidate = Candidate(row, doc_id, score, frozenset(), signature)
                twin = copies.get(signature) if options.dedupe and signature else None
                if twin is None and first.get(row, -1) >= 0:
                    twin = kept[first[row]]
                if twin is None and options.dedupe:
                    candidate.signature = from_blob(signature)
                    twin = next(
                        (c for c in kept[known:] if near_duplicate(candidate.signature, c.signature)), None
                    )
                if twin is not None:
                    twin.duplicates += 1
                    continue
                if options.per_document is not None and per_document.get(doc_id, 0) >= options.per_document:
                    continue
                per_document[doc_id] = per_document.get(doc_id, 0) + 1
                kept.append(candidate)
                copies[signature] = candidate
        return kept

    def hit(
        self,
        candidate: Candidate,
        chunk: Chunk,
        document: DocumentInfo,
        normalized: str,
        highlighting: Highlighting,
        context: int,
    ) -> Hit:
        before, after = self.catalog.neighbours(chunk, context, context) if context else ([], [])
        spans = highlight_spans(normalized, highlighting.terms, highlighting.max_spans)
        return Hit(chunk, document, candidate.score, spans, tuple(before), tuple(after), candidate.duplicates)
