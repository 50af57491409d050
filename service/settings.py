"""The one configuration object, read from `GOVSEARCH_*` environment variables by the CLI and the app."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer import MAX_DOCUMENT_CHARS, IndexConfig, Precision, Runtime

BANK_FILE_NAME = "bank.sqlite"


class Settings(BaseSettings):
    """Every setting is listed in the README; none is read anywhere else."""

    model_config = SettingsConfigDict(env_prefix="GOVSEARCH_", env_file=None, extra="ignore")

    index_dir: Path = Field(Path("var/index"), description="Directory of the index (catalog + vectors).")
    model_dir: Path = Field(Path("models/m3e-small"), description="sentence-transformers model directory.")
    host: str = Field("127.0.0.1", description="Address `govsearch serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `govsearch serve` listens on.")
    api_key: str | None = Field(None, description="If set, uploads, deletes and bank edits need X-API-Key.")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Largest accepted upload (413 above).")
    max_document_chars: int = Field(
        MAX_DOCUMENT_CHARS, ge=1, description="Longest accepted document in characters (413 above)."
    )
    max_query_chars: int = Field(5000, ge=1, description="Longest accepted query or pasted paragraph.")
    max_k: int = Field(100, ge=1, description="Largest page size a search may ask for.")
    vector_index: Literal["auto", "flat", "ivf"] = Field(
        "auto",
        description="FAISS index: exact (flat), IVF over 8-bit codes (ivf), or auto (IVF from 50,000 "
        "passages).",
    )
    device: str | None = Field(None, description="Torch device for the model (default: cuda if present).")
    precision: Precision = Field(
        "auto",
        description="Model precision: auto (bf16 where the CPU computes it natively, else int8 on CPU, "
        "fp16 on CUDA), float32, bfloat16, float16 or int8 (ONNX Runtime; vectors that do not mix with the "
        "others).",
    )
    runtime: Runtime = Field(
        "auto",
        description="What runs the model: auto (the exported int8 ONNX graph on CPUs without native bf16, "
        "torch on CUDA and bf16 CPUs), torch, onnx or openvino.",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes of `govsearch serve`, each with its own model and index in memory: "
        "one per CPU serves the most searches at once.",
    )
    search_concurrency: int = Field(4, ge=1, description="Searches that run at once (in each worker).")
    search_queue: int = Field(
        16, ge=0, description="Searches that may wait for a running slot; more are refused at once (503)."
    )
    search_queue_timeout: float = Field(
        0.5, gt=0, description="Seconds a search waits for a running slot before it is refused (503)."
    )
    query_cache_size: int = Field(
        4096, ge=0, description="Query vectors kept for repeated queries (least recently used dropped first)."
    )
    backend: Literal["local", "milvus"] = Field(
        "local",
        description="Where passages are searched: local (FAISS and SQLite FTS5 in index_dir) or milvus "
        "(one Milvus collection; needs govsearch[milvus]).",
    )
    milvus_uri: str | None = Field(
        None,
        description="milvus backend: a file path runs milvus-lite in-process, http://host:19530 reaches a "
        "Milvus standalone or cluster (default: milvus.db in index_dir).",
    )
    milvus_token: str | None = Field(None, description="milvus backend: server token.")
    milvus_collection: str = Field("govsearch", description="milvus backend: the collection of this index.")
    bank_file: Path | None = Field(
        None, description="SQLite file of the saved phrase bank (default: bank.sqlite in index_dir)."
    )

    def index_config(self) -> IndexConfig:
        """The library's view of these settings: where the index is and how to build it."""
        return IndexConfig(
            self.index_dir,
            self.model_dir,
            self.device,
            self.vector_index,
            self.precision,
            self.runtime,
            self.query_cache_size,
            self.backend,
            self.milvus_uri,
            self.milvus_token,
            self.milvus_collection,
        )

    @property
    def bank_path(self) -> Path:
        """The phrase bank lives beside the index unless placed elsewhere; rebuilding the index keeps it."""
        return self.bank_file or self.index_dir / BANK_FILE_NAME
