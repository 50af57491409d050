"""Phrase candidates in a text: word n-grams on jieba boundaries and the structures reports are built of.

Every candidate is a span of the text that starts and ends on a word boundary, so no extractor can cut a
word in two (招商引资 never yields 商引资). Texts are passed through `normalize_for_search`, which keeps
lengths, so a span is also a span of the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from itertools import accumulate, chain
from typing import NamedTuple

from indexer.text.normalize import normalize_for_search
from indexer.text.rules import rule_rows
from indexer.text.tokenize import cut_words, stopwords, word_tag

MAX_WORDS = 4
MIN_CHARS = 2
MAX_CHARS = 10
# Longest single clause kept as a list item or one side of a pair; longer ones are sentences.
MAX_CLAUSE_CHARS = 16
MAX_PAIR_SIDE = 12
MIN_PAIR_SIDE = 5
# "以…为…": at most this many words between 以 and 为.
MAX_PATTERN_WORDS = 6

HAN = re.compile(r"[\u4e00-\u9fff]+")
# A short quoted term (“一把手”, “五个一批”) is one word, so 招商引资“一把手”工程 is a three-word phrase.
QUOTED_TERM = re.compile(r"[“‘][\u4e00-\u9fff]{1,8}[”’]")
QUOTES = "“”‘’"
SERIES = re.compile(r"(?:[\u4e00-\u9fff]{4}、){2,}[\u4e00-\u9fff]{4}")
LIST_MARKER = re.compile(r"(?<![\u4e00-\u9fff])([一二三四五六七八九十])是")
# After normalize_for_search the full-width comma is ",".
PAIR_SEPARATORS = ",、"
MIN_SERIES_ITEMS = 3


@cache
def _rules(kind: str) -> re.Pattern[str]:
    return re.compile(
        "|".join(
            f"(?:{pattern})" for rule_kind, pattern in rule_rows("phrase_rules.txt") if rule_kind == kind
        )
    )


def is_excluded(phrase: str) -> bool:
    """Whether a phrase is a report's procedure or a time expression (各位代表, 请予审议, 过去一年), or opens
    with a list marker (四要推进贸易便利化): never offered as a formulation."""
    folded = normalize_for_search(phrase)
    return bool(_rules("procedure").search(folded) or _rules("fragment").search(folded))


class Kind(IntEnum):
    """What found a span; a span found twice keeps the higher (more specific) kind."""

    PART = 0  # counted only because longer candidates are made of it (cohesion needs its frequency)
    NGRAM = 1
    PAIR = 2
    PATTERN = 3
    LIST = 4
    SERIES = 5


class Occurrence(NamedTuple):
    """One candidate span of a text; `splits` are the offsets inside it where it may be cut in two.

    A named tuple rather than a dataclass: a report yields over a million spans, and tuples are cheap.
    """

    start: int
    end: int
    kind: Kind
    splits: tuple[int, ...] = ()


# normalize_for_search makes Chinese punctuation half-width; phrases are shown with the Chinese marks.
FULL_WIDTH = str.maketrans({",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"})


def display_form(phrase: str) -> str:
    """A folded phrase as people write it: 强化党性教育,厚植民生情怀 → 强化党性教育，厚植民生情怀."""
    return phrase.translate(FULL_WIDTH)


def han_length(phrase: str) -> int:
    """Length without quote marks: 招商引资“一把手”工程 counts nine characters."""
    return len(phrase) - sum(phrase.count(mark) for mark in QUOTES)


@dataclass(frozen=True)
class Candidates:
    """A text folded for matching, its words and its candidate spans (spans of the original text too)."""

    text: str
    words: tuple[tuple[int, int], ...]
    occurrences: tuple[Occurrence, ...]

    @property
    def word_count(self) -> int:
        """Words a phrase may be made of (punctuation, digits and Latin letters are not counted)."""
        return sum(len(run) for run in _runs(self.text, self.words))


def find_candidates(text: str) -> Candidates:
    """All candidate spans of a text, one per span, with the most specific kind that found it."""
    folded = normalize_for_search(text)
    words = _word_spans(folded)
    boundaries = {start for start, _ in words} | {end for _, end in words}
    structures: dict[tuple[int, int], Kind] = {}
    for start, end, kind, _ in chain(
        _series(folded, boundaries),
        _list_items(folded, boundaries),
        _patterns(folded, words),
        _pairs(folded, boundaries),
    ):
        structures[start, end] = max(kind, structures.get((start, end), Kind.PART))
    word_ends = dict(words)
    found = []
    for run in _runs(folded, words):
        governs_list = _governs_a_noun_list(folded, run, word_ends)
        for occurrence in _ngrams(folded, run):
            structure = structures.pop((occurrence.start, occurrence.end), Kind.PART)
            if structure > occurrence.kind:
                occurrence = occurrence._replace(kind=structure)
            elif occurrence.kind is Kind.NGRAM and _is_fragment(folded, occurrence, governs_list):
                occurrence = occurrence._replace(kind=Kind.PART)
            found.append(occurrence)
    found.extend(Occurrence(start, end, kind) for (start, end), kind in structures.items())
    found.sort()
    return Candidates(folded, tuple(words), tuple(found))


def _word_spans(text: str) -> list[tuple[int, int]]:
    """jieba words as (start, end), with each short quoted term merged into one word."""
    ends = list(accumulate(len(word) for word in cut_words(text)))
    spans = list(zip([0, *ends[:-1]], ends, strict=True))
    quoted = [match.span() for match in QUOTED_TERM.finditer(text)]
    if not quoted:
        return spans
    merged: list[tuple[int, int]] = []
    quote_index = 0
    for start, end in spans:
        while quote_index < len(quoted) and quoted[quote_index][1] <= start:
            quote_index += 1
        if quote_index < len(quoted) and quoted[quote_index][0] <= start < quoted[quote_index][1]:
            quote_start, quote_end = quoted[quote_index]
            if not merged or merged[-1] != (quote_start, quote_end):
                merged.append((quote_start, quote_end))
            continue
        merged.append((start, end))
    return merged


def _is_unit(text: str, span: tuple[int, int]) -> bool:
    """A word a phrase may contain: Han characters only, or a quoted term."""
    word = text[span[0] : span[1]]
    return bool(HAN.fullmatch(word)) or bool(QUOTED_TERM.fullmatch(word))


def _runs(text: str, words: Sequence[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    """Maximal runs of consecutive phrase words: punctuation, digits and Latin letters end a run."""
    run: list[tuple[int, int]] = []
    for span in words:
        if _is_unit(text, span):
            run.append(span)
        elif run:
            yield run
            run = []
    if run:
        yield run


def _ngrams(text: str, run: list[tuple[int, int]]) -> Iterator[Occurrence]:
    """Spans of one to four words of a run, 2–10 characters; PART unless it could be a phrase on its own."""
    excluded = stopwords()
    lengths = [han_length(text[start:end]) for start, end in run]
    # A one-character word at an edge is mostly an affix cut off its word (常态|化|开展).
    edge = [end - start >= 2 and text[start:end] not in excluded for start, end in run]
    for first, (start, _) in enumerate(run):
        length = 0
        for last in range(first, min(first + MAX_WORDS, len(run))):
            length += lengths[last]
            if length > MAX_CHARS:
                break
            if length < MIN_CHARS:
                continue
            end = run[last][1]
            if edge[first] and edge[last] and (last > first or (length >= 3 and text[start] not in QUOTES)):
                splits = tuple(run[inner][0] - start for inner in range(first + 1, last + 1))
                yield Occurrence(start, end, Kind.NGRAM, splits)
            elif last - first < MAX_WORDS - 1:
                # Only ever needed as the part of a longer phrase, which the longest span cannot be.
                yield Occurrence(start, end, Kind.PART)


def _governs_a_noun_list(text: str, run: list[tuple[int, int]], word_ends: dict[int, int]) -> bool:
    """Whether a clause ends at the 、 of a list of nouns (拓展中间品贸易、绿色贸易): a word that is no verb
    by jieba's part-of-speech tags follows the 、 (一是优化营商环境、深化改革 lists actions instead)."""
    end = run[-1][1]
    if end >= len(text) or text[end] != "、":
        return False
    after = text[end + 1 : word_ends.get(end + 1, end + 1)]
    return not (word_tag(after) or "").startswith("v")


def _is_fragment(text: str, occurrence: Occurrence, governs_list: bool) -> bool:
    """An n-gram that drifts across a structure instead of being a phrase:

    a verb with the first item of the noun list it governs (拓展中间品贸易, 出台服务贸易, whose phrase is the
    item or the list), or a piece of a 以…为… pattern (推进以县城, 县城为重要载体).
    """
    start = occurrence.start
    inner = [
        text[start + a : start + b]
        for a, b in zip((0, *occurrence.splits), (*occurrence.splits, occurrence.end - start), strict=True)
    ]
    if any(word in ("以", "为") for word in inner[1:-1]):
        return True
    return governs_list and any(word_tag(word) == "v" for word in inner[:-1])


def _series(text: str, boundaries: set[int]) -> Iterator[Occurrence]:
    """Three or more four-character items joined by 、 (苦干实干、勇毅前行、接续奋斗), and each item."""
    for match in SERIES.finditer(text):
        items = [
            (match.start() + offset, match.start() + offset + 4) for offset in range(0, len(match[0]), 5)
        ]
        # Inner items sit between 、 marks; the outer ones must also end on a word boundary.
        while items and items[0][0] not in boundaries:
            items.pop(0)
        while items and items[-1][1] not in boundaries:
            items.pop()
        if len(items) < MIN_SERIES_ITEMS:
            continue
        yield Occurrence(items[0][0], items[-1][1], Kind.SERIES)
        for start, end in items:
            yield Occurrence(start, end, Kind.SERIES)


def _list_items(text: str, boundaries: set[int]) -> Iterator[Occurrence]:
    """The opening clause of each item of a 一是…二是… list.

    A marker after punctuation or at the start of a text is enough: chunks often split a list, and a
    numeral before 是 that follows a Han character (统一是, 其一是) is no marker.
    """
    for marker in LIST_MARKER.finditer(text):
        start = marker.end()
        clause = HAN.match(text, start)
        if clause is None or start not in boundaries:
            continue
        if MIN_CHARS <= len(clause[0]) <= MAX_CLAUSE_CHARS and clause.end() in boundaries:
            yield Occurrence(start, clause.end(), Kind.LIST)


def _patterns(text: str, words: Sequence[tuple[int, int]]) -> Iterator[Occurrence]:
    """以X为Y with Y one word (以人民为中心, 以供给侧结构性改革为主线, 以项目建设为抓手)."""
    excluded = stopwords()
    for index, (start, end) in enumerate(words):
        word = text[start:end]
        if len(word) > 3 and word[0] == "以" and "为" in word[2:-1] and HAN.fullmatch(word):
            yield Occurrence(start, end, Kind.PATTERN)
            continue
        if word != "以":
            continue
        for middle in range(index + 2, min(index + 2 + MAX_PATTERN_WORDS, len(words) - 1)):
            if not _is_unit(text, words[middle - 1]):
                break
            if text[words[middle][0] : words[middle][1]] != "为":
                continue
            tail_start, tail_end = words[middle + 1]
            tail = text[tail_start:tail_end]
            if _rules("modifier").search(tail) and middle + 2 < len(words):
                # 以县城为重要载体: 重要 only qualifies the word the pattern ends with.
                tail_end = words[middle + 2][1]
                tail = text[tail_start:tail_end]
            if len(tail) >= 2 and HAN.fullmatch(tail) and tail not in excluded:
                if tail_end - start <= MAX_CLAUSE_CHARS:
                    yield Occurrence(start, tail_end, Kind.PATTERN)
            break


def _pairs(text: str, boundaries: set[int]) -> Iterator[Occurrence]:
    """对仗: two whole clauses of equal length (5–12) and the same word lengths, joined by ，or 、."""
    clauses = list(HAN.finditer(text))
    for left, right in zip(clauses, clauses[1:], strict=False):
        if right.start() != left.end() + 1 or text[left.end()] not in PAIR_SEPARATORS:
            continue
        if not MIN_PAIR_SIDE <= len(left[0]) == len(right[0]) <= MAX_PAIR_SIDE or left[0] == right[0]:
            continue
        # Whole clauses only: a run that touches a digit or a Latin letter is part of a longer clause.
        if text[left.start() - 1 : left.start()].isalnum() or text[right.end() : right.end() + 1].isalnum():
            continue
        left_shape = _word_lengths(left.span(), boundaries)
        if len(left_shape) >= 2 and left_shape == _word_lengths(right.span(), boundaries):
            yield Occurrence(left.start(), right.end(), Kind.PAIR)


def _word_lengths(span: tuple[int, int], boundaries: set[int]) -> tuple[int, ...]:
    cuts = [position for position in range(span[0], span[1] + 1) if position in boundaries]
    return tuple(b - a for a, b in zip(cuts, cuts[1:], strict=False))
