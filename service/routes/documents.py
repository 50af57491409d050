"""List, read, upload and delete documents; uploads and deletes may need the API key."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from indexer import Documents, UpdateReport
from service.dependencies import HolderDep, IndexDep, SettingsDep, checked, require_api_key
from service.errors import UNAUTHORIZED, UNAVAILABLE, Responses, documented
from service.schemas.documents import (
    ChunkOut,
    DocumentDetail,
    DocumentList,
    DocumentListParams,
    DocumentOut,
    UploadResponse,
)
from service.uploads import multipart_files_body, read_uploads, receive_files

router = APIRouter(prefix="/documents", tags=["documents"])

NOT_FOUND = documented((404, "Unknown document id."))
UPLOAD_ERRORS: Responses = {
    **UNAVAILABLE,
    **UNAUTHORIZED,
    **documented(
        (413, "The body is larger than max_upload_bytes, or a document is longer than max_document_chars."),
        (415, "Not multipart, or a file that is not txt/md/html/docx/pdf/jsonl."),
        (422, "No file in the form."),
    ),
}
UPLOAD_BODY = multipart_files_body(
    {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "description": "Reports as .txt, .md, .html, .docx, .pdf or .jsonl files.",
    }
)


@router.get(
    "",
    response_model=DocumentList,
    responses={**UNAVAILABLE, **documented((422, "A parameter out of bounds; `error.field` names it."))},
)
def list_documents(
    params: Annotated[DocumentListParams, checked(DocumentListParams, Query())], index: IndexDep
) -> DocumentList:
    """Indexed documents, newest first, filtered like a search; `year_to` before `year_from` is 422."""
    documents, total = index.documents(params.filters(), params.limit, params.offset)
    return DocumentList(
        total=total,
        offset=params.offset,
        limit=params.limit,
        documents=[DocumentOut.of(document) for document in documents],
    )


@router.get("/{doc_id}", response_model=DocumentDetail, responses={**UNAVAILABLE, **NOT_FOUND})
def get_document(doc_id: str, index: IndexDep) -> DocumentDetail:
    """A document's metadata and all its passages in order."""
    info, chunks = index.document(doc_id)
    return DocumentDetail(document=DocumentOut.of(info), chunks=[ChunkOut.of(chunk) for chunk in chunks])


@router.post(
    "",
    status_code=201,
    response_model=UploadResponse,
    responses=UPLOAD_ERRORS,
    dependencies=[Depends(require_api_key)],
    openapi_extra=UPLOAD_BODY,
)
async def upload_documents(request: Request, holder: HolderDep, settings: SettingsDep) -> UploadResponse:
    """Add reports to the index. Nothing is ever replaced: a file with the name of an earlier upload but
    other text is another report; the same file again is reported `unchanged`."""
    return await receive_and_index(request, settings, holder.get().add)


@router.put(
    "/{doc_id}",
    response_model=UploadResponse,
    responses={**UPLOAD_ERRORS, **NOT_FOUND},
    dependencies=[Depends(require_api_key)],
    openapi_extra=UPLOAD_BODY,
)
async def replace_document(
    doc_id: str, request: Request, holder: HolderDep, settings: SettingsDep
) -> UploadResponse:
    """Replace a report with a new version of it: the document goes and the uploaded file's documents
    come in one commit (if the new version cannot be read, the old one stays)."""
    index = holder.get()
    index.document_info(doc_id)  # 404 before the upload is read
    return await receive_and_index(request, settings, partial(index.replace, doc_id))


async def receive_and_index(
    request: Request, settings: SettingsDep, update: Callable[[Documents], UpdateReport]
) -> UploadResponse:
    """Receive the files (size-limited), read them all, then `update` the index; both in worker threads."""
    files = await receive_files(request, settings.max_upload_bytes)
    try:
        with tempfile.TemporaryDirectory(prefix="govsearch-upload-") as directory:
            documents = await run_in_threadpool(
                read_uploads, files, Path(directory), settings.max_document_chars
            )
    finally:
        for file in files:
            await file.close()
    report = await run_in_threadpool(update, documents)
    added = set(report.added)
    return UploadResponse(
        added=[
            DocumentOut.of(replace(document, chunk_count=len(chunks)))
            for document, chunks in documents
            if document.doc_id in added
        ],
        removed=report.removed,
        unchanged=[document.doc_id for document, _ in documents if document.doc_id not in added],
        embedded=report.embedded,
    )


@router.delete(
    "/{doc_id}",
    status_code=204,
    responses={**UNAVAILABLE, **NOT_FOUND, **UNAUTHORIZED},
    dependencies=[Depends(require_api_key)],
)
def delete_document(doc_id: str, holder: HolderDep) -> Response:
    """Remove a document, its passages and their vectors."""
    holder.get().delete_document(doc_id)
    return Response(status_code=204)
