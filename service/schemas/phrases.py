"""Topic phrases and phrases mined from the corpus."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from indexer import MAX_MINED_PHRASES, MAX_TOPIC_PHRASES, Example, MinedPhrase, PhraseKind, TopicPhrase
from service.schemas.common import PASTED_PARAGRAPH, FilterParams, check_text
from service.settings import Settings

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
