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


class DocType(StrEnum):
    REPORT = "政府工作报告"
    SUMMARY = "工作总结"
    SPEECH = "讲话"
    RESOLUTION = "决议"
    OTHER = "其他"


@dataclass(frozen=True)
class Document:
    """One report after reading, cleaning and splitting; `text` is what users see and chunks index into."""

    doc_id: str
    title: str
    source: str
    text: str
    year: int | None = None
    level: Level = Level.UNKNOWN
    # The government that issued it (杭州市); `province` is the province that government is in (浙江省).
    region: str | None = None
    doc_type: DocType = DocType.OTHER
    extra: dict[str, str] = field(default_factory=dict)
    # What it was indexed from: the folder or file given to `govsearch index` (absolute), or "upload".
    # Re-indexing an origin makes the index mirror it; other origins are never touched.
    origin: str = ""
    province: str | None = None


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
    levels: tuple[str, ...] = ()
    # A document passes when its region or its province is one of these.
    regions: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    exclude_doc_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentInfo:
    """A document's metadata without its text, as search hits and listings carry it."""

    doc_id: str
    title: str
    source: str
    year: int | None
    level: str
    region: str | None
    doc_type: str
    chunk_count: int = 0
    province: str | None = None


@dataclass(frozen=True)
class ChunkView:
    """A stored chunk with its document, as read back from the catalog."""

    chunk_id: str
    doc_id: str
    ordinal: int
    text: str
    heading_path: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Hit:
    """One search result: a passage, why it ranked, where it comes from and what surrounds it."""

    chunk: ChunkView
    document: DocumentInfo
    score: float
    highlights: tuple[tuple[int, int], ...] = ()
    before: tuple[ChunkView, ...] = ()
    after: tuple[ChunkView, ...] = ()
    duplicates: int = 0
