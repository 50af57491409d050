"""Queries for load tests that no cache can answer: dev queries, each with a word drawn from the corpus."""

from __future__ import annotations

import json
import random
from pathlib import Path

from indexer.text.tokenize import tokenize_for_search

WORDS_FROM = 300_000  # characters of the corpus read for words to vary the queries with


def corpus_words(corpus: Path) -> list[str]:
    """Distinct words (two characters or more) of the first WORDS_FROM characters of the corpus."""
    text: list[str] = []
    for path in sorted(corpus.rglob("*")):
        if sum(map(len, text)) >= WORDS_FROM:
            break
        if path.suffix in (".txt", ".md"):
            text.append(path.read_text(encoding="utf-8", errors="ignore"))
        elif path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            text.extend(str(json.loads(line).get("content", "")) for line in lines if line.strip())
    words = {word for word in tokenize_for_search("".join(text)[:WORDS_FROM]) if len(word) >= 2}
    return sorted(word for word in words if all("\u4e00" <= character <= "\u9fff" for character in word))


class QueryMix:
    """The n-th query: a dev query plus a corpus word (seeded), or the dev queries round-robin."""

    def __init__(self, queries: list[str], words: list[str], seed: int = 0) -> None:
        self.queries = queries
        self.words = words
        self.seed = seed

    def __call__(self, number: int) -> str:
        query = self.queries[number % len(self.queries)]
        if not self.words:
            return query
        return f"{query} {random.Random(self.seed * 1_000_003 + number).choice(self.words)}"

    def __str__(self) -> str:
        if not self.words:
            return f"{len(self.queries)} queries round-robin"
        return f"{len(self.queries)} dev queries, each with one of {len(self.words)} corpus words"
