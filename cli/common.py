"""What every `govsearch` command shares: settings from the environment, the index, error wording."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from indexer import GovsearchError, Index, UnknownBankEntry, UnknownChunk, UnknownDocument

if TYPE_CHECKING:  # pydantic-settings loads when a command runs, not for --help
    from service.settings import Settings

# How errors that carry only an id read on the command line; every other error's message is a sentence.
ID_ERRORS: dict[type[GovsearchError], str] = {
    UnknownDocument: "no document with id {}",
    UnknownChunk: "no chunk with id {}",
    UnknownBankEntry: "no phrase-bank entry with id {}",
}

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def load_settings() -> Settings:
    """Settings come from the environment only; flags override single fields per command."""
    from service.settings import Settings

    return Settings()


def open_index(settings: Settings, *, create: bool = False) -> Index:
    return Index(settings.index_config(), create=create)


def check_query(text: str, settings: Settings) -> None:
    """The query limit the API applies (max_query_chars), for the same reason: a bound on the work."""
    if len(text) > settings.max_query_chars:
        raise typer.BadParameter(
            f"at most {settings.max_query_chars} characters (GOVSEARCH_MAX_QUERY_CHARS), got {len(text)}"
        )


def fail(error: GovsearchError) -> NoReturn:
    """Print the error in words for people and exit 1."""
    template = next((ID_ERRORS[kind] for kind in type(error).__mro__ if kind in ID_ERRORS), "{}")
    typer.secho(f"error: {template.format(error)}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)
