"""The saved phrase bank (素材库): entries in and out, listings, imports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from indexer import MAX_BANK_PAGE, MAX_NOTE_CHARS, MAX_PHRASE_CHARS, BankEntry, BankPage
from service.schemas.common import MAX_LIST_OFFSET


class BankEntryIn(BaseModel):
    """A phrase to keep; tags may not contain `;` (the CSV export joins them with it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phrase: str = Field(min_length=1, max_length=MAX_PHRASE_CHARS, examples=["精准招商"])
    tags: list[str] = Field(default_factory=list, examples=[["招商引资", "方法"]])
    note: str = Field("", max_length=MAX_NOTE_CHARS, examples=["与“以商招商”“产业链招商”并列使用"])
    source_chunk_id: str | None = Field(
        None, description="The passage the phrase was taken from; 422 unless it is a passage of the index."
    )


class BankEntryPatch(BaseModel):
    """The fields to change; the others stay. `source_chunk_id: null` unlinks the passage."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phrase: str | None = Field(None, min_length=1, max_length=MAX_PHRASE_CHARS, examples=["以商招商"])
    tags: list[str] | None = Field(None, examples=[["招商引资"]])
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS, examples=["常与“乡贤招商”连用"])
    source_chunk_id: str | None = Field(
        None, description="A passage of the index (422 otherwise), or null to unlink the entry's passage."
    )

    def names_source_chunk(self) -> bool:
        """Whether the request names `source_chunk_id` (null unlinks), rather than leaving it as it is."""
        return "source_chunk_id" in self.model_fields_set


class BankEntryOut(BaseModel):
    id: int
    phrase: str
    tags: list[str]
    note: str
    source_chunk_id: str | None
    created: datetime
    updated: datetime

    @classmethod
    def of(cls, entry: BankEntry) -> BankEntryOut:
        return cls.model_validate(entry, from_attributes=True)


class BankListParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tag: str | None = Field(None, description="Only entries with this tag.", examples=["招商引资"])
    q: str | None = Field(None, description="Only entries whose phrase or note contains this.")
    limit: int = Field(50, ge=1, le=MAX_BANK_PAGE, description="Entries per page.")
    offset: int = Field(0, ge=0, le=MAX_LIST_OFFSET, description="Entries to skip, for paging.")


class BankList(BaseModel):
    total: int = Field(description="Entries matching the tag and text, for paging.")
    offset: int
    limit: int
    entries: list[BankEntryOut] = Field(description="Newest first.")

    @classmethod
    def of(cls, page: BankPage, params: BankListParams) -> BankList:
        return cls(
            total=page.total,
            offset=params.offset,
            limit=params.limit,
            entries=[BankEntryOut.of(entry) for entry in page.entries],
        )


class BankImportResult(BaseModel):
    imported: int = Field(description="Entries added or replaced (by id).")
    unchanged: int = Field(description="Entries of the file the bank already held as they are (not written).")
