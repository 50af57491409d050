"""`govsearch info`: the engine chosen for this machine and the index it would open, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from index_fixture import BuiltIndex
from typer.testing import CliRunner

from cli.main import app
from indexer.embedding.hardware import resolve_engine
from indexer.embedding.model_fetch import model_id_of


def info(monkeypatch: pytest.MonkeyPatch, **settings: str) -> dict:
    for name, value in settings.items():
        monkeypatch.setenv(f"GOVSEARCH_{name.upper()}", value)
    result = CliRunner().invoke(app, ["info"])
    assert result.exit_code == 0, result.output
    shown: dict = json.loads(result.stdout)
    return shown


def test_info_shows_the_engine_and_the_index(
    monkeypatch: pytest.MonkeyPatch, model_dir: Path, built_index: BuiltIndex
) -> None:
    shown = info(monkeypatch, model_dir=str(model_dir), index_dir=str(built_index.index_dir))
    chosen = resolve_engine("auto", "auto", shown["engine"]["device"])
    assert (shown["engine"]["runtime"], shown["engine"]["precision"]) == (chosen.runtime, chosen.precision)
    assert shown["engine"]["model_id"] == model_id_of(model_dir) == shown["index"]["model_id"]
    assert shown["index"]["vector_space"] == shown["engine"]["vector_space"]


def test_info_follows_the_runtime_setting(
    monkeypatch: pytest.MonkeyPatch, model_dir: Path, tmp_path: Path
) -> None:
    shown = info(monkeypatch, model_dir=str(model_dir), index_dir=str(tmp_path / "none"), runtime="openvino")
    assert (shown["engine"]["runtime"], shown["engine"]["precision"], shown["index"]) == (
        "openvino",
        "float32",
        None,
    )
