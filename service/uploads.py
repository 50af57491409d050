"""Uploaded files: received with a size limit enforced while streaming, saved to a temp dir, then indexed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from indexer import Documents, ingest_uploads
from service.errors import ApiError, parameter_error

# Uploaded files are indexed as `uploads/<name>` (origin "upload"): an upload only ever adds (two
# different files of one name are two reports); replacing a report is PUT /documents/{id}.
UPLOAD_FOLDER = "uploads"
MAX_FILES = 100
UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")
# File systems allow 255 bytes a name; stay well under, whatever the name's script.
MAX_NAME_BYTES = 180


def too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"uploads are limited to {limit} bytes (max_upload_bytes)")


def limited_request(request: Request, limit: int) -> Request:
    """The same request whose body stops with 413 once more than `limit` bytes arrived.

    The declared Content-Length is checked first; the count catches chunked bodies and liars, so a
    2 GB upload is refused after `limit` bytes, not after it was spooled to disk.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise too_large(limit)
        return message

    return Request(request.scope, receive)


async def receive_files(request: Request, limit: int) -> list[UploadFile]:
    """The files of a multipart/form-data body (any field name), spooled to disk by Starlette."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "send the files as multipart/form-data (field `files`)")
    form = await limited_request(request, limit).form(max_files=MAX_FILES, max_fields=MAX_FILES)
    files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
    if not files:
        raise parameter_error("files", "no file in the upload; send one or more as multipart field `files`")
    return files


def safe_name(filename: str | None) -> str:
    """The file's own name without any directory part or characters unsafe on disk, at most 180 bytes."""
    name = UNSAFE_NAME.sub("_", Path((filename or "").replace("\\", "/")).name).strip(" .") or "upload"
    stem, suffix = Path(name).stem, Path(name).suffix
    if len(suffix.encode()) > MAX_NAME_BYTES // 2:
        stem, suffix = name, ""
    budget = MAX_NAME_BYTES - len(suffix.encode())
    return stem.encode()[:budget].decode(errors="ignore") + suffix


def save_uploads(files: Sequence[UploadFile], root: Path) -> list[tuple[Path, Path]]:
    """Copy each spooled upload to `root/<n>/uploads/<name>`; returns (file, the root it is read from).

    A folder per file: two uploads of one name are two files, read as `uploads/<name>` each.
    """
    saved: list[tuple[Path, Path]] = []
    for number, upload in enumerate(files):
        own_root = root / str(number)
        path = own_root / UPLOAD_FOLDER / safe_name(upload.filename)
        path.parent.mkdir(parents=True)
        upload.file.seek(0)
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target)
        saved.append((path, own_root))
    return saved


def read_uploads(files: Sequence[UploadFile], root: Path, max_document_chars: int) -> Documents:
    """Save the uploads under `root` and read them all, before anything is indexed (413/415 change
    nothing)."""
    return ingest_uploads(save_uploads(files, root), max_document_chars)


def multipart_files_body(files: dict[str, object]) -> dict[str, object]:
    """OpenAPI for a multipart body with a `files` field: the body is read by hand (to enforce the size
    limit while it streams), so FastAPI cannot describe it itself."""
    schema = {"type": "object", "required": ["files"], "properties": {"files": files}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
