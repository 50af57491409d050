"""The `govsearch` command: ingest, index, search, serve. Thin: parse, build Settings, call the library."""

from __future__ import annotations

import typer

from service.settings import Settings

app = typer.Typer(help="Semantic and keyword search over Chinese government reports.", no_args_is_help=True)
model_app = typer.Typer(help="Manage the embedding model.", no_args_is_help=True)
app.add_typer(model_app, name="model")


def load_settings() -> Settings:
    """Settings come from the environment only; flags override single fields per command."""
    return Settings()
