"""The FastAPI application: routes, the page, error handlers and the index, built from one Settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from indexer import Index
from service.admission import Admission, AdmissionMiddleware
from service.errors import install_error_handlers
from service.openapi import complete_openapi
from service.reload import watch
from service.routes import bank, documents, phrases, search, system
from service.settings import Settings
from service.state import IndexHolder

DESCRIPTION = """
Semantic and keyword search over Chinese government reports (政府工作报告、工作总结、领导讲话).

Search with a few words (`招商引资`) or a pasted paragraph; find similar paragraphs in other reports;
list, read, upload and delete documents. Every error has the body
`{"error": {"code": "...", "message": "...", "field": ...}}`: `field` names the parameter at fault, and
is null for every error that is not about one parameter (404, 401, 503 …).
Bounds that depend on each other or on the server (`year_to` not before `year_from`, `k` at most the
server's `max_k`) are in each operation's description and answer 422 like any other bad parameter.
"""


def create_app(settings: Settings, index: Index | None = None) -> FastAPI:
    """The app for these settings; `index` is used as is (tests), else opened from settings at startup."""
    holder = IndexHolder(index)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if index is None:
            stop_watching = watch(holder, settings.index_config())
            yield
            stop_watching.set()
        else:
            yield

    # /docs and /redoc with their scripts served from the package, not a CDN: they work offline.
    app = FastAPIOffline(
        title="govsearch",
        summary="搜索政府工作报告、工作总结和领导讲话中的段落",
        description=DESCRIPTION,
        version="1",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.holder = holder
    app.state.admission = Admission(
        settings.search_concurrency, settings.search_queue, settings.search_queue_timeout
    )
    app.add_middleware(
        AdmissionMiddleware,
        admission=app.state.admission,
        paths=search.ADMITTED_PATHS + phrases.ADMITTED_PATHS,
    )
    install_error_handlers(app)
    app.include_router(system.router)
    app.include_router(search.router)
    app.include_router(documents.router)
    app.include_router(phrases.router)
    app.include_router(bank.router)
    app.mount("/static", StaticFiles(directory=system.STATIC_DIR), name="static")
    complete_openapi(app, settings)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of `govsearch serve` (GOVSEARCH_WORKERS > 1): its settings from the
    environment, where the serving command read its own."""
    return create_app(Settings())
