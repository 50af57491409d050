"""Query analysis: a short request is searched by its topic, without the words that only ask.

Writers type topics (招商引资) and requests (招商引资有哪些具体举措, 怎样写好数字经济这部分). Request words
(`data/request_words.txt`) name no topic: on the keyword side they match passages that merely share the
wording of a question, and on the dense side they pull the query's vector away from the topic. Removing
them lets a request rank like the topic it asks about.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from indexer.text.rules import rule_lines
from indexer.text.tokenize import cut_words, is_word_text

# Longer text is a pasted paragraph to match as a whole, not a request to analyse.
MAX_REQUEST_CHARS = 40
# Request phrases span at most this many jieba words (有哪些 is 有/哪些).
MAX_PHRASE_WORDS = 3


class QueryKind(StrEnum):
    """A topic as typed, a request reduced to its topic, or a pasted paragraph."""

    TERM = "term"
    REQUEST = "request"
    PASSAGE = "passage"


@dataclass(frozen=True)
class AnalysedQuery:
    """What to search for (`topic`) and what kind of query it came from."""

    topic: str
    kind: QueryKind


@cache
def request_words() -> frozenset[str]:
    return frozenset(line.strip() for line in rule_lines("request_words.txt"))


def analyse(normalized: str) -> AnalysedQuery:
    """The query's topic: the query less the request words that open and close it (whole words only)."""
    if len(normalized) > MAX_REQUEST_CHARS:
        return AnalysedQuery(normalized, QueryKind.PASSAGE)
    words = cut_words(normalized)
    start, end = 0, len(words)
    while start < end and (span := edge_span(words[start:end])):
        start += span
    while start < end and (span := edge_span(words[start:end][::-1], reverse=True)):
        end -= span
    topic = "".join(words[start:end])
    if start == end or topic == normalized:
        return AnalysedQuery(normalized, QueryKind.TERM)
    return AnalysedQuery(topic, QueryKind.REQUEST)


def edge_span(words: list[str], reverse: bool = False) -> int:
    """How many leading words ask rather than name: a blank or punctuation mark, or the longest request
    phrase; 0 if the topic starts here. With `reverse`, `words` run from the query's end backwards."""
    if not is_word_text(words[0]):
        return 1
    asking = request_words()
    for count in range(min(MAX_PHRASE_WORDS, len(words)), 0, -1):
        phrase = words[:count][::-1] if reverse else words[:count]
        if "".join(phrase) in asking:
            return count
    return 0
