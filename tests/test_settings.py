"""Settings come from GOVSEARCH_* variables, are read only when asked for, and reach the app and `serve`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import uvicorn
from api_client import client_for
from fastapi import FastAPI
from index_fixture import BuiltIndex
from pydantic import ValidationError
from serve_process import served
from typer.testing import CliRunner

from cli.main import app as cli
from service.settings import Settings

REPOSITORY = Path(__file__).resolve().parent.parent
VARIABLES = tuple(f"GOVSEARCH_{name.upper()}" for name in Settings.model_fields)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from the defaults, whatever the shell running the tests exports."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = Settings()
    assert settings.index_dir == Path("var/index")
    assert settings.model_dir == Path("models/m3e-small")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.api_key is None
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert (settings.max_query_chars, settings.max_k) == (5000, 100)


def test_every_setting_has_a_description() -> None:
    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undocumented == []


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("GOVSEARCH_INDEX_DIR", "/data/index", "index_dir", Path("/data/index")),
        ("GOVSEARCH_MODEL_DIR", "/opt/models/m3e-small", "model_dir", Path("/opt/models/m3e-small")),
        ("GOVSEARCH_HOST", "0.0.0.0", "host", "0.0.0.0"),
        ("GOVSEARCH_PORT", "9001", "port", 9001),
        ("GOVSEARCH_API_KEY", "钥匙-123", "api_key", "钥匙-123"),
        ("GOVSEARCH_MAX_UPLOAD_BYTES", "1048576", "max_upload_bytes", 1048576),
        ("GOVSEARCH_MAX_QUERY_CHARS", "800", "max_query_chars", 800),
        ("GOVSEARCH_MAX_K", "20", "max_k", 20),
        ("GOVSEARCH_DEVICE", "cpu", "device", "cpu"),
    ],
)
def test_environment_sets_each_field(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), field) == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GOVSEARCH_PORT", "0"),
        ("GOVSEARCH_PORT", "70000"),
        ("GOVSEARCH_PORT", "eighty"),
        ("GOVSEARCH_MAX_K", "0"),
        ("GOVSEARCH_MAX_UPLOAD_BYTES", "-1"),
    ],
)
def test_invalid_values_are_refused_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    field = variable.removeprefix("GOVSEARCH_").lower()
    assert field in str(raised.value)


def test_unrelated_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSEARCH_NOT_A_SETTING", "x")
    assert Settings().port == 8000


def test_importing_the_app_reads_no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """An environment that would fail validation does not matter until Settings() is built."""
    monkeypatch.setenv("GOVSEARCH_PORT", "not a port")
    code = "import service.app, cli.main; print('imported')"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"


def test_the_app_uses_the_settings_it_is_given(
    monkeypatch: pytest.MonkeyPatch, built_index: BuiltIndex, model_dir: Path
) -> None:
    monkeypatch.setenv("GOVSEARCH_INDEX_DIR", str(built_index.index_dir))
    monkeypatch.setenv("GOVSEARCH_MODEL_DIR", str(model_dir))
    monkeypatch.setenv("GOVSEARCH_MAX_K", "7")
    monkeypatch.setenv("GOVSEARCH_API_KEY", "do-not-show")
    with client_for(built_index.index, Settings()) as client:
        shown = client.get("/info", headers={"X-API-Key": "do-not-show"}).json()["settings"]
        assert shown["index_dir"] == str(built_index.index_dir)
        assert shown["max_k"] == 7 and shown["api_key_set"] is True
        assert client.get("/search", params={"q": "招商引资", "k": 8}).json()["error"]["field"] == "k"
        assert client.post("/documents", files={"files": ("a.txt", b"x")}).status_code == 401


def test_serve_runs_the_app_with_settings_and_flags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`govsearch serve` hands uvicorn an app built from the environment, with --host/--port on top."""
    served: dict[str, object] = {}

    def run(app: FastAPI, host: str, port: int) -> None:
        served.update(app=app, host=host, port=port)

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("GOVSEARCH_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("GOVSEARCH_PORT", "8100")
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("0.0.0.0", 8100)
    app = served["app"]
    assert isinstance(app, FastAPI)
    settings = app.state.settings
    assert settings.index_dir == tmp_path / "index" and settings.host == "0.0.0.0" and settings.port == 8100


def worker_processes(pid: int) -> list[int]:
    """The processes `govsearch serve` started to answer requests (multiprocessing's spawned workers)."""
    children = " ".join(path.read_text() for path in Path(f"/proc/{pid}/task").glob("*/children")).split()
    return [int(child) for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def running(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
def test_serve_with_two_workers_answers_from_both_and_stops_them(
    writable_index: BuiltIndex, model_dir: Path
) -> None:
    """GOVSEARCH_WORKERS=2: two worker processes, each with the index (every one of 20 searches, each on
    a new connection, gives the same page), and none left running once the server is stopped."""
    environment = {
        "GOVSEARCH_INDEX_DIR": str(writable_index.index_dir),
        "GOVSEARCH_MODEL_DIR": str(model_dir),
        "GOVSEARCH_WORKERS": "2",
    }
    with served(environment, ready_in_a_row=10) as (base, server):
        workers = worker_processes(server.pid)
        assert len(workers) == 2
        pages = [httpx.get(f"{base}/search", params={"q": "招商引资", "k": 5}) for _ in range(20)]
        assert {page.status_code for page in pages} == {200}
        assert len({page.content for page in pages}) == 1 and pages[0].json()["hits"]
    assert not [worker for worker in workers if running(worker)]


def test_serve_port_flag_is_bounded() -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code != 0
    assert "--port" in result.output
