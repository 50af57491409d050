"""One error shape for every failure, `{"error": {"code", "message", "field"}}`, mapped here only."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer import (
    BackendUnavailable,
    DocumentTooLarge,
    DuplicateBankEntry,
    GovsearchError,
    IndexIncompatible,
    IndexNotFound,
    IndexUnreadable,
    InvalidInput,
    ModelNotFound,
    UnknownBankEntry,
    UnknownChunk,
    UnknownDocument,
    UnsupportedFile,
)

logger = logging.getLogger(__name__)

# Domain error -> (status, code, message prefix). Looked up along the exception's MRO.
DOMAIN_ERRORS: dict[type[GovsearchError], tuple[int, str, str]] = {
    UnknownDocument: (404, "unknown_document", "no document with id "),
    UnknownChunk: (404, "unknown_chunk", "no chunk with id "),
    UnknownBankEntry: (404, "unknown_bank_entry", "no phrase-bank entry with id "),
    DuplicateBankEntry: (409, "duplicate_bank_entry", ""),
    DocumentTooLarge: (413, "document_too_large", ""),
    UnsupportedFile: (415, "unsupported_file", ""),
    InvalidInput: (422, "invalid_input", ""),
    IndexNotFound: (503, "index_not_found", ""),
    IndexIncompatible: (503, "index_incompatible", ""),
    IndexUnreadable: (503, "index_unavailable", ""),
    ModelNotFound: (503, "model_not_found", ""),
    BackendUnavailable: (503, "backend_unavailable", ""),
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    # Always present, so clients read one shape: null when no single parameter is at fault.
    field: str | None = Field(description="The request parameter at fault (422), else null.")


class ErrorBody(BaseModel):
    """The body of every non-2xx response."""

    error: ErrorDetail


Responses = dict[int | str, dict[str, object]]


def documented(*statuses: tuple[int, str]) -> Responses:
    """OpenAPI `responses` for error statuses, each with the one error body and a description."""
    return {status: {"model": ErrorBody, "description": description} for status, description in statuses}


UNAVAILABLE = documented((503, "No index loaded (missing, incompatible or still loading)."))
BUSY = documented(
    (
        503,
        "No index loaded (missing, incompatible or still loading), or the server is busy: code `busy`,"
        " with header Retry-After (seconds).",
    )
)
UNAUTHORIZED = documented((401, "Missing or wrong X-API-Key (when the server sets a key)."))


class ApiError(Exception):
    """A failure the service itself detects (limits, API key, loading), already in HTTP terms."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers


def parameter_error(field: str, message: str) -> ApiError:
    """A 422 that names the request field at fault, like pydantic's own validation errors."""
    return ApiError(422, "invalid_parameter", f"{field}: {message}", field)


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def domain_error_status(error: GovsearchError) -> tuple[int, str, str]:
    """Status, code and message for a library error; an unmapped one is a bug, hence 500."""
    for cls in type(error).__mro__:
        if cls in DOMAIN_ERRORS:
            status, code, prefix = DOMAIN_ERRORS[cls]
            return status, code, f"{prefix}{error}"
    return 500, "internal_error", str(error)


def install_error_handlers(app: FastAPI) -> None:
    """Every failure, from the library, the service or the framework, leaves in the one shape."""

    @app.exception_handler(GovsearchError)
    async def domain(request: Request, error: GovsearchError) -> JSONResponse:
        status, code, message = domain_error_status(error)
        return error_response(status, code, message)

    @app.exception_handler(ApiError)
    async def service(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.field, error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, error: RequestValidationError) -> JSONResponse:
        field, message = first_validation_problem(error)
        return error_response(422, "invalid_parameter", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def framework(request: Request, error: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(error.status_code).phrase
        code = phrase.lower().replace(" ", "_").replace("-", "_")
        message = error.detail if isinstance(error.detail, str) else phrase
        return error_response(error.status_code, code, message, headers=error.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # A bug: logged with its traceback, answered in the common shape without internals.
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
        return error_response(500, "internal_error", "internal error; the server log has the details")


def first_validation_problem(error: RequestValidationError) -> tuple[str | None, str]:
    """pydantic's list of problems reduced to the first, named by its field."""
    problems = error.errors()
    if not problems:
        return None, "invalid request"
    first = problems[0]
    names = [str(part) for part in first.get("loc", ()) if not isinstance(part, int)]
    # loc starts with where the value came from (query, body, path); the last name is the field's.
    field = names[-1] if len(names) > 1 else None
    message = str(first.get("msg", "invalid value"))
    return field, f"{field}: {message}" if field else message
