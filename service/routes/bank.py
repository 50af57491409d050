"""The saved phrase bank (素材库): list, save, edit, delete, export, import; edits may need the API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from indexer import (
    KEEP,
    MAX_ENTRY_ID,
    BankFormat,
    PhraseBank,
    UnknownChunk,
    export_bank,
    format_of,
    import_bank,
)
from service.dependencies import HolderDep, SettingsDep, require_api_key
from service.errors import UNAUTHORIZED, UNAVAILABLE, Responses, documented, parameter_error
from service.schemas.bank import (
    BankEntryIn,
    BankEntryOut,
    BankEntryPatch,
    BankImportResult,
    BankList,
    BankListParams,
)
from service.uploads import multipart_files_body, receive_files

router = APIRouter(tags=["bank"])
INVALID = documented((422, "A parameter out of bounds, or an entry the bank refuses."))


NOT_FOUND = documented((404, "No bank entry with that id."))


CONFLICT = documented((409, "The phrase is already in the bank; the message gives its id."))


IMPORT_ERRORS: Responses = {
    **UNAUTHORIZED,
    **UNAVAILABLE,
    **documented(
        (413, "The file is larger than max_upload_bytes."),
        (415, "Not multipart, or a file that is not text."),
        (422, "A bad file: the message names the CSV row or JSON entry; nothing is imported."),
    ),
}


IMPORT_BODY = multipart_files_body(
    {
        "type": "string",
        "format": "binary",
        "description": "A bank export (.csv or .json), or a CSV with a phrase column.",
    }
)


ENTRY_EXAMPLES = {
    "from_result": {
        "summary": "从检索结果加入",
        "value": {
            "phrase": "精准招商",
            "tags": ["招商引资"],
            "note": "常与“以商招商”“产业链招商”并列",
            "source_chunk_id": "<chunk_id of a hit>",
        },
    },
    "by_hand": {
        "summary": "手动添加",
        "value": {"phrase": "苦干实干、勇毅前行、接续奋斗", "tags": ["四字格"]},
    },
}


PATCH_EXAMPLES = {
    "note": {"summary": "改笔记", "value": {"note": "用于开篇总述"}},
    "tags": {"summary": "换标签并去掉来源", "value": {"tags": ["招商引资", "方法"], "source_chunk_id": None}},
}


def phrase_bank(settings: SettingsDep, holder: HolderDep) -> PhraseBank:
    """The bank file named by the settings; each call opens its own connection, so this is cheap.

    Links to passages are checked against the index, which is needed (503) only when an entry names one.
    """

    def known_passage(chunk_id: str) -> bool:
        try:
            holder.get().chunk(chunk_id, context=0)
        except UnknownChunk:
            return False
        return True

    return PhraseBank(settings.bank_path, known_passage)


BankDep = Annotated[PhraseBank, Depends(phrase_bank)]


EntryId = Annotated[int, Path(ge=1, le=MAX_ENTRY_ID, description="The entry's id (see GET /bank).")]


@router.get("/bank", response_model=BankList, responses=INVALID, summary="List the bank")
def list_entries(params: Annotated[BankListParams, Query()], bank: BankDep) -> BankList:
    """Saved phrases, newest first, optionally with one tag or containing some text."""
    page = bank.list(tag=params.tag, query=params.q, limit=params.limit, offset=params.offset)
    return BankList.of(page, params)


@router.post(
    "/bank",
    status_code=201,
    response_model=BankEntryOut,
    responses={**INVALID, **UNAUTHORIZED, **CONFLICT, **UNAVAILABLE},
    dependencies=[Depends(require_api_key)],
    summary="Save a phrase",
)
def create_entry(
    entry: Annotated[BankEntryIn, Body(openapi_examples=ENTRY_EXAMPLES)], bank: BankDep
) -> BankEntryOut:
    """Keep a phrase with tags, a note and the passage it came from; a phrase is kept once (409).

    `source_chunk_id` must be a passage of the index (422 otherwise; 503 while no index is loaded).
    """
    return BankEntryOut.of(bank.create(entry.phrase, entry.tags, entry.note, entry.source_chunk_id))


# Before /bank/{entry_id}, so `export` and `import` are not taken for ids.
@router.get(
    "/bank/export",
    response_class=Response,
    responses={
        200: {
            "description": "The file, as an attachment.",
            "content": {"text/csv": {}, "application/json": {}},
        },
        **INVALID,
    },
    summary="Export the bank",
)
def export_entries(
    bank: BankDep,
    form: Annotated[
        BankFormat, Query(alias="format", description="csv (UTF-8 with BOM, opens in Excel) or json.")
    ] = BankFormat.CSV,
) -> Response:
    """Every entry with every field; importing the file restores the bank exactly."""
    exported = export_bank(bank, form)
    disposition = f'attachment; filename="{exported.filename}"'
    return Response(
        exported.text, media_type=exported.media_type, headers={"Content-Disposition": disposition}
    )


@router.post(
    "/bank/import",
    response_model=BankImportResult,
    responses=IMPORT_ERRORS,
    dependencies=[Depends(require_api_key)],
    openapi_extra=IMPORT_BODY,
    summary="Import a bank file",
)
async def import_entries(
    request: Request,
    settings: SettingsDep,
    bank: BankDep,
    given: Annotated[
        BankFormat | None, Query(alias="format", description="csv or json (default: from the file name).")
    ] = None,
) -> BankImportResult:
    """Add the entries of a file, replacing those with the same id; a bad row imports nothing (422).

    Entries the bank already holds as they are are not written, only counted (`unchanged`). A
    `source_chunk_id` new to its entry must be a passage of the index (422 naming the row otherwise).
    """
    files = await receive_files(request, settings.max_upload_bytes)
    try:
        if len(files) != 1:
            raise parameter_error("files", f"send one file, not {len(files)}")
        form = format_of(files[0].filename, given)
        data = await files[0].read()
    finally:
        for file in files:
            await file.close()
    report = await run_in_threadpool(import_bank, bank, data, form)
    return BankImportResult(imported=report.imported, unchanged=report.unchanged)


@router.get("/bank/{entry_id}", response_model=BankEntryOut, responses={**INVALID, **NOT_FOUND})
def get_entry(entry_id: EntryId, bank: BankDep) -> BankEntryOut:
    """One saved phrase."""
    return BankEntryOut.of(bank.get(entry_id))


@router.patch(
    "/bank/{entry_id}",
    response_model=BankEntryOut,
    responses={**INVALID, **NOT_FOUND, **UNAUTHORIZED, **CONFLICT, **UNAVAILABLE},
    dependencies=[Depends(require_api_key)],
)
def update_entry(
    entry_id: EntryId, patch: Annotated[BankEntryPatch, Body(openapi_examples=PATCH_EXAMPLES)], bank: BankDep
) -> BankEntryOut:
    """Change the given fields of an entry; the others stay. A new `source_chunk_id` must be a passage
    of the index (422 otherwise; 503 while no index is loaded)."""
    updated = bank.update(
        entry_id,
        phrase=patch.phrase,
        tags=patch.tags,
        note=patch.note,
        source_chunk_id=patch.source_chunk_id if patch.names_source_chunk() else KEEP,
    )
    return BankEntryOut.of(updated)


@router.delete(
    "/bank/{entry_id}",
    status_code=204,
    responses={**INVALID, **NOT_FOUND, **UNAUTHORIZED},
    dependencies=[Depends(require_api_key)],
)
def delete_entry(entry_id: EntryId, bank: BankDep) -> Response:
    """Remove a saved phrase."""
    bank.delete(entry_id)
    return Response(status_code=204)
