"""Search, similar passages and a passage in context. Plain `def` handlers: the model and FAISS block."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from indexer import SearchPage
from service.dependencies import IndexDep, SettingsDep, checked
from service.errors import BUSY, UNAVAILABLE, Responses, documented
from service.schemas.common import MAX_CONTEXT, PASTED_PARAGRAPH
from service.schemas.search import ChunkDetail, SearchParams, SearchResponse, SimilarRequest

router = APIRouter(tags=["search"])

ERRORS: Responses = {**UNAVAILABLE, **documented((422, "A parameter out of bounds; `error.field` names it."))}
# Searches are admitted (service.admission): beyond the server's capacity they are refused with 503 busy.
ADMITTED_PATHS = ("/search", "/similar")
SEARCH_ERRORS: Responses = {**ERRORS, **BUSY}
NOT_FOUND = documented((404, "Unknown id."))

SEARCH_EXAMPLES = {
    "words": {"summary": "A few words", "value": {"q": "招商引资", "k": 5}},
    "paragraph": {
        "summary": "A pasted paragraph, national reports since 2018",
        "value": {"q": PASTED_PARAGRAPH, "year_from": 2018, "level": ["国务院"], "context": 1},
    },
}
SIMILAR_EXAMPLES = {
    "paragraph": {"summary": "A pasted paragraph", "value": {"text": PASTED_PARAGRAPH, "k": 5}},
    "chunk": {"summary": "A passage from an earlier result", "value": {"chunk_id": "<chunk_id of a hit>"}},
}


def as_json(page: SearchPage, offset: int) -> Response:
    """The page as a SearchResponse in JSON, serialised here on the worker thread. Returned as a Response,
    FastAPI sends it as is; given the model, it would validate it again in a second threadpool hop and
    serialise it on the event loop, which every other request waits for (measured: 0.9 ms less event-loop
    CPU per search, 0.5 ms less in all). `response_model` still documents it."""
    return Response(SearchResponse.from_page(page, offset).model_dump_json(), media_type="application/json")


@router.get("/search", response_model=SearchResponse, responses=SEARCH_ERRORS, summary="Search passages")
def search(
    params: Annotated[SearchParams, checked(SearchParams, Query())],
    index: IndexDep,
    settings: SettingsDep,
) -> Response:
    """Passages for a few words (招商引资); repeat `level`, `region`, `type`, `doc_id` to allow several.

    422 also for `k` above the server's max_k, `year_to` before `year_from`, or a query of nothing but
    white space and control characters.
    """
    return as_json(index.search(params.q, params.options(settings)), params.offset)


@router.post(
    "/search", response_model=SearchResponse, responses=SEARCH_ERRORS, summary="Search with a long text"
)
def search_long(
    params: Annotated[SearchParams, checked(SearchParams, Body(openapi_examples=SEARCH_EXAMPLES))],
    index: IndexDep,
    settings: SettingsDep,
) -> Response:
    """The same search with the query in a JSON body, for pasted paragraphs too long for a URL.

    422 also for `k` above the server's max_k, `year_to` before `year_from`, or a query of nothing but
    white space and control characters.
    """
    return as_json(index.search(params.q, params.options(settings)), params.offset)


@router.post(
    "/similar",
    response_model=SearchResponse,
    responses={**SEARCH_ERRORS, **NOT_FOUND},
    summary="Similar paragraphs",
)
def similar(
    request: Annotated[SimilarRequest, checked(SimilarRequest, Body(openapi_examples=SIMILAR_EXAMPLES))],
    index: IndexDep,
    settings: SettingsDep,
) -> Response:
    """Paragraphs like a stored passage (from other documents) or like a pasted paragraph.

    Give exactly one of `chunk_id` and `text`: both, or neither, is 422. 422 also for `k` above the
    server's max_k and `year_to` before `year_from`; 404 for an unknown `chunk_id`.
    """
    if request.chunk_id:
        page = index.similar(request.chunk_id, request.options(settings))
    else:
        page = index.search(request.text or "", request.options(settings))
    return as_json(page, request.offset)


@router.get("/chunks/{chunk_id}", response_model=ChunkDetail, responses={**ERRORS, **NOT_FOUND})
def chunk(
    chunk_id: str,
    index: IndexDep,
    context: Annotated[int, Query(ge=0, le=MAX_CONTEXT, description="Passages on each side.")] = 1,
) -> ChunkDetail:
    """One passage with its neighbours and its document: the passage in context."""
    return ChunkDetail.of(index.chunk(chunk_id, context))
