"""`govsearch search` and `govsearch similar`: passages for words, a paragraph or a stored passage."""

from __future__ import annotations

import json
import re
from typing import Annotated

import typer

from cli.common import check_query, fail, load_settings, open_index
from indexer import Filters, GovsearchError, Mode, SearchOptions, SearchPage

# What chunk ids look like: the first 16 hex digits of a content hash.
CHUNK_ID = re.compile(r"[0-9a-f]{16}")


def search_options(mode: Mode, k: int, year: str | None, exclude: list[str] | None) -> SearchOptions:
    year_from, year_to = parse_years(year)
    filters = Filters(year_from=year_from, year_to=year_to, exclude_doc_ids=tuple(exclude or ()))
    return SearchOptions(mode=mode, k=k, filters=filters)


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
        from service.schemas.search import SearchResponse  # the HTTP schemas load only for --json

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


ModeOption = Annotated[Mode, typer.Option("--mode", "-m", help="How passages are matched.")]


def search(
    query: Annotated[str, typer.Argument(help="Words (招商引资) or a pasted paragraph.")],
    mode: ModeOption = Mode.HYBRID,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="How many passages.")] = 10,
    year: Annotated[str | None, typer.Option(help="YEAR or FROM-TO, e.g. 2018-2022.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Document id to leave out (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search passages across all indexed reports."""
    settings = load_settings()
    check_query(query, settings)
    try:
        page = open_index(settings).search(query, search_options(mode, k, year, exclude))
    except GovsearchError as error:
        fail(error)
    print_page(page, as_json)


def similar(
    chunk_or_text: Annotated[str, typer.Argument(help="A chunk id, or a pasted paragraph.")],
    mode: ModeOption = Mode.HYBRID,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=100)] = 10,
    year: Annotated[str | None, typer.Option(help="YEAR or FROM-TO.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Paragraphs similar to a stored chunk (from other documents) or to a pasted paragraph."""
    settings = load_settings()
    check_query(chunk_or_text, settings)
    try:
        target = open_index(settings)
        options = search_options(mode, k, year, None)
        # A chunk id that the index lacks is an error, not text to search for (it would match noise).
        if CHUNK_ID.fullmatch(chunk_or_text):
            page = target.similar(chunk_or_text, options)
        else:
            page = target.search(chunk_or_text, options)
    except GovsearchError as error:
        fail(error)
    print_page(page, as_json)
