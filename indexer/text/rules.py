"""Reading the rule lists kept as data under `indexer/text/data/`, so rules change without touching code."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def rule_lines(name: str) -> tuple[str, ...]:
    """The non-blank lines of `indexer/text/data/<name>` that are not `#` comments, read once per process."""
    text = resources.files("indexer.text").joinpath("data", name).read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


@cache
def rule_rows(name: str) -> tuple[tuple[str, ...], ...]:
    """The rule lines split at tabs into fields (`KIND<TAB>…<TAB>REGEX`), in file order: order is priority."""
    return tuple(tuple(field.strip() for field in line.split("\t")) for line in rule_lines(name))
