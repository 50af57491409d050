"""`govsearch phrases`: the expressions reports use for a topic, or across the corpus."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.common import JsonOption, check_query, fail, load_settings, open_index
from indexer import MAX_MINED_PHRASES, MAX_TOPIC_PHRASES, GovsearchError, MinedPhrase, TopicPhrase


def phrases(
    query: Annotated[str | None, typer.Argument(help="A topic (招商引资) or a pasted paragraph.")] = None,
    k: Annotated[
        int, typer.Option("--k", "-k", min=1, max=MAX_TOPIC_PHRASES, help="How many topic phrases.")
    ] = 20,
    mined: Annotated[bool, typer.Option("--mined", help="The phrases used across the whole corpus.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=MAX_MINED_PHRASES, help="How many mined phrases.")] = 100,
    min_docs: Annotated[int, typer.Option(min=1, help="Fewest documents a mined phrase is used in.")] = 2,
    as_json: JsonOption = False,
) -> None:
    """The expressions reports use for a topic, with example sentences; or, with --mined, corpus-wide ones."""
    if mined == (query is not None):
        raise typer.BadParameter("give a QUERY, or --mined for the corpus-wide phrases (not both)")
    settings = load_settings()
    if query is not None:
        check_query(query, settings)
    try:
        target = open_index(settings)
        if query is None:
            print_mined(target.mined_phrases(min_docs, limit), as_json)
        else:
            print_topic_phrases(query, target.topic_phrases(query, k), as_json)
    except GovsearchError as error:
        fail(error)


def print_topic_phrases(query: str, found: list[TopicPhrase], as_json: bool) -> None:
    if as_json:
        from service.schemas.phrases import TopicPhrasesResponse

        response = TopicPhrasesResponse.of(query, found)
        typer.echo(json.dumps(response.model_dump(), ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo("no phrases")
    for rank, phrase in enumerate(found, 1):
        typer.secho(f"{rank:2d}. {phrase.phrase}", bold=True, nl=False)
        typer.echo(f"  score {phrase.score:.3f}  ({phrase.count}× in {phrase.doc_count} documents)")
        for example in phrase.examples:
            typer.echo(f"    · {example.sentence}")
            typer.secho(f"      [{example.chunk_id}]", dim=True)


def print_mined(found: list[MinedPhrase], as_json: bool) -> None:
    if as_json:
        from service.schemas.phrases import MinedPhrasesResponse

        typer.echo(json.dumps(MinedPhrasesResponse.of(found).model_dump(), ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo("no phrases")
    for rank, phrase in enumerate(found, 1):
        typer.echo(
            f"{rank:3d}. {phrase.phrase}  {phrase.kind}, {phrase.doc_count} documents, {phrase.count}×"
            f"  score {phrase.score:.3f}"
        )
