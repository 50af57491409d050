"""Liveness, readiness, statistics, introspection and the page for writers."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import get_args

from fastapi import APIRouter
from fastapi.responses import FileResponse

from service.dependencies import HolderDep, IndexDep, KeyHolderDep, SettingsDep
from service.errors import UNAVAILABLE
from service.schemas.system import Health, Info, Readiness, Stats
from service.settings import Settings

router = APIRouter(tags=["system"])

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Never shown by /info: only whether they are set.
SECRET_SETTINGS = frozenset({"api_key", "milvus_token"})
# Where the server keeps its files (index_dir, model_dir, bank_file …): shown only with the API key, since
# they tell anyone the machine's layout. Every Path-typed setting, so a new one is hidden too, and the
# Milvus URI (a file path, or the address of a server inside the network).
PATH_SETTINGS = frozenset(
    name
    for name, field in Settings.model_fields.items()
    if Path in (get_args(field.annotation) or (field.annotation,))
) | {"milvus_uri"}


def package_version() -> str:
    try:
        return version("govsearch")
    except PackageNotFoundError:
        return "unknown (not installed as a package)"


def public_settings(settings: Settings, with_paths: bool) -> dict[str, object]:
    hidden = SECRET_SETTINGS if with_paths else SECRET_SETTINGS | PATH_SETTINGS
    shown: dict[str, object] = settings.model_dump(mode="json", exclude=set(hidden))
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
def stats(index: IndexDep, with_paths: KeyHolderDep) -> Stats:
    """Counts of documents, passages and cached vectors, and the index's manifest (library versions).

    `index_dir` is the server's path only for a request with the server's `X-API-Key` (so never on a
    server without one); null otherwise.
    """
    shown = Stats.model_validate(index.stats())
    return shown if with_paths else shown.model_copy(update={"index_dir": None})


@router.get("/info", response_model=Info)
def info(holder: HolderDep, settings: SettingsDep, with_paths: KeyHolderDep) -> Info:
    """What is loaded and how the server is configured: the version, the manifest, the settings.

    The API key is never shown, only `api_key_set`. The settings that are paths on the server
    (`index_dir`, `model_dir`, `bank_file`) are shown only to a request with the server's `X-API-Key` (so
    never on a server without one), and left out otherwise.
    """
    manifest = Stats.model_validate(holder.get().stats()).manifest if holder.ready else {}
    return Info(
        version=package_version(),
        ready=holder.ready,
        manifest=manifest,
        settings=public_settings(settings, with_paths),
    )


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")
