"""Search and similar-paragraph requests; hits as the API returns them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from indexer import Hit, SearchPage
from service.errors import parameter_error
from service.schemas.common import PASTED_PARAGRAPH, Mode, RankingParams, check_text
from service.schemas.documents import ChunkOut, DocumentOut
from service.settings import Settings


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
    total: int = Field(
        description="Hits counted up to the first one after this page: the exact number of hits when "
        "`more` is false, a lower bound when it is true (hits past the next page are not counted)."
    )
    more: bool = Field(description="Whether the next page has hits (exact: the server found one).")
    offset: int = Field(description="Hits skipped before the first one here.")
    hits: list[HitOut]

    @classmethod
    def from_page(cls, page: SearchPage, offset: int = 0) -> SearchResponse:
        return cls(
            mode=page.mode,
            total=page.total,
            more=page.more,
            offset=offset,
            hits=[HitOut.of(hit) for hit in page.hits],
        )


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
