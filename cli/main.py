"""The `govsearch` command: its sub-commands live beside this file, one module per area."""

from __future__ import annotations

import typer

from cli import bank, evaluation, indexing, phrases, search, system

app = typer.Typer(help="Semantic and keyword search over Chinese government reports.", no_args_is_help=True)
app.command()(indexing.ingest)
app.command()(indexing.index)
app.command()(search.search)
app.command()(search.similar)
app.command()(system.info)
app.command("eval")(evaluation.evaluation)
app.command()(system.stats)
app.command()(system.serve)
app.add_typer(system.model_app, name="model")
app.command()(phrases.phrases)
app.add_typer(bank.bank_app, name="bank")
