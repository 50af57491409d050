"""Topic phrases: the expressions that the passages retrieved for a query use, against the whole corpus.

Words are weighed first, where counts are large enough to trust: each word of the passages gets the
z-score of its weighted log-odds of appearing in the passages rather than in the rest of the corpus,
with the corpus counts as an informative Dirichlet prior (Monroe, Colaresi and Quinn 2008). A phrase
then scores by the mean weight of its words (a dictionary word such as 精准招商 weighs as much as the
topic words inside it, so it counts even when it occurs once), times the share of its corpus
occurrences that fall in the passages, times how surely it is a unit (a dictionary word, or set off by
punctuation rather than run into its neighbours). Candidates come from the passages themselves, so
phrases that occur only once are found too.
"""

from __future__ import annotations

import math
import re
import sqlite3
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from indexer.errors import InvalidInput
from indexer.phrases.candidates import HAN, QUOTES, Candidates, Kind, find_candidates, is_excluded
from indexer.phrases.statistics import corpus_phrase_counts, corpus_totals
from indexer.text.tokenize import stopwords

MAX_EXAMPLES = 3
# Most phrases one topic request returns.
MAX_TOPIC_PHRASES = 100
# Example sentences longer than this are cut to a window around the phrase.
MAX_SENTENCE_CHARS = 120
SENTENCE_END = re.compile(r"[。！？!?；;\n]")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Example:
    """A sentence of a passage that uses the phrase, and where it comes from."""

    chunk_id: str
    doc_id: str
    sentence: str


@dataclass(frozen=True)
class TopicPhrase:
    """A phrase as first written in the passages; `count` and `doc_count` are its occurrences and
    documents among them."""

    phrase: str
    score: float
    count: int
    doc_count: int
    examples: tuple[Example, ...]


@dataclass
class _Found:
    """Where a candidate occurs in the passages, gathered while reading them."""

    shown: str = ""
    count: int = 0
    free_sides: int = 0
    words: tuple[str, ...] = ()
    chunks: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)
    examples: list[Example] = field(default_factory=list)


def topic_phrases(
    connection: sqlite3.Connection, passages: Sequence[tuple[str, str, str]], *, k: int = 20
) -> list[TopicPhrase]:
    """The `k` phrases most distinctive of the passages (chunk_id, doc_id, text), with example sentences."""
    if k < 1:
        raise InvalidInput("k must be at least 1")
    unique = list({chunk_id: (chunk_id, doc_id, text) for chunk_id, doc_id, text in passages}.values())
    word_counts: Counter[str] = Counter()
    found: dict[str, _Found] = {}
    topic_words = 0
    for chunk_id, doc_id, text in unique:
        candidates = find_candidates(text)
        topic_words += candidates.word_count
        _gather(candidates, text, chunk_id, doc_id, word_counts, found)
    if not found:
        return []
    corpus = corpus_phrase_counts(connection, [*word_counts, *found])
    corpus_words = max(corpus_totals(connection).words, topic_words)
    weights = _word_weights(word_counts, corpus, topic_words, corpus_words)
    scored = sorted(
        ((_score(entry, phrase, weights, corpus), phrase) for phrase, entry in found.items()),
        key=lambda item: (-item[0], item[1]),
    )
    chosen: list[TopicPhrase] = []
    supports: list[tuple[str, frozenset[str], int]] = []
    for score, phrase in scored:
        if score <= 0 or len(chosen) == k:
            break
        entry = found[phrase]
        if is_excluded(phrase):
            continue
        support = frozenset(entry.chunks)
        # Nested candidates with the same occurrences say the same thing: keep the best of them.
        if any(
            count == entry.count and chunks == support and (phrase in other or other in phrase)
            for other, chunks, count in supports
        ):
            continue
        supports.append((phrase, support, entry.count))
        chosen.append(
            TopicPhrase(entry.shown, score, entry.count, len(entry.documents), tuple(entry.examples))
        )
    return chosen


def _gather(
    candidates: Candidates,
    original: str,
    chunk_id: str,
    doc_id: str,
    word_counts: Counter[str],
    found: dict[str, _Found],
) -> None:
    """Count the words of one passage, and record where its phrase candidates occur."""
    text = candidates.text
    excluded = stopwords()
    for start, end in candidates.words:
        word = text[start:end]
        if len(word) >= 2 and word not in excluded and HAN.fullmatch(word):
            word_counts[word] += 1
    word_starts = [start for start, _ in candidates.words]
    for start, end, kind, _ in candidates.occurrences:
        if kind is Kind.PART:
            continue
        phrase = text[start:end]
        entry = found.setdefault(phrase, _Found())
        entry.count += 1
        entry.free_sides += _is_free(text, start - 1) + _is_free(text, end)
        if not entry.shown:
            entry.shown = original[start:end]
            first = bisect_left(word_starts, start)
            inside = candidates.words[first : bisect_left(word_starts, end, lo=first)]
            entry.words = tuple(text[a:b].strip(QUOTES) for a, b in inside if HAN.search(text, a, b))
        entry.documents.add(doc_id)
        if chunk_id not in entry.chunks and len(entry.examples) < MAX_EXAMPLES:
            entry.examples.append(Example(chunk_id, doc_id, _sentence(original, start, end)))
        entry.chunks.add(chunk_id)


def _is_free(text: str, position: int) -> bool:
    """Punctuation or the edge of the text beside a phrase: the writer set it off as a unit there.

    Not a quote mark: 坚持招商引资 before “一把手”工程 is cut short of its formulation.
    """
    return not (0 <= position < len(text) and (HAN.match(text, position) or text[position] in QUOTES))


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end], cut to a window around it when long."""
    before = max((match.end() for match in SENTENCE_END.finditer(text, 0, start)), default=0)
    after_match = SENTENCE_END.search(text, end)
    after = after_match.end() if after_match else len(text)
    sentence_start, sentence_end = before, after
    if after - before > MAX_SENTENCE_CHARS:
        margin = (MAX_SENTENCE_CHARS - (end - start)) // 2
        sentence_start = max(before, start - margin)
        sentence_end = min(after, end + margin)
    sentence = text[sentence_start:sentence_end].strip()
    prefix = ELLIPSIS if sentence_start > before else ""
    suffix = ELLIPSIS if sentence_end < after else ""
    return prefix + sentence + suffix


def _word_weights(
    word_counts: Counter[str], corpus: dict[str, tuple[int, int]], topic_words: int, corpus_words: int
) -> dict[str, float]:
    """z-scores of the weighted log-odds (informative Dirichlet prior) of the passages' words; >0 only."""
    rest_words = max(corpus_words - topic_words, 1)
    weights = {}
    for word, in_topic in word_counts.items():
        in_corpus = max(corpus.get(word, (0, 0))[0], in_topic)
        in_rest = in_corpus - in_topic
        # The prior: the corpus counts themselves, so rare words are shrunk towards no difference.
        prior, prior_total = in_corpus, corpus_words
        delta = math.log((in_topic + prior) / (topic_words + prior_total - in_topic - prior)) - math.log(
            (in_rest + prior) / (rest_words + prior_total - in_rest - prior)
        )
        z = delta / math.sqrt(1 / (in_topic + prior) + 1 / (in_rest + prior))
        if z > 0:
            weights[word] = z
    return weights


def _score(
    entry: _Found, phrase: str, weights: dict[str, float], corpus: dict[str, tuple[int, int]]
) -> float:
    """Mean topic weight of its words × share of its corpus occurrences in the passages × unit form."""
    weight = sum(_word_weight(word, weights) for word in entry.words) / max(len(entry.words), 1)
    concentration = entry.count / max(corpus.get(phrase, (0, 0))[0], entry.count)
    # One for a dictionary word (精准招商, 以商招商); else one half for a phrase always run into its
    # neighbours, up to one for a phrase always set off by punctuation.
    form = 1.0 if len(entry.words) == 1 else (2 + entry.free_sides / entry.count) / 4
    return weight * concentration * form


def _word_weight(word: str, weights: dict[str, float]) -> float:
    """A word's own weight, or the per-character weight of topic words inside it (乡贤招商 through 招商)."""
    inside = [
        (weights[word[start:end]], start, end)
        for start in range(len(word))
        for end in range(start + 2, len(word) + 1)
        if end - start < len(word) and word[start:end] in weights
    ]
    covered = [False] * len(word)
    weight = 0.0
    # The heaviest first, each character counted once (招商引资 is not also 招商 plus 引资).
    for z, start, end in sorted(inside, reverse=True):
        if not any(covered[start:end]):
            weight += z * (end - start)
            covered[start:end] = [True] * (end - start)
    return max(weights.get(word, 0.0), weight / len(word))
