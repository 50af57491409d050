"""The command line starts without the model, FAISS, jieba or the web stack.

They load in the commands that use them, so `govsearch --help`, `stats` and `bank …` answer at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY = (
    *("torch", "sentence_transformers", "transformers", "onnxruntime", "openvino"),
    *("faiss", "jieba", "fastapi"),
)
# Runs a command in a fresh interpreter, then prints which heavy modules it had imported.
PROBE = """
import json, sys
from typer.testing import CliRunner
from cli.main import app
args = sys.argv[1:]
if args:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
print(json.dumps(sorted(name for name in {heavy} if name in sys.modules)))
"""


def heavy_modules_after(*args: str, env: dict[str, str] | None = None) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )
    loaded: list[str] = json.loads(completed.stdout.splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert heavy_modules_after() == []


@pytest.mark.parametrize("args", [("--help",), ("bank", "list")])
def test_light_commands_load_no_heavy_library(args: tuple[str, ...], tmp_path: Path) -> None:
    assert heavy_modules_after(*args, env={"GOVSEARCH_BANK_FILE": str(tmp_path / "bank.sqlite")}) == []
