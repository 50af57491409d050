"""BM25 in memory, scored exactly as FTS5's bm25() scores `chunk_terms` (sqlite ext/fts5/fts5_aux.c).

Per query term: idf = log((N - n + 0.5) / (n + 0.5)), at least 1e-6, with N the rows and n the rows that
hold the term in any column; tf = HEADING_WEIGHT × count in the headings + count in the text; D the row's
tokens over both columns, avgdl all tokens / N; score = Σ idf · tf (k1 + 1) / (tf + k1 (1 - b + b D / avgdl)).

A generation is a `Base` (a snapshot: postings grouped by term, and by row, memory-mapped from npy files)
minus the rows deleted since, plus a small delta of rows added since. N, n and the token total are kept
exact as rows come and go, so scores equal FTS5's at every generation. States are immutable: an update
makes a new one, so searches never see half an update.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from indexer.store.fts_tokens import Postings, Vocabulary

K1 = 1.2
B = 0.75
IDF_FLOOR = 1e-6
META_FILE = "meta.json"
# Snapshots of another format are rebuilt. 2: rows ascending within each term (bm25_top finds rows by
# binary search; snapshots merged by earlier code may hold them out of order).
SNAPSHOT_FORMAT = 2
TERMS_FILE = "terms.txt"


@dataclass(frozen=True)
class Base:
    """Postings by term (`term_start` into the posting arrays) and by row id (`row_start` into
    `row_terms`, what a deleted row subtracts from the document frequencies). Rows ascend within each
    term's run, so a top-k looks up its candidates there (`TermPostings.scores_at`)."""

    term_start: np.ndarray
    posting_rows: np.ndarray
    posting_heading: np.ndarray
    posting_body: np.ndarray
    row_start: np.ndarray
    row_terms: np.ndarray
    lengths: np.ndarray
    present: np.ndarray

    @classmethod
    def build(cls, postings: Postings, vocabulary_size: int) -> Base:
        """From postings in any order."""
        terms, rows = postings.terms, postings.rows
        size = int(max(postings.row_ids.max(initial=-1), rows.max(initial=-1))) + 1
        # A rebuild reads the rows in order: its postings are grouped by row already.
        in_order = bool(np.all(rows[1:] >= rows[:-1]))
        by_term = np.argsort(terms, kind="stable") if in_order else np.lexsort((rows, terms))
        by_row = slice(None) if in_order else np.argsort(rows, kind="stable")
        lengths = np.zeros(size, dtype=np.int32)
        lengths[postings.row_ids] = postings.lengths
        present = np.zeros(size, dtype=bool)
        present[postings.row_ids] = True
        return cls(
            term_start=starts(terms, vocabulary_size),
            posting_rows=postings.rows[by_term].astype(np.int32),
            posting_heading=postings.heading[by_term].astype(np.uint16),
            posting_body=postings.body[by_term].astype(np.uint16),
            row_start=starts(postings.rows, size),
            row_terms=terms[by_row].astype(np.int32),
            lengths=lengths,
            present=present,
        )

    def save(self, folder: Path) -> None:
        for field in dataclasses.fields(self):
            np.save(folder / f"{field.name}.npy", getattr(self, field.name))

    @classmethod
    def load(cls, folder: Path) -> Base:
        """Memory-mapped: only the postings of the terms searched are read from disk."""
        arrays = {  # plain arrays over the maps: indexing a np.memmap costs microseconds a call
            field.name: np.asarray(np.load(folder / f"{field.name}.npy", mmap_mode="r"))
            for field in dataclasses.fields(cls)
        }
        return cls(**arrays)


def starts(keys: np.ndarray, size: int) -> np.ndarray:
    """Offsets of each key's run in `keys` sorted (CSR row pointers)."""
    offsets = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=size), out=offsets[1:])
    return offsets


EMPTY = Postings(*(np.zeros(0, dtype=np.int64) for _ in range(6)))


def runs(offsets: np.ndarray, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The values of the given keys' runs (CSR rows), concatenated."""
    if len(keys) == 0:
        return np.zeros(0, dtype=values.dtype)
    return np.concatenate([values[offsets[key] : offsets[key + 1]] for key in keys.tolist()])


@dataclass(frozen=True)
class Keywords:
    """The keyword index of one generation, with exact BM25 statistics."""

    generation: int
    vocabulary: Vocabulary
    base: Base
    deleted: np.ndarray
    delta: Postings  # rows added since the base, postings sorted by term id
    frequencies: np.ndarray  # rows holding each term id, in any column
    rows: int
    tokens: int
    # Each base row's length normalisation, k1 (1 - b + b D / avgdl), at this generation's average: every
    # term's postings gather it, and it is computed with the state, not by the first search of it.
    norms: np.ndarray

    @classmethod
    def of_base(cls, base: Base, vocabulary: Vocabulary, generation: int) -> Keywords:
        rows, tokens = int(np.count_nonzero(base.present)), int(base.lengths.sum(dtype=np.int64))
        return cls(
            generation,
            vocabulary,
            base,
            np.zeros(len(base.present), dtype=bool),
            EMPTY,
            np.diff(base.term_start),
            rows,
            tokens,
            length_norms(base.lengths, tokens, rows),
        )

    def apply(self, changed: np.ndarray, added: Postings, generation: int) -> Keywords:
        """The next state: the `changed` rows removed, then `added` (those still stored) put back."""
        base, delta = self.base, self.delta
        inside = changed[changed < len(base.present)]
        gone = inside[base.present[inside] & ~self.deleted[inside]]
        deleted = self.deleted.copy()
        deleted[gone] = True
        frequencies = np.zeros(len(self.vocabulary), dtype=np.int64)
        frequencies[: len(self.frequencies)] = self.frequencies
        np.subtract.at(frequencies, runs(base.row_start, base.row_terms, gone), 1)
        kept = ~np.isin(delta.rows, changed)
        np.subtract.at(frequencies, delta.terms[~kept], 1)
        np.add.at(frequencies, added.terms, 1)
        kept_rows = ~np.isin(delta.row_ids, changed)
        rows = self.rows - len(gone) - int(np.count_nonzero(~kept_rows)) + len(added.row_ids)
        tokens = (
            self.tokens
            - int(base.lengths[gone].sum(dtype=np.int64))
            - int(delta.lengths[~kept_rows].sum())
            + int(added.lengths.sum())
        )
        terms = np.concatenate([delta.terms[kept], added.terms])
        order = np.argsort(terms, kind="stable")
        row_ids = np.concatenate([delta.row_ids[kept_rows], added.row_ids])
        row_order = np.argsort(row_ids)
        postings = Postings(
            terms[order],
            np.concatenate([delta.rows[kept], added.rows])[order],
            np.concatenate([delta.heading[kept], added.heading])[order],
            np.concatenate([delta.body[kept], added.body])[order],
            row_ids[row_order],
            np.concatenate([delta.lengths[kept_rows], added.lengths])[row_order],
        )
        return Keywords(
            generation,
            self.vocabulary,
            base,
            deleted,
            postings,
            frequencies,
            rows,
            tokens,
            length_norms(base.lengths, tokens, rows),
        )

    @cached_property
    def any_deleted(self) -> bool:
        return bool(self.deleted.any())

    def postings(self, term: str, heading_weight: float) -> TermPostings | None:
        """The postings of `term` (one FTS5 token) and its weight; None for a term no row holds."""
        number = self.vocabulary.ids.get(term)
        if number is None or number >= len(self.frequencies) or self.rows == 0:
            return None
        base, delta = self._runs(number)
        found = int(self.frequencies[number])
        idf = float(np.log((self.rows - found + 0.5) / (found + 0.5)))
        return TermPostings(self, base, delta, idf if idf > 0 else IDF_FLOOR, heading_weight)

    def live(self, rows: np.ndarray) -> np.ndarray:
        """Which of `rows` the generation holds: not deleted from the base, and in it or in the delta."""
        present = self.base.present
        inside = rows < len(present)
        held = np.zeros(len(rows), dtype=bool)
        held[inside] = present[rows[inside]] & ~self.deleted[rows[inside]]
        return held | np.isin(rows, self.delta.row_ids)

    def body_frequency(self, term: str) -> int:
        """Live rows using `term` (one FTS5 token) in their text, as FTS5's vocabulary counts by column:
        what a pasted paragraph's highlighting weighs terms by, read here in microseconds a term."""
        number = self.vocabulary.ids.get(term)
        if number is None or number >= len(self.frequencies):
            return 0
        base, delta = self._runs(number)
        used = self.base.posting_body[base] > 0
        if self.any_deleted:
            used &= ~self.deleted[self.base.posting_rows[base]]
        return int(np.count_nonzero(used)) + int(np.count_nonzero(self.delta.body[delta]))

    def _runs(self, number: int) -> tuple[slice, slice]:
        """Where term `number`'s postings are: its run in the base (none for a term newer than the base)
        and in the delta."""
        inside = number + 1 < len(self.base.term_start)
        base = slice(*self.base.term_start[number : number + 2].tolist()) if inside else slice(0, 0)
        return base, slice(*np.searchsorted(self.delta.terms, [number, number + 1]).tolist())

    def merged(self) -> Postings:
        """Every live posting, for the next snapshot."""
        base, delta = self.base, self.delta
        base_terms = np.repeat(np.arange(len(base.term_start) - 1, dtype=np.int32), np.diff(base.term_start))
        live = ~self.deleted[base.posting_rows]
        row_ids = np.flatnonzero(np.asarray(base.present) & ~self.deleted)
        return Postings(
            np.concatenate([base_terms[live], delta.terms]),
            np.concatenate([base.posting_rows[live], delta.rows]),
            np.concatenate([base.posting_heading[live], delta.heading]),
            np.concatenate([base.posting_body[live], delta.body]),
            np.concatenate([row_ids, delta.row_ids]),
            np.concatenate([base.lengths[row_ids], delta.lengths]),
        )

    def save(self, folder: Path) -> None:
        """The snapshot of this generation, written into `folder` (the caller renames it into place)."""
        size = len(self.frequencies)  # the terms known to this state: the writer may have added more since
        clean = self.delta.rows.size == 0 and not self.any_deleted and len(self.base.term_start) == size + 1
        (self.base if clean else Base.build(self.merged(), size)).save(folder)
        (folder / TERMS_FILE).write_text("\n".join(self.vocabulary.terms[:size]), encoding="utf-8")
        meta = {"generation": self.generation, "format": SNAPSHOT_FORMAT}
        (folder / META_FILE).write_text(json.dumps(meta))

    @classmethod
    def load(cls, folder: Path) -> Keywords:
        """A saved snapshot; ValueError or OSError when it is incomplete or damaged."""
        meta = json.loads((folder / META_FILE).read_text())
        if meta.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"keyword snapshot {folder} is of format {meta.get('format')}")
        generation = meta["generation"]
        text = (folder / TERMS_FILE).read_text(encoding="utf-8")
        vocabulary = Vocabulary(text.split("\n") if text else [])
        base = Base.load(folder)
        if len(base.term_start) != len(vocabulary) + 1 or len(base.row_start) != len(base.present) + 1:
            raise ValueError(f"keyword snapshot {folder} is inconsistent")
        return cls.of_base(base, vocabulary, generation)


@dataclass(frozen=True)
class TermPostings:
    """One query term's postings in a generation (`base` and `delta` windows) and the weights of its
    BM25 share. The share is below `bound` in every row, as tf saturates: what lets a top-k skip rows."""

    keywords: Keywords
    base: slice
    delta: slice
    idf: float
    heading_weight: float

    @property
    def bound(self) -> float:
        return self.idf * (K1 + 1)

    @property
    def size(self) -> int:
        """Postings to read to score them all (deleted ones included)."""
        return self.base.stop - self.base.start + self.delta.stop - self.delta.start

    def rows(self) -> np.ndarray:
        """Every row holding the term, deleted ones of the base included (what `live` tells apart)."""
        return np.concatenate(
            [self.keywords.base.posting_rows[self.base], self.keywords.delta.rows[self.delta]]
        )

    def scores(self) -> tuple[np.ndarray, np.ndarray]:
        """Every live row holding the term and the term's share of its score: base rows, then delta rows."""
        keywords, base = self.keywords, self.keywords.base
        rows = np.asarray(base.posting_rows[self.base], dtype=np.int64)
        live = ~keywords.deleted[rows] if keywords.any_deleted else slice(None)
        rows = rows[live]
        shares = self._shares(
            base.posting_heading[self.base][live], base.posting_body[self.base][live], keywords.norms[rows]
        )
        added, weights = self._delta_scores()
        return np.concatenate([rows, added]), np.concatenate([shares, weights])

    def scores_at(self, rows: np.ndarray) -> np.ndarray:
        """The term's share of the score of each of `rows` (ascending), 0 where absent. A term's base rows
        ascend (`Base`): only the candidates are looked up, not the whole list read."""
        keywords, base = self.keywords, self.keywords.base
        shares = np.zeros(len(rows))
        run = base.posting_rows[self.base]
        if len(run) and len(rows):
            at = np.searchsorted(run, rows.astype(run.dtype))
            hit = np.flatnonzero(run[np.minimum(at, len(run) - 1)] == rows)
            if keywords.any_deleted:
                hit = hit[~keywords.deleted[rows[hit]]]
            found = at[hit] + self.base.start
            shares[hit] = self._shares(
                base.posting_heading[found], base.posting_body[found], keywords.norms[rows[hit]]
            )
        if self.delta.stop == self.delta.start or not len(rows):
            return shares
        added, weights = self._delta_scores()
        if len(added):
            at = np.minimum(np.searchsorted(rows, added), len(rows) - 1)
            hit = np.flatnonzero(rows[at] == added)
            shares[at[hit]] = weights[hit]  # never a row live in the base too (`Keywords.apply`)
        return shares

    def _delta_scores(self) -> tuple[np.ndarray, np.ndarray]:
        delta = self.keywords.delta
        added = delta.rows[self.delta]
        lengths = delta.lengths[np.searchsorted(delta.row_ids, added)]
        norms = length_norms(lengths, self.keywords.tokens, self.keywords.rows)
        return added, self._shares(delta.heading[self.delta], delta.body[self.delta], norms)

    def _shares(self, heading: np.ndarray, body: np.ndarray, norms: np.ndarray) -> np.ndarray:
        tf = self.heading_weight * heading.astype(np.float64) + body
        return self.idf * (tf * (K1 + 1)) / (tf + norms)


def length_norms(lengths: np.ndarray, tokens: int, rows: int) -> np.ndarray:
    """k1 (1 - b + b D / avgdl) of rows of D tokens, avgdl being `tokens` over `rows` (any value while no
    row holds a token: no term's postings are scored then)."""
    return K1 * (1 - B + B * lengths / (tokens / rows if tokens else 1.0))
