"""The HTTP API's request and response models, and their conversion from and to the library's records."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from indexer.schema import ChunkView, DocType, Document, DocumentInfo, Filters, Hit, Level
from indexer.search import SearchOptions, SearchPage
from service.errors import parameter_error
from service.openapi import maximum_setting
from service.settings import Settings

MAX_OFFSET = 1000
# Listings page through at most this many items; the bound keeps every offset storable in SQLite.
MAX_LIST_OFFSET = 1_000_000
FIRST_YEAR = 1949
LAST_YEAR = 2100
MAX_CONTEXT = 10

PASTED_PARAGRAPH = (
    "持续优化营商环境，深化“放管服”改革，加大招商引资力度，积极承接产业转移，"
    "推动一批重大项目落地见效，进一步激发市场主体活力。"
)


def as_list(value: object) -> object:
    """A single value where a list is expected (a JSON body's `"level": "省"`) is a list of one."""
    return [value] if isinstance(value, str) else value


Year = Annotated[int | None, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
Strings = Annotated[list[str], BeforeValidator(as_list)]
Mode = Literal["semantic", "keyword", "hybrid"]


class FilterParams(BaseModel):
    """Which documents a request may draw from."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    year_from: Year = Field(None, description="Earliest report year (inclusive).", examples=[2018])
    year_to: Year = Field(
        None, description="Latest report year (inclusive); not before year_from (422).", examples=[2025]
    )
    level: Annotated[list[Level], BeforeValidator(as_list)] = Field(
        default_factory=list, description="Administrative levels (repeatable).", examples=[["国务院"]]
    )
    region: Strings = Field(
        default_factory=list,
        description="Regions (repeatable): a document's own government or its province, so 浙江省"
        " (or 浙江) also finds reports of 杭州市.",
        examples=[["浙江省"]],
    )
    type: Annotated[list[DocType], BeforeValidator(as_list)] = Field(
        default_factory=list, description="Document types (repeatable).", examples=[["政府工作报告"]]
    )
    doc_id: Strings = Field(default_factory=list, description="Only these documents (repeatable).")
    exclude_doc_id: Strings = Field(default_factory=list, description="Never these documents (repeatable).")

    def filters(self) -> Filters:
        return Filters(
            year_from=self.year_from,
            year_to=self.year_to,
            levels=tuple(str(level) for level in self.level),
            regions=tuple(self.region),
            doc_types=tuple(str(doc_type) for doc_type in self.type),
            doc_ids=tuple(self.doc_id),
            exclude_doc_ids=tuple(self.exclude_doc_id),
        )

    def check(self, settings: Settings) -> None:
        """Limits that depend on each other or on the settings (422 naming the field)."""
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise parameter_error("year_to", f"must not be before year_from ({self.year_from})")


class RankingParams(FilterParams):
    """How to rank and which page of the ranking to return."""

    mode: Mode = Field("hybrid", description="hybrid (default), semantic or keyword.")
    k: int = Field(
        10,
        ge=1,
        description="Hits per page, at most the server's max_k (100 by default).",
        json_schema_extra=maximum_setting("max_k"),
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Hits to skip, for paging.")
    dedupe: bool = Field(True, description="Collapse near-identical passages into one hit.")
    per_document: int = Field(3, ge=0, le=100, description="Most hits from one document; 0 for no cap.")
    context: int = Field(0, ge=0, le=MAX_CONTEXT, description="Neighbouring passages to return on each side.")

    def options(self, settings: Settings) -> SearchOptions:
        """The library's options; the default page size shrinks to a server's smaller max_k."""
        k = self.k if "k" in self.model_fields_set else min(self.k, settings.max_k)
        return SearchOptions(
            mode=self.mode,
            k=k,
            offset=self.offset,
            filters=self.filters(),
            dedupe=self.dedupe,
            per_document=self.per_document or None,
            context=self.context,
        )

    def check(self, settings: Settings) -> None:
        super().check(settings)
        if "k" in self.model_fields_set and self.k > settings.max_k:
            raise parameter_error("k", f"must be at most {settings.max_k}")


def check_text(field: str, text: str, settings: Settings) -> None:
    if len(text) > settings.max_query_chars:
        raise parameter_error(
            field, f"must be at most {settings.max_query_chars} characters, got {len(text)}"
        )


class SearchParams(RankingParams):
    """A search: a few words (招商引资) or a pasted paragraph, with filters and paging."""

    q: str = Field(
        min_length=1, description="Words to look for, or a pasted paragraph.", examples=["招商引资"]
    )

    def check(self, settings: Settings) -> None:
        super().check(settings)
        check_text("q", self.q, settings)


class SimilarRequest(RankingParams):
    """Paragraphs like a stored passage (`chunk_id`) or a pasted one (`text`), from other documents."""

    chunk_id: str | None = Field(None, description="A passage from an earlier result; or give `text`.")
    text: str | None = Field(
        None, description="A pasted paragraph; or give `chunk_id`.", examples=[PASTED_PARAGRAPH]
    )

    def check(self, settings: Settings) -> None:
        super().check(settings)
        if bool(self.chunk_id) == bool(self.text):
            raise parameter_error("chunk_id", "give exactly one of chunk_id and text")
        if self.text:
            check_text("text", self.text, settings)


class DocumentListParams(FilterParams):
    """A page of the document listing."""

    limit: int = Field(20, ge=1, le=200, description="Documents per page.")
    offset: int = Field(0, ge=0, le=MAX_LIST_OFFSET, description="Documents to skip, for paging.")


# --- responses --------------------------------------------------------------------------------------------


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    source: str
    year: int | None
    level: str
    region: str | None = Field(description="The government that issued it (杭州市, 浙江省), where known.")
    province: str | None = Field(
        description="The province of that government (浙江省 for 杭州市), where known."
    )
    type: str
    chunk_count: int = Field(description="Passages the document was split into.")

    @classmethod
    def of(cls, info: DocumentInfo) -> DocumentOut:
        return cls(
            doc_id=info.doc_id,
            title=info.title,
            source=info.source,
            year=info.year,
            level=info.level,
            region=info.region,
            province=info.province,
            type=info.doc_type,
            chunk_count=info.chunk_count,
        )

    @classmethod
    def of_document(cls, document: Document, chunk_count: int) -> DocumentOut:
        return cls(
            doc_id=document.doc_id,
            title=document.title,
            source=document.source,
            year=document.year,
            level=str(document.level),
            region=document.region,
            province=document.province,
            type=str(document.doc_type),
            chunk_count=chunk_count,
        )


class ChunkOut(BaseModel):
    chunk_id: str
    doc_id: str
    ordinal: int = Field(description="Position of the passage in its document, from 0.")
    text: str
    heading_path: list[str] = Field(description="Headings the passage sits under, outermost first.")
    start: int = Field(description="Offset of the passage in the document's text.")
    end: int

    @classmethod
    def of(cls, chunk: ChunkView) -> ChunkOut:
        return cls.model_validate(chunk, from_attributes=True)


class Segment(BaseModel):
    """A run of a passage's text, highlighted or plain; joined in order they give the text back."""

    text: str
    highlight: bool


def segments(text: str, spans: tuple[tuple[int, int], ...]) -> list[Segment]:
    """Cut a passage at its highlight spans, so clients render marks without offset arithmetic."""
    pieces: list[Segment] = []
    position = 0
    for start, end in spans:
        if start > position:
            pieces.append(Segment(text=text[position:start], highlight=False))
        pieces.append(Segment(text=text[start:end], highlight=True))
        position = end
    if position < len(text):
        pieces.append(Segment(text=text[position:], highlight=False))
    return pieces


class HitOut(BaseModel):
    chunk_id: str
    score: float = Field(description="Ranking score; comparable within one response only.")
    text: str
    highlights: list[tuple[int, int]] = Field(description="[start, end) offsets of matched terms in `text`.")
    segments: list[Segment] = Field(description="`text` cut at the highlights.")
    heading_path: list[str]
    ordinal: int
    before: list[ChunkOut] = Field(description="Preceding passages, when `context` was asked for.")
    after: list[ChunkOut] = Field(description="Following passages, when `context` was asked for.")
    duplicates: int = Field(description="Near-identical passages collapsed into this hit.")
    document: DocumentOut

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        return cls(
            chunk_id=hit.chunk.chunk_id,
            score=hit.score,
            text=hit.chunk.text,
            highlights=list(hit.highlights),
            segments=segments(hit.chunk.text, hit.highlights),
            heading_path=list(hit.chunk.heading_path),
            ordinal=hit.chunk.ordinal,
            before=[ChunkOut.of(chunk) for chunk in hit.before],
            after=[ChunkOut.of(chunk) for chunk in hit.after],
            duplicates=hit.duplicates,
            document=DocumentOut.of(hit.document),
        )


class SearchResponse(BaseModel):
    mode: Mode
    total: int = Field(description="Hits available for this query and filters, for paging.")
    offset: int = Field(description="Hits skipped before the first one here.")
    hits: list[HitOut]

    @classmethod
    def from_page(cls, page: SearchPage, offset: int = 0) -> SearchResponse:
        return cls(
            mode=page.mode, total=page.total, offset=offset, hits=[HitOut.of(hit) for hit in page.hits]
        )


class DocumentList(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentOut]


class DocumentDetail(BaseModel):
    document: DocumentOut
    chunks: list[ChunkOut] = Field(description="All its passages, in order.")


class ChunkDetail(BaseModel):
    chunk: ChunkOut
    document: DocumentOut
    before: list[ChunkOut]
    after: list[ChunkOut]

    @classmethod
    def of(cls, hit: Hit) -> ChunkDetail:
        return cls(
            chunk=ChunkOut.of(hit.chunk),
            document=DocumentOut.of(hit.document),
            before=[ChunkOut.of(chunk) for chunk in hit.before],
            after=[ChunkOut.of(chunk) for chunk in hit.after],
        )


class UploadResponse(BaseModel):
    added: list[DocumentOut] = Field(description="Documents now in the index.")
    removed: list[str] = Field(
        description="Ids of documents removed: the replaced document for PUT, always empty for POST."
    )
    unchanged: list[str] = Field(
        description="Ids of uploaded documents that were already indexed as they are."
    )
    embedded: int = Field(description="Passages that needed the model (the rest reused cached vectors).")


class Stats(BaseModel):
    index_dir: str
    counts: dict[str, int]
    manifest: dict[str, str]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    documents: int
    chunks: int


class Info(BaseModel):
    version: str
    ready: bool
    manifest: dict[str, str] = Field(description="The loaded index's manifest (empty until it is loaded).")
    settings: dict[str, object] = Field(
        description="Non-secret settings; `api_key` only says whether one is set."
    )
