"""What the index stores for a chunk beside its text: the text embedded, keyword terms, the cache key."""

from __future__ import annotations

import hashlib

from indexer.records import Chunk
from indexer.store.catalog import StoredChunk
from indexer.store.upgrades import search_columns
from indexer.text.normalize import normalize_for_search
from indexer.text.tokenize import tokenize_for_search


def passage_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: its own search-normalised text.

    Prefixing the title or heading path lowered m3e-small's nDCG@10 on the dev set (0.72 → 0.67), so the
    headings reach ranking through the keyword index instead (docs/benchmarks.md).
    """
    return normalize_for_search(chunk.text)


def embedding_key(model_id: str, text: str) -> str:
    """The embedding cache's key: a vector belongs to one model and one text."""
    return hashlib.sha1(f"{model_id}\n{text}".encode()).hexdigest()


def stored_chunk(chunk: Chunk, model_id: str) -> StoredChunk:
    """A chunk with what searches read (folded text, signature), its keyword terms (headings and text
    apart) and the cache key of its vector."""
    text = passage_text(chunk)
    normalized, signature = search_columns(chunk.text)
    return StoredChunk(
        chunk,
        normalized=normalized,
        signature=signature,
        heading_terms=" ".join(tokenize_for_search(normalize_for_search("\n".join(chunk.heading_path)))),
        body_terms=" ".join(tokenize_for_search(text)),
        embedding_key=embedding_key(model_id, text),
    )
