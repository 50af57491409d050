"""`govsearch ingest --dry-run` and `govsearch index`: what goes into the index."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import fail, load_settings, open_index
from cli.progress import Progress
from indexer import GovsearchError, IndexNotFound, IngestResult, UpdatePlan, ingest_paths

if TYPE_CHECKING:
    from service.settings import Settings


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of reports.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Preview only (required; `index` writes).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Preview what `govsearch index` would take in: documents, metadata, chunk counts, skipped files."""
    if not dry_run:
        typer.secho(
            "ingest only previews: add --dry-run, or run `govsearch index PATH...` to index", err=True
        )
        raise typer.Exit(2)
    try:
        result = ingest_paths(paths)
    except GovsearchError as error:
        fail(error)
    summary = result.summary()
    if as_json:
        documents = [
            {
                "doc_id": document.doc_id,
                "source": document.source,
                "title": document.title,
                "year": document.year,
                "level": document.level.value,
                "region": document.region,
                "doc_type": document.doc_type.value,
                "chunks": len(chunks),
                "extra": document.extra,
            }
            for document, chunks in result.documents
        ]
        skipped = [asdict(skip) for skip in result.skipped]
        payload = {"documents": documents, "skipped": skipped, "summary": asdict(summary)}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for document, chunks in result.documents:
        where = " · ".join(
            str(part) for part in (document.year, document.level.value, document.region) if part
        )
        typer.echo(
            f"{document.source}  {document.title}  ({where}) {document.doc_type.value}  {len(chunks)} chunks"
        )
    for skip in result.skipped:
        typer.secho(f"skipped {skip.source}: {skip.reason}", fg=typer.colors.YELLOW)
    typer.echo(
        f"{summary.documents} documents from {summary.files} files, {summary.chunks} chunks "
        f"(mean {summary.mean_chunk_chars} characters, p95 {summary.p95_chunk_chars}); "
        f"{summary.skipped} skipped"
    )


def index(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of reports.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would be added and removed.")
    ] = False,
) -> None:
    """Index reports; the index then mirrors each folder given (reports deleted from it are removed).

    Incremental: unchanged documents are skipped and cached passages are not embedded again. Documents
    indexed from other folders or uploaded over HTTP are never touched.
    """
    settings = load_settings()
    try:
        result = ingest_paths(paths, max_document_chars=settings.max_document_chars)
        for skipped in result.skipped:
            typer.secho(f"skipped {skipped.source}: {skipped.reason}", err=True, fg=typer.colors.YELLOW)
        if not result.documents:
            typer.secho(f"error: no readable reports in {', '.join(map(str, paths))}", err=True)
            raise typer.Exit(2)
        if dry_run:
            print_plan(planned_sync(settings, result))
            return
        started = time.monotonic()
        target = open_index(settings, create=True)
        with Progress("embedding", "passage") as progress:
            report = target.sync(result, progress=progress)
    except GovsearchError as error:
        fail(error)
    seconds = time.monotonic() - started
    typer.echo(
        f"{len(report.added)} documents added, {len(report.removed)} removed, {report.unchanged} unchanged; "
        f"{report.embedded} passages embedded ({report.embedded_characters / seconds:,.0f} characters/s), "
        f"{report.reused} reused from cache; {seconds:.1f} s; index at {settings.index_dir}"
    )


def planned_sync(settings: Settings, result: IngestResult) -> UpdatePlan:
    """What indexing would change; everything is new where there is no index yet (none is created)."""
    try:
        return open_index(settings).plan_sync(result)
    except IndexNotFound:
        return UpdatePlan(add=result.documents)


def print_plan(plan: UpdatePlan) -> None:
    for document, _ in plan.add:
        typer.echo(f"add     {document.source}  {document.title}")
    for stored in plan.remove:
        typer.echo(f"remove  {stored.source}  {stored.title}")
    typer.echo(
        f"would add {len(plan.add)} documents, remove {len(plan.remove)}, keep {len(plan.keep)} unchanged"
    )
