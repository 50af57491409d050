"""Corpus-wide phrase mining: the classic new-word discovery method over the stored phrase statistics.

A word n-gram is a phrase when several documents use it, its words stick together more than chance
allows (cohesion: the pointwise mutual information of its weakest split) and it combines freely with
what surrounds it (freedom: the entropy of its left and right neighbour characters, the lower of the
two). Structural candidates (series, lists, 以…为… patterns, pairs) are delimited by their structure and
are judged by spread alone. A report's procedure and time expressions (各位代表, 请予审议, 过去一年) are
common and cohesive but no formulation: they are never offered.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from indexer.errors import InvalidInput
from indexer.phrases.candidates import Kind, display_form, is_excluded
from indexer.phrases.statistics import FREE, corpus_totals, create_phrase_tables, decode_splits
from indexer.store.database import in_batches

PhraseKind = Literal["ngram", "series", "list", "pattern", "pair"]
KIND_NAMES: dict[Kind, PhraseKind] = {
    Kind.NGRAM: "ngram",
    Kind.PAIR: "pair",
    Kind.PATTERN: "pattern",
    Kind.LIST: "list",
    Kind.SERIES: "series",
}
# Most mined phrases one request returns.
MAX_MINED_PHRASES = 1000
# Natural-log thresholds, tuned on the national reports: below them the survivors are mostly fragments
# (的发展, 进一步加) or chance neighbours of frequent words.
MIN_COHESION = 3.0
MIN_FREEDOM = 1.0
# Beyond these, more cohesion or freedom says nothing more about being a phrase.
COHESION_CAP = 8.0
FREEDOM_CAP = 3.0


@dataclass(frozen=True)
class MinedPhrase:
    """A phrase used across the corpus; `count` is its occurrences, `doc_count` the documents using it."""

    phrase: str
    score: float
    doc_count: int
    count: int
    kind: PhraseKind


def mine_phrases(connection: sqlite3.Connection, *, min_docs: int = 2, limit: int = 500) -> list[MinedPhrase]:
    """Phrases used by at least `min_docs` documents, best first.

    An n-gram scores spread × cohesion × freedom (each of the last two capped and scaled to 0–1); a
    structure scores its spread alone, counted over the documents that use it as that structure.
    """
    if min_docs < 1 or limit < 1:
        raise InvalidInput("min_docs and limit must be at least 1")
    create_phrase_tables(connection)
    words = corpus_totals(connection).words
    counts: dict[str, int] = {}
    structures: list[MinedPhrase] = []
    ngrams: list[tuple[str, int, int, tuple[int, ...]]] = []
    # Every document using a phrase also uses its parts, so the parts are among these rows.
    for phrase, doc_count, count, kind, splits, structural_docs in connection.execute(
        "SELECT phrase, COUNT(*), SUM(count), MAX(kind), MAX(splits), SUM(kind >= ?) FROM phrase_counts"
        " GROUP BY phrase HAVING COUNT(*) >= ?",
        (Kind.PAIR, min_docs),
    ):
        counts[phrase] = count
        if is_excluded(phrase):
            continue
        if structural_docs >= min_docs:
            # A structure only where enough documents use it as one (社会主义 is a word that sometimes
            # sits in a series, not a series phrase).
            score = math.log1p(structural_docs)
            structures.append(
                MinedPhrase(display_form(phrase), score, structural_docs, count, KIND_NAMES[kind])
            )
        elif kind >= Kind.NGRAM and splits:
            ngrams.append((phrase, doc_count, count, decode_splits(splits)))
    cohesive = [
        (phrase, doc_count, count, cohesion)
        for phrase, doc_count, count, splits in ngrams
        if (cohesion := _cohesion(phrase, splits, count, counts, words)) >= MIN_COHESION
    ]
    freedoms = _freedoms(connection, [phrase for phrase, *_ in cohesive])
    mined = structures + [
        MinedPhrase(phrase, _score(doc_count, cohesion, freedoms[phrase]), doc_count, count, "ngram")
        for phrase, doc_count, count, cohesion in cohesive
        if freedoms[phrase] >= MIN_FREEDOM
    ]
    mined.sort(key=lambda phrase: (-phrase.score, phrase.phrase))
    return mined[:limit]


def _cohesion(phrase: str, splits: tuple[int, ...], count: int, counts: dict[str, int], words: int) -> float:
    """PMI of the weakest way to cut the phrase in two at a word boundary."""
    return min(
        (
            math.log(count * words / (counts[phrase[:split]] * counts[phrase[split:]]))
            for split in splits
            if phrase[:split] in counts and phrase[split:] in counts
        ),
        default=0.0,
    )


def _freedoms(connection: sqlite3.Connection, phrases: list[str]) -> dict[str, float]:
    """The lower of the left and right neighbour entropies of each phrase, over all documents."""
    left: dict[str, list[str]] = {}
    right: dict[str, list[str]] = {}
    sql = (
        "SELECT phrase, left_neighbours, right_neighbours FROM phrase_counts"
        " WHERE kind > 0 AND phrase IN ({})"
    )
    for phrase, left_neighbours, right_neighbours in in_batches(connection, sql, phrases):
        left.setdefault(phrase, []).append(left_neighbours)
        right.setdefault(phrase, []).append(right_neighbours)
    return {
        phrase: min(_entropy("".join(left.get(phrase, ()))), _entropy("".join(right.get(phrase, ()))))
        for phrase in phrases
    }


def _entropy(neighbours: str) -> float:
    """Shannon entropy of the neighbour characters, each FREE mark counted as a distinct neighbour."""
    total = len(neighbours)
    if total == 0:
        return 0.0
    counts: Iterable[int] = Counter(neighbours.replace(FREE, "")).values()
    free = neighbours.count(FREE)
    return -sum(n / total * math.log(n / total) for n in counts) + free / total * math.log(total)


def _score(doc_count: int, cohesion: float, freedom: float) -> float:
    """Spread across documents, weighted by how clearly the statistics say "phrase"."""
    return (
        math.log1p(doc_count)
        * min(cohesion, COHESION_CAP)
        / COHESION_CAP
        * min(freedom, FREEDOM_CAP)
        / FREEDOM_CAP
    )
