"""The index: a self-describing directory holding the SQLite catalog and FAISS snapshots derived from it.

    <index_dir>/catalog.sqlite      documents, chunks, embedding cache, keyword index, phrase statistics,
                                    the log of changed chunk rows, manifest
    <index_dir>/vectors-<gen>.faiss the dense store as it was at generation <gen>
    <index_dir>/keywords-<gen>/     the in-memory BM25 index as it was at generation <gen> (npy arrays)

Writers commit to SQLite first (one transaction, generation + 1, the changed rows logged), then update the
dense store and the keyword index in memory from the log. Readers load the newest snapshots and replay the
log since, or rebuild from the catalog when there are none, so a crash at any moment leaves a readable
index whose halves agree (`store/vector_files.py`, `store/keyword_files.py`).

With the milvus backend a Milvus collection takes the place of the FAISS snapshots and serves the
keyword side too; it is derived from the catalog in the same way (`indexer.store.milvus_sync`).
"""

from __future__ import annotations

import platform
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from indexer.embedding.hardware import Precision, Runtime, resolve_engine
from indexer.embedding.model_fetch import model_id_of
from indexer.errors import IndexIncompatible, IndexNotFound, UnknownChunk, UnknownDocument
from indexer.ingest.pipeline import IngestResult
from indexer.phrases.mining import MinedPhrase, mine_phrases
from indexer.phrases.statistics import create_phrase_tables, store_phrase_stats
from indexer.phrases.topics import TopicPhrase, topic_phrases
from indexer.records import Chunk, DocumentInfo, Filters, Hit
from indexer.search.inference import InferenceExecutor
from indexer.search.searcher import Searcher, SearchOptions, SearchPage
from indexer.store.catalog import Catalog
from indexer.store.database import Database
from indexer.store.embedding_cache import EmbeddingCache
from indexer.store.keyword_files import KeywordFiles
from indexer.store.keywords import KeywordIndex
from indexer.store.milvus import MilvusKeywords, MilvusSettings, MilvusStore
from indexer.store.milvus_sync import MilvusSync, catalog_stamp
from indexer.store.passages import embedding_key, passage_text
from indexer.store.retrieval import CatalogFiltered, MemoryKeywords
from indexer.store.updates import (
    Documents,
    PreparedDocument,
    UpdatePlan,
    plan_add,
    plan_replace,
    plan_sync,
    prepare_documents,
)
from indexer.store.vector_files import VectorFiles
from indexer.store.vector_log import VectorLog
from indexer.store.vectors import IndexKind

if TYPE_CHECKING:  # the model libraries load when the model is first used, not on import
    from indexer.embedding.embedder import Embedder

FORMAT_VERSION = "1"
CATALOG_FILE = "catalog.sqlite"
# Passages embedded, then stored in the cache, per step (at least one model call's worth: a GPU takes 1,024).
EMBED_BATCH = 256
# Passages a topic's phrases are drawn from: enough to see recurring expressions, few enough to stay on topic.
TOPIC_PASSAGES = 30

Progress = Callable[[int, int], None]
Backend = Literal["local", "milvus"]
MILVUS_FILE = "milvus.db"


@dataclass(frozen=True)
class IndexConfig:
    """Where the index lives and how it is built; the service's Settings map onto this."""

    index_dir: Path
    model_dir: Path
    device: str | None = None
    vector_kind: IndexKind = "auto"
    precision: Precision = "auto"
    runtime: Runtime = "auto"
    query_cache_size: int = 4096
    backend: Backend = "local"
    # A milvus-lite file or a server URI; the default is a milvus-lite file in the index directory.
    milvus_uri: str | None = None
    milvus_token: str | None = None
    milvus_collection: str = "govsearch"

    def milvus_settings(self) -> MilvusSettings:
        uri = self.milvus_uri or str(self.index_dir / MILVUS_FILE)
        return MilvusSettings(uri, self.milvus_token, self.milvus_collection, self.vector_kind)


@dataclass(frozen=True)
class UpdateReport:
    """What an update did: documents by outcome and how many passages needed the model."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    embedded_characters: int = 0
    reused: int = 0


class Index:
    """Build, update and search one index directory."""

    def __init__(self, config: IndexConfig, *, create: bool = False) -> None:
        self.config = config
        path = config.index_dir / CATALOG_FILE
        if not path.exists() and not create:
            raise IndexNotFound(f"index not found at {config.index_dir}; run `govsearch index PATH` first")
        config.index_dir.mkdir(parents=True, exist_ok=True)
        self.database = Database(path)
        self.catalog = Catalog(self.database)
        self.embeddings = EmbeddingCache(self.database)
        self.keywords = KeywordIndex(self.database)
        create_phrase_tables(self.database.connection)
        log = VectorLog(self.database)
        self.vector_files = VectorFiles(config.index_dir, config.vector_kind, log, self.embeddings)
        self.keyword_files = KeywordFiles(config.index_dir, log, self.database)
        # Writers run one at a time: each reads which documents are present, embeds, then commits.
        self._write_lock = threading.Lock()
        self.config = keeping_vector_space(config, self.catalog.manifest())
        self._check_compatible()
        self.milvus = open_milvus(config, self.database) if config.backend == "milvus" else None
        if self.milvus is not None:
            self.milvus.ensure(self.catalog.manifest())

    @cached_property
    def embedder(self) -> Embedder:
        from indexer.embedding.embedder import Embedder

        config = self.config
        return Embedder(config.model_dir, config.device, precision=config.precision, runtime=config.runtime)

    @cached_property
    def query_encoder(self) -> InferenceExecutor:
        """Query vectors for searches: the model runs on one thread, concurrent queries batched, cached."""
        return InferenceExecutor(lambda: self.embedder, self.config.query_cache_size)

    def _check_compatible(self) -> None:
        manifest = self.catalog.manifest()
        if not manifest:
            return
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexIncompatible(
                f"index at {self.config.index_dir} has format {manifest.get('format_version')}, "
                f"this version reads {FORMAT_VERSION}; rebuild it with `govsearch index`"
            )
        configured = model_id_of(self.config.model_dir)
        if manifest.get("model_id") != configured:
            raise IndexIncompatible(
                f"index at {self.config.index_dir} was built with {manifest.get('model_id')}, "
                f"but the configured model is {configured}; "
                "use that model or rebuild the index"
            )
        # Indexes from before runtimes were recorded hold the model's own (fp32) vectors.
        built_in = manifest.get("vector_space", manifest["model_id"])
        space = self.configured_vector_space()
        if built_in != space:
            raise IndexIncompatible(
                f"index at {self.config.index_dir} holds vectors of {built_in} "
                f"({manifest.get('runtime', 'torch')}, {manifest.get('precision')}), which do not mix with "
                f"{space} from the configured runtime; set GOVSEARCH_RUNTIME and GOVSEARCH_PRECISION as "
                "they were, or rebuild the index in a new GOVSEARCH_INDEX_DIR"
            )

    def configured_vector_space(self) -> str:
        """The space the configured model and runtime embed in, found without loading the model."""
        from indexer.embedding.embedder import default_device, vector_space

        config = self.config
        engine = resolve_engine(config.runtime, config.precision, config.device or default_device())
        return vector_space(model_id_of(config.model_dir), engine)

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
            self._commit(UpdatePlan(remove=[self.document_info(doc_id)]))

    def _apply(self, plan: UpdatePlan, progress: Progress | None) -> UpdateReport:
        """Embed what the cache lacks (kept if the run dies), then commit the whole plan at once.

        Keyword terms and phrase tallies (pure Python, jieba's dictionaries loaded on first use) are worked
        out in a thread while the model runs: ONNX Runtime and torch release the GIL."""
        space = self.embedder.vector_space  # cached vectors are reused only within their vector space
        texts = {
            embedding_key(space, text): text
            for _, chunks in plan.add
            for text in (passage_text(chunk) for chunk in chunks)
        }
        missing = self.embeddings.missing(texts)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-terms") as pool:
            prepared = pool.submit(prepare_documents, plan.add, space)
            self._embed(missing, texts, progress)
            to_add = prepared.result()
        if plan.changes:
            self._commit(plan, to_add)
        return UpdateReport(
            added=[document.doc_id for document, _ in plan.add],
            removed=[document.doc_id for document in plan.remove],
            unchanged=len(plan.keep),
            embedded=len(missing),
            embedded_characters=sum(len(texts[key]) for key in missing),
            reused=len(texts) - len(missing),
        )

    def _embed(self, keys: list[str], texts: dict[str, str], progress: Progress | None) -> None:
        step = max(EMBED_BATCH, self.embedder.batch_size)
        for start in range(0, len(keys), step):
            batch = keys[start : start + step]
            self.embeddings.add(batch, self.embedder.embed_passages([texts[key] for key in batch]))
            if progress:
                progress(start + len(batch), len(keys))

    def _commit(self, plan: UpdatePlan, to_add: Sequence[PreparedDocument] = ()) -> None:
        """One SQLite transaction (phrase statistics go with their documents by cascade, the changed chunk
        rows into the vector log), then the dense store catches up."""
        previous = catalog_stamp(self.catalog.manifest())
        removed = [document.doc_id for document in plan.remove]
        added = [prepared.document.doc_id for prepared in to_add]
        with self.database.transaction() as connection:
            generation = self.catalog.generation() + 1
            VectorLog.record(connection, generation, VectorLog.rows_of(connection, removed))
            removed_keys = EmbeddingCache.keys_of(connection, removed)
            Catalog.delete_documents(connection, removed)
            for prepared in to_add:
                Catalog.insert_document(connection, prepared.document, prepared.chunks)
                store_phrase_stats(connection, prepared.document.doc_id, prepared.phrases)
            VectorLog.record(connection, generation, VectorLog.rows_of(connection, added))
            Catalog.set_origins(connection, plan.adopt)
            EmbeddingCache.prune(connection, removed_keys)
            Catalog.set_manifest(connection, self._manifest(generation))
        if self.milvus is None:
            self._local_stores()
            return
        self.milvus.apply(previous, self.catalog.manifest(), removed, added)

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
            "faiss_version": version("faiss-cpu"),
            "sentence_transformers_version": version("sentence-transformers"),
            "torch_version": version("torch"),
            "vector_space": self.embedder.vector_space,
            "runtime": self.embedder.runtime,
            "precision": self.embedder.precision,
            "device": self.embedder.device,
            "python_version": platform.python_version(),
        }

    def _dimension(self) -> int:
        return int(self.catalog.manifest().get("dimension", 0)) or self.embedder.dimension

    def _local_stores(self) -> tuple[MemoryKeywords, CatalogFiltered]:
        """The keyword and dense sides of the catalog's current generation, brought up to date as needed."""
        generation = self.catalog.generation()
        keywords = self.keyword_files.keywords(generation)
        memory = MemoryKeywords(self.catalog, self.keywords, keywords, self.keyword_files.tokenizer)
        return memory, CatalogFiltered(self.catalog, self.vector_files.store(generation, self._dimension))

    def rebuild_vectors(self) -> None:
        """Rebuild the dense store from every cached vector (on demand: IVF relearns its lists)."""
        with self._write_lock:
            self.vector_files.rebuild(self.catalog.generation(), self._dimension)

    # --- reading --------------------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        if self.milvus is not None:
            store = self.milvus.store
            return Searcher(self.catalog, MilvusKeywords(store, self.keywords), store, self.query_encoder)
        keywords, dense = self._local_stores()
        return Searcher(self.catalog, keywords, dense, self.query_encoder)

    def search(self, query: str, options: SearchOptions) -> SearchPage:
        return self.searcher().search(query, options)

    def similar(self, chunk_id: str, options: SearchOptions) -> SearchPage:
        return self.searcher().similar(chunk_id, options)

    def documents(self, filters: Filters, limit: int, offset: int) -> tuple[list[DocumentInfo], int]:
        return self.catalog.documents(filters, limit, offset)

    def document_info(self, doc_id: str) -> DocumentInfo:
        """A document's metadata; UnknownDocument if there is no such document."""
        info = self.catalog.document(doc_id)
        if info is None:
            raise UnknownDocument(doc_id)
        return info

    def document(self, doc_id: str) -> tuple[DocumentInfo, list[Chunk]]:
        return self.document_info(doc_id), self.catalog.document_chunks(doc_id)

    def has_chunk(self, chunk_id: str) -> bool:
        return self.catalog.chunk_row_id(chunk_id) is not None

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
        return topic_phrases(self.database.connection, passages, k=k)

    def mined_phrases(self, min_docs: int = 2, limit: int = 100) -> list[MinedPhrase]:
        """Expressions used across documents, from the whole corpus (new-word discovery)."""
        return mine_phrases(self.database.connection, min_docs=min_docs, limit=limit)

    def stats(self) -> dict[str, object]:
        return {
            "manifest": self.catalog.manifest(),
            "counts": self.catalog.counts(),
            "index_dir": str(self.config.index_dir),
        }


def keeping_vector_space(config: IndexConfig, manifest: dict[str, str]) -> IndexConfig:
    """With precision `auto`, an existing index opens in the vector space it was built in: int8 where it
    holds int8 vectors, else the model's own (fp32 in place of an int8 default).

    A new default (int8 on CPUs without native bf16) must not lock users out of the index they have; a new
    index takes the default. An explicit precision is kept as given, and refused if it does not match."""
    if config.precision != "auto" or not manifest:
        return config
    from indexer.embedding.embedder import default_device

    built_int8 = manifest.get("precision") == "int8"  # indexes from before precisions were recorded: fp32
    chosen = resolve_engine(config.runtime, "auto", config.device or default_device())
    if built_int8 == (chosen.precision == "int8"):
        return config
    return replace(config, precision="int8" if built_int8 else "float32")


def open_milvus(config: IndexConfig, database: Database) -> MilvusSync:
    """The Milvus collection of this index, kept in step with its catalog."""
    return MilvusSync(MilvusStore(config.milvus_settings()), database)
