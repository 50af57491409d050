"""What an index update will do, decided before anything is written: documents to add, remove and keep.

Three kinds of update, each removing only what the user asked to remove:
- sync: the index mirrors the folders and files just read (`govsearch index PATH`): a report changed or
  deleted under one of them is removed; a file that could not be read this time keeps its documents.
- add: documents are added and nothing is removed (uploads: two files of one name are two reports).
- replace: one named document gives way to the documents read from its new version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from indexer.errors import UnknownDocument
from indexer.ingest.pipeline import IngestResult
from indexer.phrases.statistics import PhraseTally, phrase_tally
from indexer.records import Chunk, Document, DocumentInfo
from indexer.store.catalog import Catalog, StoredChunk
from indexer.store.passages import stored_chunk

Documents = Sequence[tuple[Document, list[Chunk]]]


@dataclass(frozen=True)
class UpdatePlan:
    """`add`: new documents; `remove`: stored ones that go; `keep`: stored ones that stay as they are.

    `adopt` maps kept documents to the origin they were read from now, so a later sync of that origin
    removes them when their file goes away.
    """

    add: list[tuple[Document, list[Chunk]]] = field(default_factory=list)
    remove: list[DocumentInfo] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    adopt: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> bool:
        return bool(self.add or self.remove or self.adopt)


def split_new(catalog: Catalog, documents: Documents) -> tuple[list[tuple[Document, list[Chunk]]], list[str]]:
    """(documents not yet stored, ids already stored), each document once."""
    unique = list({document.doc_id: (document, chunks) for document, chunks in documents}.values())
    present = catalog.existing_documents([document.doc_id for document, _ in unique])
    new = [(document, chunks) for document, chunks in unique if document.doc_id not in present]
    return new, [document.doc_id for document, _ in unique if document.doc_id in present]


def plan_sync(catalog: Catalog, result: IngestResult) -> UpdatePlan:
    """Mirror every origin of `result`; documents of other origins are left alone."""
    new, kept = split_new(catalog, result.documents)
    wanted = {document.doc_id for document, _ in result.documents}
    unreadable = {(skip.origin, skip.source) for skip in result.skipped}
    remove = [
        stored
        for origin in dict.fromkeys(result.origins)
        for stored in catalog.origin_documents(origin)
        if stored.doc_id not in wanted and (origin, stored.source) not in unreadable
    ]
    origins = {document.doc_id: document.origin for document, _ in result.documents}
    adopt = {doc_id: origins[doc_id] for doc_id in catalog.foreign_documents(origins)}
    return UpdatePlan(new, remove, kept, adopt)


def plan_add(catalog: Catalog, documents: Documents) -> UpdatePlan:
    new, kept = split_new(catalog, documents)
    return UpdatePlan(new, [], kept)


def plan_replace(catalog: Catalog, doc_id: str, documents: Documents) -> UpdatePlan:
    """The new version's documents in place of `doc_id` (kept if the new version is the same text)."""
    stored = catalog.document(doc_id)
    if stored is None:
        raise UnknownDocument(doc_id)
    new, kept = split_new(catalog, documents)
    return UpdatePlan(new, [] if doc_id in kept else [stored], kept)


@dataclass(frozen=True)
class PreparedDocument:
    """A document ready to store: its chunks with keyword terms and cache keys, and its phrase tally."""

    document: Document
    chunks: list[StoredChunk]
    phrases: PhraseTally


def prepare_documents(documents: Documents, space: str) -> list[PreparedDocument]:
    """Everything a commit writes besides vectors, for documents whose vectors are in `space`."""
    return [
        PreparedDocument(
            document, [stored_chunk(chunk, space) for chunk in chunks], phrase_tally([c.text for c in chunks])
        )
        for document, chunks in documents
    ]
