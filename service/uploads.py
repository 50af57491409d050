"""Uploaded files: received with a size limit enforced while streaming, saved to a temp dir, then indexed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from indexer.errors import UnsupportedFile
from indexer.index import Index, UpdateReport
from indexer.ingest import ingest_file
from indexer.schema import Chunk, Document
from service.errors import ApiError, parameter_error

# Uploaded files are indexed as `uploads/<name>`: re-uploading a name replaces that document, and
# uploads never replace documents indexed from disk by `govsearch index`.
UPLOAD_FOLDER = "uploads"
MAX_FILES = 100
UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


@dataclass(frozen=True)
class IndexedUpload:
    """What an upload did: every document read from the files, and the index's report."""

    documents: list[tuple[Document, list[Chunk]]]
    report: UpdateReport


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
    """The file's own name without any directory part or characters unsafe on disk."""
    name = UNSAFE_NAME.sub("_", Path((filename or "").replace("\\", "/")).name).strip(" .")
    return name or "upload"


def save_uploads(files: Sequence[UploadFile], root: Path) -> list[Path]:
    """Copy each spooled upload to `root/uploads/<name>`; two files of one name are refused."""
    folder = root / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for upload in files:
        path = folder / safe_name(upload.filename)
        if path in paths:
            raise parameter_error("files", f"two files named {path.name}")
        upload.file.seek(0)
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target)
        paths.append(path)
    return paths


def index_uploads(index: Index, files: Sequence[UploadFile], root: Path) -> IndexedUpload:
    """Read every file first, so an unreadable one (415) leaves the index untouched; then one update."""
    documents: list[tuple[Document, list[Chunk]]] = []
    for path in save_uploads(files, root):
        try:
            documents.extend(ingest_file(path, root))
        except UnsupportedFile as error:
            # Readers may name the file by its path, a temporary one the client never sees: keep the name.
            reason = str(error).replace(str(path), path.name)
            raise UnsupportedFile(f"{path.name}: {reason}") from error
    return IndexedUpload(documents, index.update(documents))


def multipart_files_body(files: dict[str, object]) -> dict[str, object]:
    """OpenAPI for a multipart body with a `files` field: the body is read by hand (to enforce the size
    limit while it streams), so FastAPI cannot describe it itself."""
    schema = {"type": "object", "required": ["files"], "properties": {"files": files}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
