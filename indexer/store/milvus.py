"""The Milvus backend: one collection serving dense and BM25 retrieval in place of FAISS and FTS5.

Each row is one chunk, keyed by the catalog's chunk row id: its keyword terms as text, the metadata that
filters use, its dense vector and a BM25 sparse vector that Milvus derives from the text with its own
jieba analyzer. A file path as URI runs milvus-lite in this process; `http://host:19530` reaches a Milvus
standalone or cluster through the same client. SQLite stays the source of truth (see `milvus_sync`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.errors import BackendUnavailable
from indexer.records import Filters
from indexer.store.keywords import KeywordIndex
from indexer.store.milvus_filters import filter_expression
from indexer.store.retrieval import Ranked
from indexer.store.vectors import IndexKind

if TYPE_CHECKING:  # the client is an optional dependency, imported when the backend is opened
    from pymilvus import MilvusClient

MISSING_CLIENT = "install govsearch[milvus] to use the milvus backend"
# The collection property holding the catalog state the collection was last brought up to date with.
STAMP_PROPERTY = "govsearch.stamp"
MAX_TEXT_BYTES = 65_535
FIELD_BYTES = 512
# HNSW as FAISS builds it locally (docs/benchmarks.md); Milvus indexes each sealed segment with it.
HNSW_BUILD = {"M": 32, "efConstruction": 80}
HNSW_SEARCH = {"ef": 128}


@dataclass(frozen=True)
class MilvusSettings:
    """Where the collection lives: a milvus-lite file or a server URI, its token and collection name."""

    uri: str
    token: str | None = None
    collection: str = "govsearch"
    vector_kind: IndexKind = "auto"


def connect(settings: MilvusSettings) -> MilvusClient:
    """A client for the configured URI; a missing package names the extra that installs it."""
    try:
        from pymilvus import MilvusClient, MilvusException
    except ImportError as error:
        raise BackendUnavailable(MISSING_CLIENT) from error
    try:
        return MilvusClient(uri=settings.uri, token=settings.token or "")
    except MilvusException as error:
        raise BackendUnavailable(f"cannot reach Milvus at {settings.uri}: {error}") from error


class MilvusStore:
    """The chunk collection: schema, writes by row id or document, dense and BM25 search."""

    def __init__(self, settings: MilvusSettings) -> None:
        self.settings = settings
        self.name = settings.collection
        self.client = connect(settings)

    # --- collection and stamp -------------------------------------------------------------------------

    def exists(self) -> bool:
        return bool(self.client.has_collection(self.name))

    def stamp(self) -> str | None:
        """The catalog state the collection mirrors, or None when there is no collection."""
        if not self.exists():
            return None
        properties = self.client.describe_collection(self.name).get("properties", {})
        return properties.get(STAMP_PROPERTY)

    def load(self) -> None:
        """Into memory for search: a collection opened by a new process starts released."""
        if self.exists():
            self.client.load_collection(self.name)

    def set_stamp(self, stamp: str) -> None:
        self.client.alter_collection_properties(self.name, properties={STAMP_PROPERTY: stamp})

    def recreate(self, dimension: int) -> None:
        """An empty collection (dropping any old one) for vectors of `dimension`."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        if self.exists():
            self.client.drop_collection(self.name)
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field(
            "text",
            DataType.VARCHAR,
            max_length=MAX_TEXT_BYTES,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "jieba"},
        )
        for name in ("doc_id", "level", "doc_type"):
            schema.add_field(name, DataType.VARCHAR, max_length=FIELD_BYTES)
        for name in ("region", "province"):
            schema.add_field(name, DataType.VARCHAR, max_length=FIELD_BYTES, nullable=True)
        schema.add_field("year", DataType.INT64, nullable=True)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="text_bm25",
                function_type=FunctionType.BM25,
                input_field_names=["text"],
                output_field_names=["sparse"],
            )
        )
        indexes = self.client.prepare_index_params()
        if self.settings.vector_kind == "flat":
            indexes.add_index(field_name="dense", index_type="FLAT", metric_type="IP")
        else:
            indexes.add_index(field_name="dense", index_type="HNSW", metric_type="IP", params=HNSW_BUILD)
        indexes.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self.client.create_collection(self.name, schema=schema, index_params=indexes)

    # --- writes ---------------------------------------------------------------------------------------

    def upsert(self, rows: Sequence[dict[str, Any]]) -> None:
        """Rows as `milvus_sync.chunk_rows` makes them; written again by id, so a retry is harmless."""
        if rows:
            self.client.upsert(self.name, list(rows))

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        if doc_ids:
            self.client.delete(self.name, filter=filter_expression(Filters(doc_ids=tuple(doc_ids))))

    # --- reads ----------------------------------------------------------------------------------------

    def __len__(self) -> int:
        if not self.exists():
            return 0
        rows = self.client.query(self.name, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def ids(self) -> set[int]:
        """Every row id in the collection (the contract tests compare them with the catalog's)."""
        iterator = self.client.query_iterator(self.name, batch_size=1000, filter="", output_fields=["id"])
        found: set[int] = set()
        while batch := iterator.next():
            found.update(int(row["id"]) for row in batch)
        iterator.close()
        return found

    def vector(self, row_id: int) -> np.ndarray:
        rows = self.client.get(self.name, ids=[int(row_id)], output_fields=["dense"])
        return np.asarray(rows[0]["dense"], dtype=np.float32)

    def search(self, query: np.ndarray, k: int, filters: Filters) -> Ranked:
        """Dense nearest neighbours by inner product (cosine: the vectors are unit length)."""
        params = {"metric_type": "IP", "params": {} if self.settings.vector_kind == "flat" else HNSW_SEARCH}
        return self._search([query.astype(np.float32).tolist()], "dense", params, k, filters)

    def keyword_search(self, text: str, filters: Filters, k: int) -> Ranked:
        """BM25 over the jieba terms of the passages' text."""
        hits = self._search([text], "sparse", {"metric_type": "BM25"}, k, filters)
        # milvus-lite reports a BM25 score as a negative distance, a server as the score itself; both
        # list the best first, and a BM25 score is never negative.
        return [(row, abs(distance)) for row, distance in hits]

    def _search(self, data: list, field: str, params: dict, k: int, filters: Filters) -> Ranked:
        """(row id, distance) pairs as Milvus ranks them."""
        if k <= 0 or not self.exists():
            return []
        results = self.client.search(
            self.name,
            data=data,
            anns_field=field,
            limit=k,
            filter=filter_expression(filters),
            search_params=params,
            output_fields=["id"],
        )
        return [(int(hit["id"]), float(hit["distance"])) for hit in results[0]]


class MilvusKeywords:
    """The keyword side on Milvus: its BM25 ranks; the catalog's term statistics weigh highlights."""

    def __init__(self, store: MilvusStore, local: KeywordIndex) -> None:
        self.store = store
        self.local = local

    def search(self, terms: Sequence[str], filters: Filters, k: int) -> Ranked:
        if not terms:
            return []
        return self.store.keyword_search(" ".join(dict.fromkeys(terms)), filters, k)

    def term_frequencies(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        return self.local.term_frequencies(terms)
