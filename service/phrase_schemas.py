"""Request and response models of the phrase endpoints: topic phrases, mined phrases, the phrase bank."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from indexer.bank.records import MAX_NOTE_CHARS, MAX_PHRASE_CHARS, BankEntry
from indexer.bank.store import BankPage
from indexer.phrases.mining import MinedPhrase, PhraseKind
from indexer.phrases.topics import Example, TopicPhrase
from service.schemas import MAX_LIST_OFFSET, PASTED_PARAGRAPH, FilterParams, check_text
from service.settings import Settings

MAX_TOPIC_PHRASES = 100
MAX_MINED_PHRASES = 1000
MAX_BANK_PAGE = 500
# No phrase is used by more documents than an index holds; the bound keeps the number storable.
MAX_MIN_DOCS = 1_000_000


class TopicPhrasesParams(FilterParams):
    """A topic (招商引资) or a pasted paragraph, and which documents its passages may come from."""

    q: str = Field(
        min_length=1,
        description="A topic in a few words, or a pasted paragraph.",
        examples=["招商引资", PASTED_PARAGRAPH],
    )
    k: int = Field(20, ge=1, le=MAX_TOPIC_PHRASES, description="How many phrases.")

    def check(self, settings: Settings) -> None:
        super().check(settings)
        check_text("q", self.q, settings)


class MinedPhrasesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, ge=1, le=MAX_MINED_PHRASES, description="How many phrases, best first.")
    min_docs: int = Field(2, ge=1, le=MAX_MIN_DOCS, description="Fewest documents a phrase must be used in.")


class ExampleOut(BaseModel):
    chunk_id: str = Field(description="The passage the sentence is from (see /chunks/{chunk_id}).")
    doc_id: str
    sentence: str = Field(description="The sentence using the phrase; … where a long one was cut.")

    @classmethod
    def of(cls, example: Example) -> ExampleOut:
        return cls.model_validate(example, from_attributes=True)


class TopicPhraseOut(BaseModel):
    phrase: str = Field(examples=["精准招商"])
    score: float = Field(description="How distinctive of the topic; comparable within one response only.")
    count: int = Field(description="Occurrences in the passages retrieved for the topic.")
    doc_count: int = Field(description="Documents among those passages that use it.")
    examples: list[ExampleOut] = Field(description="Up to three sentences, each from another passage.")

    @classmethod
    def of(cls, phrase: TopicPhrase) -> TopicPhraseOut:
        return cls(
            phrase=phrase.phrase,
            score=phrase.score,
            count=phrase.count,
            doc_count=phrase.doc_count,
            examples=[ExampleOut.of(example) for example in phrase.examples],
        )


class TopicPhrasesResponse(BaseModel):
    query: str
    phrases: list[TopicPhraseOut] = Field(description="Most distinctive first.")

    @classmethod
    def of(cls, query: str, phrases: Sequence[TopicPhrase]) -> TopicPhrasesResponse:
        return cls(query=query, phrases=[TopicPhraseOut.of(phrase) for phrase in phrases])


class MinedPhraseOut(BaseModel):
    phrase: str = Field(examples=["以人民为中心"])
    score: float
    doc_count: int = Field(description="Documents that use it.")
    count: int = Field(description="Occurrences in the whole corpus.")
    kind: PhraseKind = Field(description="ngram, or a structure: series, list, pattern (以…为…), pair.")

    @classmethod
    def of(cls, phrase: MinedPhrase) -> MinedPhraseOut:
        return cls.model_validate(phrase, from_attributes=True)


class MinedPhrasesResponse(BaseModel):
    phrases: list[MinedPhraseOut] = Field(description="Best first.")

    @classmethod
    def of(cls, phrases: Sequence[MinedPhrase]) -> MinedPhrasesResponse:
        return cls(phrases=[MinedPhraseOut.of(phrase) for phrase in phrases])


# --- the phrase bank -------------------------------------------------------------------------------------


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
