"""Turn text into unit vectors with a local sentence-transformers model (m3e-small by default)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from transformers.utils import logging as transformers_logging

from indexer.embedding.hardware import Precision, resolve_precision
from indexer.embedding.model_fetch import model_id_of
from indexer.errors import ModelNotFound


class Embedder:
    """Embeds queries and passages; inner product of two results is their cosine similarity."""

    def __init__(
        self,
        model_dir: Path,
        device: str | None = None,
        batch_size: int = 32,
        *,
        precision: Precision = "auto",
    ) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "modules.json").is_file():
            raise ModelNotFound(
                f"no sentence-transformers model at {self.model_dir}; run `govsearch model fetch`"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.device = device or default_device()
        self.batch_size = batch_size
        chosen = resolve_precision(precision, self.device)
        self._autocast_dtype = None if chosen == "float32" else getattr(torch, chosen)
        if torch.device(self.device).type == "cpu":
            limit_cpu_threads()
        try:
            # A local load needs no "Loading weights" bar on stderr of every CLI command and test.
            transformers_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(self.model_dir), device=self.device, local_files_only=True)
        except OSError as error:
            raise ModelNotFound(
                f"cannot load the model at {self.model_dir} ({error}); run `govsearch model fetch`"
            ) from error
        self._model.eval()
        self._dimension = embedding_dimension(self._model, self.model_dir)
        if self._model.max_seq_length is None:
            raise ModelNotFound(f"the model at {self.model_dir} declares no max_seq_length")
        self._max_seq_length = int(self._model.max_seq_length)
        self._model_id: str | None = None

    @property
    def dimension(self) -> int:
        """Length of every vector this model returns."""
        return self._dimension

    @property
    def max_seq_length(self) -> int:
        """Tokens beyond this are cut off, so chunkers should stay under it."""
        return self._max_seq_length

    @property
    def model_id(self) -> str:
        """Name plus weights checksum: an index built with other weights must not be mixed with these."""
        if self._model_id is None:
            self._model_id = model_id_of(self.model_dir)
        return self._model_id

    @property
    def precision(self) -> str:
        """The dtype the model computes in: float32, or bfloat16/float16 under autocast."""
        return str(self._autocast_dtype or torch.float32).removeprefix("torch.")

    def embed_query(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries, with the model's query prompt (empty for m3e, set in its config)."""
        return self._embed(texts, self._model.encode_query, progress=None)

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed passages to index; `progress` is called with the number of texts done after each batch."""
        return self._embed(texts, self._model.encode_document, progress)

    def _embed(
        self, texts: Sequence[str], encode: Callable[..., np.ndarray], progress: Callable[[int], None] | None
    ) -> np.ndarray:
        """Batch texts of similar length together (less padding), then put rows back in input order."""
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]), reverse=True)
        with torch.inference_mode(), self._autocast():
            for batch_indices in batches(order, self.batch_size):
                vectors[batch_indices] = encode(
                    [texts[index] for index in batch_indices],
                    batch_size=len(batch_indices),
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
                if progress is not None:
                    progress(len(batch_indices))
        return vectors

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        if self._autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device).type, dtype=self._autocast_dtype)


def batches(items: list[int], size: int) -> Iterator[list[int]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def embedding_dimension(model: SentenceTransformer, model_dir: Path) -> int:
    """The output size the model declares."""
    # sentence-transformers 6 renamed the method; 5 has only the old name.
    declared = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dimension = declared()
    if dimension is None:
        raise ModelNotFound(f"the model at {model_dir} does not declare its embedding dimension")
    return int(dimension)


def default_device() -> str:
    """cuda when a GPU is visible, else cpu."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def limit_cpu_threads() -> None:
    """One torch thread per CPU this process may use, unless the operator chose with OMP_NUM_THREADS."""
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(len(os.sched_getaffinity(0)))
