"""Topic phrases and phrases mined from the whole corpus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from service.dependencies import IndexDep, checked
from service.errors import BUSY, UNAVAILABLE, documented
from service.schemas.common import PASTED_PARAGRAPH
from service.schemas.phrases import (
    MinedPhrasesParams,
    MinedPhrasesResponse,
    TopicPhrasesParams,
    TopicPhrasesResponse,
)

router = APIRouter(tags=["phrases"])


INVALID = documented((422, "A parameter out of bounds; `error.field` names it."))
# Topic phrases run a search, so they are admitted like one (service.admission).
ADMITTED_PATHS = ("/phrases",)


TOPIC_EXAMPLES = {
    "topic": {"summary": "一个主题", "value": {"q": "招商引资", "k": 20}},
    "paragraph": {
        "summary": "粘贴一段文字，只看2018年以来的报告",
        "value": {"q": PASTED_PARAGRAPH, "k": 10, "year_from": 2018},
    },
}


@router.get(
    "/phrases",
    response_model=TopicPhrasesResponse,
    responses={**INVALID, **UNAVAILABLE, **BUSY},
    summary="Topic phrases",
)
def topic_phrases(
    params: Annotated[TopicPhrasesParams, checked(TopicPhrasesParams, Query())],
    index: IndexDep,
) -> TopicPhrasesResponse:
    """The expressions reports use for a topic (招商引资 → 精准招商, 以商招商 …), with example sentences.

    `year_to` before `year_from` is 422; like a search it takes a search slot, or is 503 busy.
    """
    return TopicPhrasesResponse.of(params.q, index.topic_phrases(params.q, params.k, params.filters()))


@router.post(
    "/phrases",
    response_model=TopicPhrasesResponse,
    responses={**INVALID, **UNAVAILABLE, **BUSY},
    summary="Topic phrases of a pasted paragraph",
)
def topic_phrases_long(
    params: Annotated[TopicPhrasesParams, checked(TopicPhrasesParams, Body(openapi_examples=TOPIC_EXAMPLES))],
    index: IndexDep,
) -> TopicPhrasesResponse:
    """The same with the topic in a JSON body, for pasted paragraphs too long for a URL.

    `year_to` before `year_from` is 422.
    """
    return TopicPhrasesResponse.of(params.q, index.topic_phrases(params.q, params.k, params.filters()))


@router.get(
    "/phrases/mined",
    response_model=MinedPhrasesResponse,
    responses={**INVALID, **UNAVAILABLE},
    summary="Phrases used across the corpus",
)
def mined_phrases(params: Annotated[MinedPhrasesParams, Query()], index: IndexDep) -> MinedPhrasesResponse:
    """Fixed formulations, series, 一是/二是 lists, 以…为… patterns and pairs used by several documents."""
    return MinedPhrasesResponse.of(index.mined_phrases(params.min_docs, params.limit))
