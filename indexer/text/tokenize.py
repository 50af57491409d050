"""Chinese word segmentation shared by the keyword index, the query side and phrase mining.

One dedicated `jieba.Tokenizer` with the government-term dictionary (`data/userdict.txt`) is built once
per process. Search terms are cut without HMM discovery of unknown words: it makes the cut of a string
depend on its neighbours, so a query could be cut differently from the same words in a passage and miss
them. Phrase mining needs the opposite: word boundaries as good as possible (厚植 rather than 厚/植).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING

from indexer.text.rules import rule_lines

if TYPE_CHECKING:  # jieba loads on first cut, so commands that never segment text start without it
    import jieba

# jieba logs its dictionary loading at DEBUG to stderr through its own handler.
logging.getLogger("jieba").setLevel(logging.WARNING)


@cache
def stopwords() -> frozenset[str]:
    """Function words (`data/stopwords.txt`) that are neither search terms nor phrase edges."""
    return frozenset(line.strip() for line in rule_lines("stopwords.txt"))


@cache
def _tokenizer() -> jieba.Tokenizer:
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for line in rule_lines("userdict.txt"):
        word, frequency, tag = line.split()
        tokenizer.add_word(word, int(frequency), tag)
    return tokenizer


@cache
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech tag of each dictionary word (its own dictionary and ours)."""
    import jieba.posseg

    tagger = jieba.posseg.POSTokenizer(_tokenizer())
    tagger.makesure_userdict_loaded()
    return tagger.word_tag_tab


def word_tag(word: str) -> str | None:
    """The dictionary's part-of-speech tag of a word (v verb, n noun, a adjective …), None if unknown."""
    return _word_tags().get(word)


def is_word_text(token: str) -> bool:
    """True for tokens with a letter, digit or Han character (not punctuation or blanks)."""
    return any(character.isalnum() for character in token)


def cut_words(text: str) -> list[str]:
    """Precise-mode words with HMM, punctuation and blanks included: `"".join(cut_words(t)) == t`."""
    return _tokenizer().lcut(text, HMM=True)


def tokenize_for_search(text: str) -> list[str]:
    """Search terms of already normalised text: words plus their dictionary sub-words, no stopwords.

    Search mode adds the two- and three-character dictionary words inside a long word (招商引资 also
    gives 招商, 引资), so a query for the part finds the whole and the reverse.
    """
    excluded = stopwords()
    return [
        token
        for token in _tokenizer().cut_for_search(text, HMM=False)
        if token not in excluded and is_word_text(token)
    ]
