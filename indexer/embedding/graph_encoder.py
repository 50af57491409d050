"""Embedding with an exported graph: texts tokenised up front, then length-bucketed batches run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from indexer.embedding.runtimes import GraphRunner
from indexer.embedding.tokens import TextTokenizer, length_batches

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Prompts:
    """What a model puts before queries and documents (config_sentence_transformers.json)."""

    query: str = ""
    document: str = ""


class GraphEncoder:
    """Runs the graph over batches of similar token length and puts the rows back in input order."""

    def __init__(
        self,
        runner: GraphRunner,
        tokenizer: TextTokenizer,
        prompts: Prompts,
        dimension: int,
        batch_size: int,
        queries_alone: bool = False,
    ) -> None:
        """`queries_alone`: a graph whose rows depend on their batch (int8 with one activation scale per
        call: cosine 0.996 between a query batched and alone) embeds each query in a call of its own, so a
        query's vector, and its ranking, never depend on what else was searched at the same moment."""
        self._runner, self._tokenizer, self._prompts = runner, tokenizer, prompts
        self.dimension, self.batch_size = dimension, batch_size
        self._query_batch_size = 1 if queries_alone else batch_size

    def embed(self, texts: Sequence[str], query: bool, progress: Progress | None) -> np.ndarray:
        """With the model's query or document prompt in front, as sentence-transformers does (m3e: none)."""
        prompt = self._prompts.query if query else self._prompts.document
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        # All texts at once: the tokenizer runs in parallel in Rust, a small part of the model's time.
        ids = self._tokenizer.ids([prompt + text for text in texts] if prompt else texts)
        batches = list(length_batches(ids, self._query_batch_size if query else self.batch_size))
        for number, batch in enumerate(batches, 1):
            # A query's batch is small: only a call of passages leaves working memory worth giving back.
            last = number == len(batches) and not query
            vectors[batch.rows] = self._runner(batch.input_ids, batch.attention_mask, last)
            if progress is not None:
                progress(len(batch.rows))
        return vectors
