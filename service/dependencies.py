"""What route handlers receive: the settings, the index and the API-key check.

The dependencies are `async def` because each is cheap and never blocks: FastAPI runs a plain `def`
dependency in the threadpool, one thread hop (and a wait for a free worker) per dependency per request.
Searches are admitted before any of this runs (service.admission).
"""

from __future__ import annotations

import inspect
import secrets
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request, Security, params
from fastapi.security import APIKeyHeader

from indexer import Index
from service.errors import ApiError
from service.settings import Settings
from service.state import IndexHolder

KEYWORD = inspect.Parameter.KEYWORD_ONLY

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Needed for uploads and deletes when the server sets one."
)


async def current_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def index_holder(request: Request) -> IndexHolder:
    holder: IndexHolder = request.app.state.holder
    return holder


async def current_index(holder: Annotated[IndexHolder, Depends(index_holder)]) -> Index:
    return holder.get()


def is_the_key(key: str | None, given: str | None) -> bool:
    """Whether `given` is the server's key; never on a server without one."""
    if not key or given is None:
        return False
    return secrets.compare_digest(given.encode(), key.encode())


async def require_api_key(
    settings: Annotated[Settings, Depends(current_settings)],
    given: Annotated[str | None, Security(api_key_header)],
) -> None:
    """Mutating endpoints need X-API-Key when the server is configured with one."""
    if not settings.api_key:  # unset or empty: the server is open
        return
    if not is_the_key(settings.api_key, given):
        raise ApiError(
            401, "unauthorized", "this endpoint needs the server's API key in the X-API-Key header"
        )


async def holds_api_key(request: Request, settings: Annotated[Settings, Depends(current_settings)]) -> bool:
    """Whether the request carries the server's key. Read from the headers, not as `Security`: the key
    only adds to what an endpoint shows, it is not required there."""
    return is_the_key(settings.api_key, request.headers.get(api_key_header.model.name))


SettingsDep = Annotated[Settings, Depends(current_settings)]


class Checked(Protocol):
    """Request parameters with rules beyond their fields: cross-field and against the settings."""

    def check(self, settings: Settings) -> None: ...


def checked(model: type[Checked], where: params.Param | params.Body) -> Any:
    """A dependency that reads `model` from the query or the body (`where`: Query(), Body(...)) and runs
    its `check`: a route declaring its parameters this way cannot skip the rules (422 naming the field)."""

    async def dependency(given: Checked, settings: Settings) -> Checked:
        given.check(settings)
        return given

    # Real annotation objects, not strings: FastAPI reads where each parameter comes from off them.
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("given", KEYWORD, annotation=Annotated[model, where]),
            inspect.Parameter("settings", KEYWORD, annotation=SettingsDep),
        ]
    )
    return Depends(dependency)


IndexDep = Annotated[Index, Depends(current_index)]
HolderDep = Annotated[IndexHolder, Depends(index_holder)]
KeyHolderDep = Annotated[bool, Depends(holds_api_key)]
