"""Liveness, readiness, statistics, introspection and the page for writers."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from service.dependencies import HolderDep, IndexDep, SettingsDep
from service.errors import UNAVAILABLE
from service.schemas.system import Health, Info, Readiness, Stats
from service.settings import Settings

router = APIRouter(tags=["system"])

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Never shown by /info: only whether they are set.
SECRET_SETTINGS = frozenset({"api_key"})


def package_version() -> str:
    try:
        return version("govsearch")
    except PackageNotFoundError:
        return "unknown (not installed as a package)"


def public_settings(settings: Settings) -> dict[str, object]:
    shown: dict[str, object] = settings.model_dump(mode="json", exclude=set(SECRET_SETTINGS))
    for name in sorted(SECRET_SETTINGS):
        shown[f"{name}_set"] = bool(getattr(settings, name))
    return shown


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process answers (the index may still be loading: see /readyz)."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses=UNAVAILABLE)
def readyz(index: IndexDep) -> Readiness:
    """200 once the index is loaded; 503 while loading or when it is missing, with the fix in the message."""
    counts = Stats.model_validate(index.stats()).counts
    return Readiness(documents=counts.get("documents", 0), chunks=counts.get("chunks", 0))


@router.get("/stats", response_model=Stats, responses=UNAVAILABLE)
def stats(index: IndexDep) -> Stats:
    """Counts of documents, passages and cached vectors, and the index's manifest."""
    return Stats.model_validate(index.stats())


@router.get("/info", response_model=Info)
def info(holder: HolderDep, settings: SettingsDep) -> Info:
    """What is loaded and how the server is configured (the API key is never shown)."""
    manifest = Stats.model_validate(holder.get().stats()).manifest if holder.ready else {}
    return Info(
        version=package_version(), ready=holder.ready, manifest=manifest, settings=public_settings(settings)
    )


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")
