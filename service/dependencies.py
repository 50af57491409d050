"""What route handlers receive: the settings, the index and the API-key check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from indexer.index import Index
from service.errors import ApiError
from service.settings import Settings
from service.state import IndexHolder

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Needed for uploads and deletes when the server sets one."
)


def current_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def index_holder(request: Request) -> IndexHolder:
    holder: IndexHolder = request.app.state.holder
    return holder


def current_index(holder: Annotated[IndexHolder, Depends(index_holder)]) -> Index:
    return holder.get()


def require_api_key(
    settings: Annotated[Settings, Depends(current_settings)],
    given: Annotated[str | None, Security(api_key_header)],
) -> None:
    """Mutating endpoints need X-API-Key when the server is configured with one."""
    if not settings.api_key:  # unset or empty: the server is open
        return
    if given is None or not secrets.compare_digest(given.encode(), settings.api_key.encode()):
        raise ApiError(
            401, "unauthorized", "this endpoint needs the server's API key in the X-API-Key header"
        )


SettingsDep = Annotated[Settings, Depends(current_settings)]
IndexDep = Annotated[Index, Depends(current_index)]
HolderDep = Annotated[IndexHolder, Depends(index_holder)]
