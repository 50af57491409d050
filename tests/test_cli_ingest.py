"""`govsearch ingest --dry-run`: what would be indexed, what is skipped and why, chunk-length totals."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

DATA = Path(__file__).parent / "data" / "ingest"


def test_dry_run_prints_documents_skipped_files_and_chunk_lengths(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    shutil.copytree(DATA, folder)
    (folder / "empty.txt").write_bytes(b"")
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(folder), "--dry-run"])
    assert result.exit_code == 0, result.output
    title = "第十四届全国人民代表大会第一次会议关于政府工作报告的决议"
    assert f"2023_npc_resolution.txt  {title}  (2023 · 国务院) 决议" in result.output
    assert "skipped empty.txt: empty file" in result.output
    assert re.search(
        r"3 documents from 3 files, \d+ chunks \(mean [\d.]+ characters, p95 \d+\); 1 skipped", result.output
    )
    as_json = runner.invoke(app, ["ingest", str(folder), "--dry-run", "--json"])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.output)
    assert [document["source"] for document in payload["documents"]] == [
        "1954_report_excerpt_traditional.txt",
        "2017_npc_resolution.txt",
        "2023_npc_resolution.txt",
    ]
    origin = str(folder.resolve())
    assert payload["skipped"] == [{"source": "empty.txt", "reason": "empty file", "origin": origin}]
    assert payload["summary"]["documents"] == 3 and payload["summary"]["p95_chunk_chars"] > 0
    assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 2
