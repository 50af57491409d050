"""`govsearch index`, `search` and `similar` in-process: progress and summary, limits, unknown chunk ids."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from index_fixture import REPORTS, BuiltIndex
from typer.testing import CliRunner

from cli.main import app


@pytest.fixture
def environment(built_index: BuiltIndex, model_dir: Path) -> dict[str, str]:
    return {
        "GOVSEARCH_INDEX_DIR": str(built_index.index_dir),
        "GOVSEARCH_MODEL_DIR": str(model_dir),
        "GOVSEARCH_MAX_QUERY_CHARS": "50",
    }


def test_index_logs_progress_and_ends_with_a_summary(tmp_path: Path, model_dir: Path) -> None:
    folder = tmp_path / "reports"
    shutil.copytree(REPORTS, folder)
    environment = {"GOVSEARCH_INDEX_DIR": str(tmp_path / "index"), "GOVSEARCH_MODEL_DIR": str(model_dir)}
    result = CliRunner().invoke(app, ["index", str(folder)], env=environment)
    assert result.exit_code == 0, result.output
    # Not a terminal: progress comes as lines a log keeps, the last one at 100%.
    progress = re.findall(r"embedding: (\d+)/(\d+) passages \((\d+)%\)", result.output)
    assert progress and progress[-1][0] == progress[-1][1] and progress[-1][2] == "100"
    summary = re.search(
        r"(\d+) documents added, 0 removed, 0 unchanged; (\d+) passages embedded \(([\d,]+) characters/s\), "
        r"0 reused from cache; [\d.]+ s",
        result.output,
    )
    assert summary, result.output
    assert int(summary.group(1)) > 0 and summary.group(2) == progress[-1][1]


def test_queries_over_the_limit_are_refused(environment: dict[str, str]) -> None:
    long_query = "招商引资" * 20
    for command in (["search", long_query], ["similar", long_query], ["phrases", long_query]):
        result = CliRunner().invoke(app, command, env=environment)
        assert result.exit_code == 2 and "at most 50 characters" in result.output, (command, result.output)


def test_similar_to_an_unknown_chunk_id_is_an_error_not_a_search(environment: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["similar", "4ee6e5cc58378318"], env=environment)
    assert result.exit_code == 1 and "no chunk with id 4ee6e5cc58378318" in result.output


def test_similar_to_a_stored_chunk_comes_from_other_documents(environment: dict[str, str]) -> None:
    hit = CliRunner().invoke(app, ["search", "招商引资", "--k", "1"], env=environment)
    chunk_id = re.search(r"\[([0-9a-f]{16})\]", hit.output)
    assert chunk_id, hit.output
    result = CliRunner().invoke(app, ["similar", chunk_id.group(1), "--k", "3"], env=environment)
    assert result.exit_code == 0 and result.output.count("score") == 3, result.output
