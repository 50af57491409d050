"""The index: a self-describing directory holding the SQLite catalog and a FAISS file derived from it.

    <index_dir>/catalog.sqlite      documents, chunks, embedding cache, keyword index, manifest
    <index_dir>/vectors-<gen>.faiss dense index built from the catalog at generation <gen>

Writers commit to SQLite first (one transaction, generation + 1), then write the FAISS file for the new
generation. Readers load the FAISS file of the catalog's generation, or rebuild it from the catalog when
it is missing, so a crash at any moment leaves a readable index whose two halves agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import platform
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import faiss
import numpy as np

from indexer.embedding.embedder import Embedder
from indexer.embedding.hardware import Precision
from indexer.errors import IndexIncompatible, IndexNotFound, UnknownChunk, UnknownDocument
from indexer.ingest.pipeline import IngestResult
from indexer.phrases.mining import MinedPhrase, mine_phrases
from indexer.phrases.topics import TopicPhrase, topic_phrases
from indexer.records import Chunk, Document, DocumentInfo, Filters, Hit
from indexer.search.searcher import Searcher, SearchOptions, SearchPage
from indexer.store.catalog import Catalog, StoredChunk
from indexer.store.updates import Documents, UpdatePlan, plan_add, plan_replace, plan_sync
from indexer.store.vectors import TEMPORARY_SUFFIX, FaissStore, IndexKind
from indexer.text.normalize import normalize_for_search
from indexer.text.tokenize import tokenize_for_search

FORMAT_VERSION = "1"
EMBED_BATCH = 256
# Passages a topic's phrases are drawn from: enough to see recurring expressions, few enough to stay on topic.
TOPIC_PASSAGES = 30

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IndexConfig:
    """Where the index lives and how it is built; the service's Settings map onto this."""

    index_dir: Path
    model_dir: Path
    device: str | None = None
    vector_kind: IndexKind = "auto"
    precision: Precision = "auto"


@dataclass(frozen=True)
class UpdateReport:
    """What an update did: documents by outcome and how many passages needed the model."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    reused: int = 0


def passage_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: its own search-normalised text.

    Prefixing the title or heading path lowered m3e-small's nDCG@10 on the dev set (0.72 → 0.67), so the
    headings reach ranking through the keyword index instead (docs/benchmarks.md).
    """
    return normalize_for_search(chunk.text)


def stored_chunk(chunk: Chunk, model_id: str) -> StoredChunk:
    """A chunk with its keyword terms (headings and text apart) and the cache key of its vector."""
    text = passage_text(chunk)
    return StoredChunk(
        chunk,
        heading_terms=" ".join(tokenize_for_search(normalize_for_search("\n".join(chunk.heading_path)))),
        body_terms=" ".join(tokenize_for_search(text)),
        embedding_key=embedding_key(model_id, text),
    )


def embedding_key(model_id: str, text: str) -> str:
    return hashlib.sha1(f"{model_id}\n{text}".encode()).hexdigest()


# A temporary vectors file older than this was left by a killed writer (a save takes seconds).
STALE_TEMPORARY_SECONDS = 600


def remove_stale_vector_files(index_dir: Path, keep: Path) -> None:
    """Vectors of older generations, and temporary files that killed writers left behind."""
    for stale in index_dir.glob("vectors-*.faiss"):
        if stale != keep:
            stale.unlink(missing_ok=True)
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for temporary in index_dir.glob(f"vectors-*{TEMPORARY_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            if temporary.stat().st_mtime < cutoff:
                temporary.unlink()


class Index:
    """Build, update and search one index directory."""

    def __init__(self, config: IndexConfig, *, create: bool = False) -> None:
        self.config = config
        path = config.index_dir / "catalog.sqlite"
        if not path.exists() and not create:
            raise IndexNotFound(f"index not found at {config.index_dir}; run `govsearch index PATH` first")
        config.index_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(path)
        self._vectors: tuple[int, FaissStore] | None = None
        self._lock = threading.Lock()
        # Writers run one at a time: each reads which documents are present, embeds, then commits.
        self._write_lock = threading.Lock()
        self._check_compatible()

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder(self.config.model_dir, device=self.config.device, precision=self.config.precision)

    def _check_compatible(self) -> None:
        manifest = self.catalog.manifest()
        if not manifest:
            return
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexIncompatible(
                f"index at {self.config.index_dir} has format {manifest.get('format_version')}, "
                f"this version reads {FORMAT_VERSION}; rebuild it with `govsearch index`"
            )
        if manifest.get("model_id") != self.embedder.model_id:
            raise IndexIncompatible(
                f"index at {self.config.index_dir} was built with {manifest.get('model_id')}, "
                f"but the configured model is {self.embedder.model_id}; use that model or rebuild the index"
            )

    # --- writing --------------------------------------------------------------------------------------

    def sync(self, result: IngestResult, progress: Progress | None = None) -> UpdateReport:
        """Make the index mirror the folders and files just read (see `indexer.store.updates`)."""
        with self._write_lock:
            return self._apply(plan_sync(self.catalog, result), progress)

    def add(self, documents: Documents, progress: Progress | None = None) -> UpdateReport:
        """Add documents, removing nothing; ones already stored (same id) are left as they are."""
        with self._write_lock:
            return self._apply(plan_add(self.catalog, documents), progress)

    def replace(self, doc_id: str, documents: Documents) -> UpdateReport:
        """Put the documents read from a new version of a report in place of `doc_id`, in one commit."""
        with self._write_lock:
            return self._apply(plan_replace(self.catalog, doc_id, documents), None)

    def plan_sync(self, result: IngestResult) -> UpdatePlan:
        """What `sync` would do, for a dry run."""
        return plan_sync(self.catalog, result)

    def delete_document(self, doc_id: str) -> None:
        with self._write_lock:
            stored = self.catalog.document(doc_id)
            if stored is None:
                raise UnknownDocument(doc_id)
            self._commit(UpdatePlan(remove=[stored]))

    def _apply(self, plan: UpdatePlan, progress: Progress | None) -> UpdateReport:
        """Embed what the cache lacks (kept if the run dies), then commit the whole plan at once."""
        model_id = self.embedder.model_id
        to_add = [
            (document, [stored_chunk(chunk, model_id) for chunk in chunks]) for document, chunks in plan.add
        ]
        texts = {
            stored.embedding_key: passage_text(stored.chunk) for _, chunks in to_add for stored in chunks
        }
        missing = self.catalog.missing_embeddings(texts)
        self._embed(missing, texts, progress)
        if plan.changes:
            self._commit(plan, to_add)
        return UpdateReport(
            added=[document.doc_id for document, _ in plan.add],
            removed=[document.doc_id for document in plan.remove],
            unchanged=len(plan.keep),
            embedded=len(missing),
            reused=len(texts) - len(missing),
        )

    def _embed(self, keys: list[str], texts: dict[str, str], progress: Progress | None) -> None:
        for start in range(0, len(keys), EMBED_BATCH):
            batch = keys[start : start + EMBED_BATCH]
            vectors = self.embedder.embed_passages([texts[key] for key in batch])
            self.catalog.cache_embeddings(batch, vectors)
            if progress:
                progress(start + len(batch), len(keys))

    def _commit(self, plan: UpdatePlan, to_add: Sequence[tuple[Document, list[StoredChunk]]] = ()) -> None:
        with self.catalog.transaction() as connection:
            Catalog.delete_documents(connection, [document.doc_id for document in plan.remove])
            for document, chunks in to_add:
                Catalog.insert_document(connection, document, chunks)
            Catalog.set_origins(connection, plan.adopt)
            Catalog.prune_embeddings(connection)
            generation = self.catalog.generation() + 1
            Catalog.set_manifest(connection, self._manifest(generation))
        self._vector_store(rebuild=True)

    def _manifest(self, generation: int) -> dict[str, str]:
        manifest = self.catalog.manifest()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        return {
            "format_version": FORMAT_VERSION,
            "model_id": self.embedder.model_id,
            "dimension": str(self.embedder.dimension),
            "generation": str(generation),
            "created_at": manifest.get("created_at", now),
            "updated_at": now,
            "vector_index": self.config.vector_kind,
            "faiss_version": faiss.__version__,
            "sentence_transformers_version": version("sentence-transformers"),
            "torch_version": version("torch"),
            "precision": self.embedder.precision,
            "device": self.embedder.device,
            "python_version": platform.python_version(),
        }

    # --- the dense half -------------------------------------------------------------------------------

    def _vector_store(self, rebuild: bool = False) -> FaissStore:
        """The FAISS index of the catalog's current generation, loaded or rebuilt as needed."""
        generation = self.catalog.generation()
        with self._lock:
            if self._vectors is not None and self._vectors[0] == generation and not rebuild:
                return self._vectors[1]
            path = self.config.index_dir / f"vectors-{generation}.faiss"
            if path.exists() and not rebuild:
                store = FaissStore.load(path)
            else:
                dimension = int(self.catalog.manifest().get("dimension", 0)) or self.embedder.dimension
                store = FaissStore.build(*self.catalog.all_vectors(dimension), kind=self.config.vector_kind)
                store.save(path)
            remove_stale_vector_files(self.config.index_dir, keep=path)
            self._vectors = (generation, store)
            return store

    def _stored_vector(self, row: int) -> np.ndarray:
        return np.asarray(self._vector_store().index.reconstruct(row))

    # --- reading --------------------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        return Searcher(self.catalog, self._vector_store(), self.embedder.embed_query, self._stored_vector)

    def search(self, query: str, options: SearchOptions) -> SearchPage:
        return self.searcher().search(query, options)

    def similar(self, chunk_id: str, options: SearchOptions) -> SearchPage:
        return self.searcher().similar(chunk_id, options)

    def documents(self, filters: Filters, limit: int, offset: int) -> tuple[list[DocumentInfo], int]:
        return self.catalog.documents(filters, limit, offset)

    def document(self, doc_id: str) -> tuple[DocumentInfo, list[Chunk]]:
        info = self.catalog.document(doc_id)
        if info is None:
            raise UnknownDocument(doc_id)
        return info, self.catalog.document_chunks(doc_id)

    def chunk(self, chunk_id: str, context: int = 1) -> Hit:
        row = self.catalog.chunk_row_id(chunk_id)
        if row is None:
            raise UnknownChunk(chunk_id)
        chunk, document = self.catalog.chunks_by_row([row])[row]
        before, after = self.catalog.neighbours(chunk, context, context)
        return Hit(chunk, document, 0.0, (), tuple(before), tuple(after))

    def topic_phrases(self, query: str, k: int = 20, filters: Filters | None = None) -> list[TopicPhrase]:
        """Phrases distinctive of the passages retrieved for a topic (招商引资) or a pasted paragraph."""
        options = SearchOptions(k=TOPIC_PASSAGES, filters=filters or Filters(), per_document=None)
        hits = self.search(query, options).hits
        passages = [(hit.chunk.chunk_id, hit.chunk.doc_id, hit.chunk.text) for hit in hits]
        return topic_phrases(self.catalog.connection, passages, k=k)

    def mined_phrases(self, min_docs: int = 2, limit: int = 100) -> list[MinedPhrase]:
        """Expressions used across documents, from the whole corpus (new-word discovery)."""
        return mine_phrases(self.catalog.connection, min_docs=min_docs, limit=limit)

    def stats(self) -> dict[str, object]:
        return {
            "manifest": self.catalog.manifest(),
            "counts": self.catalog.counts(),
            "index_dir": str(self.config.index_dir),
        }
