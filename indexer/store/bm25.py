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
TERMS_FILE = "terms.txt"


@dataclass(frozen=True)
class Base:
    """Postings by term (`term_start` into the posting arrays) and by row id (`row_start` into
    `row_terms`, what a deleted row subtracts from the document frequencies)."""

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
        terms = postings.terms
        size = int(max(postings.row_ids.max(initial=-1), postings.rows.max(initial=-1))) + 1
        by_term = np.argsort(terms, kind="stable")
        rows = postings.rows
        # A rebuild reads the rows in order: its postings are grouped by row already.
        by_row = slice(None) if np.all(rows[1:] >= rows[:-1]) else np.argsort(rows, kind="stable")
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
        arrays = {
            field.name: np.load(folder / f"{field.name}.npy", mmap_mode="r")
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

    @classmethod
    def of_base(cls, base: Base, vocabulary: Vocabulary, generation: int) -> Keywords:
        return cls(
            generation,
            vocabulary,
            base,
            np.zeros(len(base.present), dtype=bool),
            EMPTY,
            np.diff(base.term_start),
            int(np.count_nonzero(base.present)),
            int(base.lengths.sum(dtype=np.int64)),
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
        order = np.argsort(np.concatenate([delta.terms[kept], added.terms]), kind="stable")
        row_ids = np.concatenate([delta.row_ids[kept_rows], added.row_ids])
        row_order = np.argsort(row_ids)
        postings = Postings(
            np.concatenate([delta.terms[kept], added.terms])[order],
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
        )

    @cached_property
    def any_deleted(self) -> bool:
        return bool(self.deleted.any())

    def term_scores(self, term: str, heading_weight: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows holding `term` (one FTS5 token) and its share of their BM25 score."""
        number = self.vocabulary.ids.get(term)
        if number is None or number >= len(self.frequencies) or self.rows == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        base, delta = self.base, self.delta
        rows_, heading, body, lengths = [], [], [], []
        if number + 1 < len(base.term_start):
            window = slice(base.term_start[number], base.term_start[number + 1])
            rows = np.asarray(base.posting_rows[window], dtype=np.int64)
            live = ~self.deleted[rows] if self.any_deleted else slice(None)
            rows_.append(rows[live])
            heading.append(base.posting_heading[window][live])
            body.append(base.posting_body[window][live])
            lengths.append(base.lengths[rows[live]])
        window = slice(*np.searchsorted(delta.terms, [number, number + 1]))
        rows_.append(delta.rows[window])
        heading.append(delta.heading[window])
        body.append(delta.body[window])
        lengths.append(delta.lengths[np.searchsorted(delta.row_ids, delta.rows[window])])
        found = int(self.frequencies[number])
        idf = float(np.log((self.rows - found + 0.5) / (found + 0.5)))
        idf = idf if idf > 0 else IDF_FLOOR
        tf = heading_weight * np.concatenate(heading).astype(np.float64) + np.concatenate(body)
        average = self.tokens / self.rows
        norm = K1 * (1 - B + B * np.concatenate(lengths) / average)
        return np.concatenate(rows_), idf * (tf * (K1 + 1)) / (tf + norm)

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
        clean = self.delta.rows.size == 0 and not self.deleted.any() and len(self.base.term_start) == size + 1
        (self.base if clean else Base.build(self.merged(), size)).save(folder)
        (folder / TERMS_FILE).write_text("\n".join(self.vocabulary.terms[:size]), encoding="utf-8")
        (folder / META_FILE).write_text(json.dumps({"generation": self.generation}))

    @classmethod
    def load(cls, folder: Path) -> Keywords:
        """A saved snapshot; ValueError or OSError when it is incomplete or damaged."""
        generation = json.loads((folder / META_FILE).read_text())["generation"]
        text = (folder / TERMS_FILE).read_text(encoding="utf-8")
        vocabulary = Vocabulary(text.split("\n") if text else [])
        base = Base.load(folder)
        if len(base.term_start) != len(vocabulary) + 1 or len(base.row_start) != len(base.present) + 1:
            raise ValueError(f"keyword snapshot {folder} is inconsistent")
        return cls.of_base(base, vocabulary, generation)


def top(
    parts: list[tuple[np.ndarray, np.ndarray]], allowed: np.ndarray | None, k: int
) -> list[tuple[int, float]]:
    """Scores summed per row over the query's terms, in their order (as FTS5 adds them), best k first."""
    if not parts or sum(len(rows) for rows, _ in parts) == 0:
        return []
    size = max(int(rows.max(initial=-1)) for rows, _ in parts) + 1
    total = np.zeros(size)
    matched = np.zeros(size, dtype=bool)  # a byte a row: 8x less to scan for the candidates than `total`
    for rows, scores in parts:
        total[rows] += scores  # a term's rows are distinct
        matched[rows] = True
    if allowed is not None:
        mask = np.zeros(size, dtype=bool)
        mask[allowed[allowed < size]] = True
        matched &= mask
    candidates = np.flatnonzero(matched)
    if len(candidates) > k:
        candidates = candidates[np.argpartition(-total[candidates], k - 1)[:k]]
    order = np.lexsort((candidates, -total[candidates]))
    best = candidates[order]
    return list(zip(best.tolist(), total[best].tolist(), strict=True))
