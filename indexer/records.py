"""The typed records that cross module boundaries: documents, chunks, search filters and hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    """Administrative level of the issuing government."""

    NATIONAL = "国务院"
    PROVINCE = "省"
    CITY = "市"
    COUNTY = "县"
    TOWNSHIP = "乡镇"
    UNKNOWN = "未知"


class Mode(StrEnum):
    """How passages are matched: by meaning, by words, or both fused."""

    SEMANTIC = "semantic"
    KEYWORD = "keyword"
    HYBRID = "hybrid"


class DocType(StrEnum):
    REPORT = "政府工作报告"
    SUMMARY = "工作总结"
    SPEECH = "讲话"
    RESOLUTION = "决议"
    OTHER = "其他"


@dataclass(frozen=True, kw_only=True)
class DocumentInfo:
    """A document's metadata without its text, as listings and search hits carry it."""

    doc_id: str
    title: str
    source: str
    year: int | None = None
    level: Level = Level.UNKNOWN
    # The government that issued it (杭州市); `province` is the province that government is in (浙江省).
    region: str | None = None
    doc_type: DocType = DocType.OTHER
    # What it was indexed from: the folder or file given to `govsearch index` (absolute), or "upload".
    # Re-indexing an origin makes the index mirror it; other origins are never touched.
    origin: str = ""
    province: str | None = None
    chunk_count: int = 0


@dataclass(frozen=True, kw_only=True)
class Document(DocumentInfo):
    """One report after reading, cleaning and splitting: its metadata and the text users see and chunks
    index into."""

    text: str
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A passage: `text == document.text[start:end]`; `chunk_id` is a content hash, stable across runs."""

    chunk_id: str
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    heading_path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """An input that was not ingested, and why (one line, for people)."""

    source: str
    reason: str
    origin: str = ""


@dataclass(frozen=True)
class Filters:
    """Restrictions on which chunks a search may return."""

    year_from: int | None = None
    year_to: int | None = None
    levels: tuple[Level, ...] = ()
    # A document passes when its region or its province is one of these.
    regions: tuple[str, ...] = ()
    doc_types: tuple[DocType, ...] = ()
    doc_ids: tuple[str, ...] = ()
    exclude_doc_ids: tuple[str, ...] = ()

    def memberships(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The filters that keep documents whose field is one of a list: (field, values), set or not."""
        return (("level", self.levels), ("doc_type", self.doc_types), ("doc_id", self.doc_ids))


@dataclass(frozen=True)
class Hit:
    """One search result: a passage, why it ranked, where it comes from and what surrounds it."""

    chunk: Chunk
    document: DocumentInfo
    score: float
    highlights: tuple[tuple[int, int], ...] = ()
    before: tuple[Chunk, ...] = ()
    after: tuple[Chunk, ...] = ()
    duplicates: int = 0
