"""The reference implementation: the sentence-transformers model in torch, on CPU or CUDA.

Every other runtime is checked against it; it is also the fallback, and the runtime on CUDA and on CPUs
that compute bf16 natively.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from transformers.utils import logging as transformers_logging

from indexer.errors import ModelNotFound

Progress = Callable[[int], None]


class TorchEncoder:
    """Embeds with `SentenceTransformer.encode_query` / `encode_document`, under autocast below fp32."""

    def __init__(self, model_dir: Path, device: str, precision: str, batch_size: int) -> None:
        self.device, self.batch_size = device, batch_size
        self._autocast_dtype = None if precision == "float32" else getattr(torch, precision)
        if torch.device(device).type == "cpu" and "OMP_NUM_THREADS" not in os.environ:
            torch.set_num_threads(len(os.sched_getaffinity(0)))  # one thread per CPU this process may use
        try:
            # A local load needs no "Loading weights" bar on stderr of every CLI command and test.
            transformers_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(model_dir), device=device, local_files_only=True)
        except OSError as error:
            raise ModelNotFound(
                f"cannot load the model at {model_dir} ({error}); run `govsearch model fetch`"
            ) from error
        self._model.eval()

    def embed(self, texts: Sequence[str], query: bool, progress: Progress | None) -> np.ndarray:
        """Batch texts of similar length together (less padding), then put rows back in input order."""
        encode = self._model.encode_query if query else self._model.encode_document
        vectors = np.empty((len(texts), self._model.get_embedding_dimension() or 0), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]), reverse=True)
        with torch.inference_mode(), self._autocast():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = encode(
                    [texts[index] for index in rows],
                    batch_size=len(rows),
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
                vectors[rows] = batch
                if progress is not None:
                    progress(len(rows))
        return vectors

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        if self._autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device).type, dtype=self._autocast_dtype)
