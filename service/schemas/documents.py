"""Documents and passages as the API lists, returns and receives them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from indexer import Chunk, DocType, DocumentInfo, Level
from service.schemas.common import MAX_LIST_OFFSET, FilterParams


class DocumentListParams(FilterParams):
    """A page of the document listing."""

    limit: int = Field(20, ge=1, le=200, description="Documents per page.")
    offset: int = Field(0, ge=0, le=MAX_LIST_OFFSET, description="Documents to skip, for paging.")


class DocumentOut(BaseModel):
    """A document's metadata as the API shows it (the library's `doc_type` is `type` here)."""

    model_config = ConfigDict(from_attributes=True)

    doc_id: str
    title: str
    source: str
    year: int | None
    level: Level
    region: str | None = Field(description="The government that issued it (杭州市, 浙江省), where known.")
    province: str | None = Field(
        description="The province of that government (浙江省 for 杭州市), where known."
    )
    type: DocType = Field(validation_alias="doc_type")
    chunk_count: int = Field(description="Passages the document was split into.")

    @classmethod
    def of(cls, info: DocumentInfo) -> DocumentOut:
        return cls.model_validate(info)


class ChunkOut(BaseModel):
    chunk_id: str
    doc_id: str
    ordinal: int = Field(description="Position of the passage in its document, from 0.")
    text: str
    heading_path: list[str] = Field(description="Headings the passage sits under, outermost first.")
    start: int = Field(description="Offset of the passage in the document's text.")
    end: int

    @classmethod
    def of(cls, chunk: Chunk) -> ChunkOut:
        return cls.model_validate(chunk, from_attributes=True)


class DocumentList(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentOut]


class DocumentDetail(BaseModel):
    document: DocumentOut
    chunks: list[ChunkOut] = Field(description="All its passages, in order.")


class UploadResponse(BaseModel):
    added: list[DocumentOut] = Field(description="Documents now in the index.")
    removed: list[str] = Field(
        description="Ids of documents removed: the replaced document for PUT, always empty for POST."
    )
    unchanged: list[str] = Field(
        description="Ids of uploaded documents that were already indexed as they are."
    )
    embedded: int = Field(description="Passages that needed the model (the rest reused cached vectors).")
