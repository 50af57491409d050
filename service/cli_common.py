"""What every `govsearch` command shares: settings from the environment, the index, error reporting."""

from __future__ import annotations

from typing import NoReturn

import typer

from indexer.errors import GovsearchError
from indexer.index import Index
from service.app import index_config
from service.errors import domain_error_status
from service.settings import Settings


def load_settings() -> Settings:
    """Settings come from the environment only; flags override single fields per command."""
    return Settings()


def open_index(settings: Settings, *, create: bool = False) -> Index:
    return Index(index_config(settings), create=create)


def fail(error: GovsearchError) -> NoReturn:
    # The API's wording: "no chunk with id X" rather than a bare id.
    typer.secho(f"error: {domain_error_status(error)[2]}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)
