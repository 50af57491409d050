"""Turn text into unit vectors with a local sentence-transformers model (m3e-small by default).

The runtime follows the hardware (see `hardware.choose_engine`): on a CPU without native bf16, the model's
exported ONNX graph quantised to int8, in ONNX Runtime; on CUDA or a bf16 CPU, torch. fp32 (torch, ONNX
Runtime, OpenVINO), bf16 and fp16 give the vectors of the sentence-transformers reference (cosine ≥ 0.9999)
and share one vector space; int8 vectors are near those (mean cosine 0.998) but not equal: a space of their
own (`vector_space`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from indexer.embedding.export import INT8_RECIPE
from indexer.embedding.hardware import Engine, Precision, Runtime, resolve_engine
from indexer.embedding.model_fetch import model_id_of
from indexer.errors import ModelNotFound

logger = logging.getLogger(__name__)
# Present where the NVIDIA driver is loaded: only there can CUDA be, so only there is torch asked.
NVIDIA_DRIVER = Path("/proc/driver/nvidia")
# Texts per model call by device type: a GPU is fed large batches (measured: docs/benchmarks.md, GPU).
BATCH_SIZES = {"cpu": 32, "cuda": 1024}


class Encoder(Protocol):
    def embed(
        self, texts: Sequence[str], query: bool, progress: Callable[[int], None] | None
    ) -> np.ndarray: ...


class Embedder:
    """Embeds queries and passages; inner product of two results is their cosine similarity."""

    def __init__(
        self,
        model_dir: Path,
        device: str | None = None,
        batch_size: int | None = None,
        *,
        precision: Precision = "auto",
        runtime: Runtime = "auto",
    ) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "modules.json").is_file():
            raise ModelNotFound(
                f"no sentence-transformers model at {self.model_dir}; run `govsearch model fetch`"
            )
        self.device = device or default_device()
        if batch_size is None:
            batch_size = BATCH_SIZES.get(self.device.split(":")[0], BATCH_SIZES["cpu"])
        self.batch_size = batch_size
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._max_seq_length = int(
            model_setting(self.model_dir, "sentence_bert_config.json", "max_seq_length")
        )
        self._dimension = int(
            model_setting(self.model_dir, "1_Pooling/config.json", "word_embedding_dimension")
        )
        self.engine = resolve_engine(runtime, precision, self.device)
        try:
            self._encoder = self._load(self.engine)
        except (ModelNotFound, OSError) as error:
            if runtime != "auto" or self.engine.runtime == "torch":
                raise
            if self.engine.precision == "int8":  # torch's vectors would not mix with the int8 ones
                raise ModelNotFound(
                    f"the int8 graph is unavailable ({error}); run `govsearch model fetch` where the model "
                    "folder is writable, or set GOVSEARCH_PRECISION=float32"
                ) from error
            # The reference model always works: a read-only model folder or no runtime costs speed only.
            logger.warning(
                "the %s runtime is unavailable (%s); embedding with torch", self.engine.runtime, error
            )
            self.engine = Engine("torch", "float32")
            self._encoder = self._load(self.engine)
        self._model_id: str | None = None

    def _load(self, engine: Engine) -> Encoder:
        if engine.runtime == "torch":
            from indexer.embedding.torch_encoder import TorchEncoder  # torch loads only for this runtime

            return TorchEncoder(self.model_dir, self.device, engine.precision, self.batch_size)
        from indexer.embedding.export import exported_graph
        from indexer.embedding.graph_encoder import GraphEncoder, Prompts
        from indexer.embedding.runtimes import graph_runner
        from indexer.embedding.tokens import TextTokenizer

        prompts = model_setting(self.model_dir, "config_sentence_transformers.json", "prompts", {})
        return GraphEncoder(
            graph_runner(engine.runtime, exported_graph(self.model_dir, engine.precision)),
            TextTokenizer(self.model_dir, self._max_seq_length),
            Prompts(prompts.get("query", ""), prompts.get("document", "")),
            self._dimension,
            self.batch_size,
            queries_alone=engine.precision == "int8",
        )

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
        """What the model computes in: float32, int8 (onnx), or bfloat16/float16 (torch)."""
        return self.engine.precision

    @property
    def runtime(self) -> str:
        """What runs the model: torch (sentence-transformers), onnx (ONNX Runtime) or openvino."""
        return self.engine.runtime

    @property
    def vector_space(self) -> str:
        """Vectors with the same space id are interchangeable; an index holds vectors of one space only."""
        return vector_space(self.model_id, self.engine)

    def embed_query(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries, with the model's query prompt (empty for m3e, set in its config)."""
        return self._encoder.embed(texts, True, None)

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed passages to index; `progress` is called with the number of texts done after each batch."""
        return self._encoder.embed(texts, False, progress)


def vector_space(model_id: str, engine: Engine) -> str:
    """The model id: fp32, bf16 and fp16 of the same weights agree to cosine ≥ 0.9999 in every runtime.

    int8 vectors are near those (mean cosine 0.998) but not the same, so they get a space of their own,
    named after the quantisation recipe.
    """
    if engine.precision == "int8":
        return f"{model_id}+{INT8_RECIPE}"
    return model_id


def model_setting(model_dir: Path, file: str, key: str, default: Any = None) -> Any:
    """One value from a sentence-transformers config file of the model, e.g. its max_seq_length."""
    path = model_dir / file
    value = json.loads(path.read_text(encoding="utf-8")).get(key, default) if path.is_file() else default
    if value is None:
        raise ModelNotFound(f"the model at {model_dir} declares no {key} ({file})")
    return value


def default_device() -> str:
    """cuda when a GPU is visible, else cpu; torch is asked only on machines with an NVIDIA driver."""
    if not NVIDIA_DRIVER.exists():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
