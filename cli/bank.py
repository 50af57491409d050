"""`govsearch bank …`: the saved phrase bank (素材库)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import JsonOption, fail, load_settings
from indexer import (
    KEEP,
    MAX_BANK_PAGE,
    BankFormat,
    GovsearchError,
    PhraseBank,
    export_bank,
    format_of,
    import_bank,
)

bank_app = typer.Typer(help="Keep phrases in the saved phrase bank (素材库).", no_args_is_help=True)


def open_bank() -> PhraseBank:
    return PhraseBank(load_settings().bank_path)


TagOption = Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeatable).")]


@bank_app.command("add")
def bank_add(
    phrase: Annotated[str, typer.Argument(help="The phrase to keep, e.g. 精准招商.")],
    tag: TagOption = None,
    note: Annotated[str, typer.Option(help="A note for yourself.")] = "",
    chunk: Annotated[str | None, typer.Option(help="The chunk id of the passage it comes from.")] = None,
) -> None:
    """Save a phrase; a phrase already in the bank is refused with its id."""
    try:
        entry = open_bank().create(phrase, tag or (), note, chunk)
    except GovsearchError as error:
        fail(error)
    typer.echo(f"added {entry.id}: {entry.phrase}")


@bank_app.command("list")
def bank_list(
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Only entries with this tag.")] = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Only entries whose phrase or note contains this.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_BANK_PAGE, help="Most entries to show.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Saved phrases, newest first."""
    query = query.strip() if query else None  # as the API does: blanks around the text never count
    try:
        page = open_bank().list(tag=tag, query=query, limit=limit)
    except GovsearchError as error:
        fail(error)
    if as_json:
        from service.schemas.bank import BankList, BankListParams  # the HTTP schemas load only for --json

        params = BankListParams(tag=tag, q=query, limit=limit, offset=0)
        typer.echo(
            json.dumps(BankList.of(page, params).model_dump(mode="json"), ensure_ascii=False, indent=2)
        )
        return
    for entry in page.entries:
        tags = f"  [{', '.join(entry.tags)}]" if entry.tags else ""
        note = f"  — {entry.note.splitlines()[0]}" if entry.note.strip() else ""
        typer.echo(f"{entry.id:4d}  {entry.phrase}{tags}{note}")
    typer.secho(f"{len(page.entries)} of {page.total} entries", dim=True)


@bank_app.command("rm")
def bank_remove(entry_id: Annotated[int, typer.Argument(help="The entry's id (see `bank list`).")]) -> None:
    """Delete a saved phrase."""
    try:
        open_bank().delete(entry_id)
    except GovsearchError as error:
        fail(error)
    typer.echo(f"removed {entry_id}")


@bank_app.command("edit")
def bank_edit(
    entry_id: Annotated[int, typer.Argument(help="The entry's id (see `bank list`).")],
    phrase: Annotated[str | None, typer.Option(help="New wording.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help='Replaces all tags (repeatable; --tag "" clears).')
    ] = None,
    note: Annotated[str | None, typer.Option(help="New note.")] = None,
    chunk: Annotated[str | None, typer.Option(help="New source chunk id.")] = None,
    no_chunk: Annotated[bool, typer.Option("--no-chunk", help="Unlink the source passage.")] = False,
) -> None:
    """Change the given fields of a saved phrase; the others stay."""
    if chunk is not None and no_chunk:
        raise typer.BadParameter("give --chunk or --no-chunk, not both")
    if phrase is None and tag is None and note is None and chunk is None and not no_chunk:
        raise typer.BadParameter("nothing to change: give --phrase, --tag, --note, --chunk or --no-chunk")
    source = None if no_chunk else KEEP if chunk is None else chunk
    try:
        entry = open_bank().update(entry_id, phrase=phrase, tags=tag, note=note, source_chunk_id=source)
    except GovsearchError as error:
        fail(error)
    typer.echo(f"updated {entry.id}: {entry.phrase}")


@bank_app.command("export")
def bank_export(
    form: Annotated[
        BankFormat, typer.Option("--format", help="csv (opens in Excel) or json.")
    ] = BankFormat.CSV,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", dir_okay=False, help="Write here instead of printing.")
    ] = None,
) -> None:
    """Every entry with every field; `bank import` of the file restores the bank exactly."""
    try:
        exported = export_bank(open_bank(), form)
    except GovsearchError as error:
        fail(error)
    if output is None:
        typer.echo(exported.text, nl=False)
        return
    output.write_text(exported.text, encoding="utf-8")
    typer.echo(f"exported the bank to {output}")


@bank_app.command("import")
def bank_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .json bank file.")],
    form: Annotated[
        BankFormat | None, typer.Option("--format", help="csv or json (default: from the file name).")
    ] = None,
) -> None:
    """Add the entries of a file, replacing those with the same id; a bad row imports nothing."""
    try:
        bank = open_bank()
        report = import_bank(bank, file.read_bytes(), format_of(file.name, form))
    except GovsearchError as error:
        fail(error)
    typer.echo(
        f"imported {report.imported} entries into {bank.path}, {report.unchanged} already there unchanged"
    )
