"""Hostile or broken input: zip bombs, huge files, cut-off text, odd names: refused or read, never fatal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_client import assert_error, client_for, settings_for
from docx import Document as DocxDocument
from fastapi.testclient import TestClient
from index_fixture import BuiltIndex
from serve_process import GOVSEARCH, served
from typer.testing import CliRunner

from cli.main import app as cli
from indexer.errors import DocumentTooLarge
from indexer.ingest.readers import read_file

REPORT = (
    "2026年青田县政府工作报告\n\n各位代表：\n\n过去一年，我们引进华侨回乡投资项目十二个，建成石雕文化产业园。"
)
# What the issue measured: a 3 MB .docx whose XML expands to 1.1 GB took the server past 6 GiB.
BOMB_XML_BYTES = 1_100_000_000
MEMORY_LIMIT_BYTES = 1_500_000_000


def docx_bytes(paragraphs: list[str]) -> bytes:
    document = DocxDocument()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb(path: Path, xml_bytes: int) -> Path:
    """A real .docx whose word/document.xml is padded to `xml_bytes` of one repeated run."""
    with zipfile.ZipFile(io.BytesIO(docx_bytes([REPORT]))) as original:
        parts = {name: original.read(name) for name in original.namelist()}
    head, tail = parts["word/document.xml"].split(b"</w:body>")
    run = b"<w:p><w:r><w:t>" + "招商引资".encode() * 64 + b"</w:t></w:r></w:p>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name, data in parts.items():
            if name != "word/document.xml":
                bomb.writestr(name, data)
        with bomb.open("word/document.xml", "w", force_zip64=True) as xml:
            xml.write(head)
            block = run * (1_000_000 // len(run))
            for _ in range(xml_bytes // len(block)):
                xml.write(block)
            xml.write(b"</w:body>" + tail)
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return zip_bomb(tmp_path_factory.mktemp("bomb") / "报告.docx", BOMB_XML_BYTES)


def test_a_zip_bomb_is_refused_before_it_is_parsed(bomb: Path) -> None:
    assert bomb.stat().st_size < 10_000_000
    with pytest.raises(DocumentTooLarge, match="expands to"):
        read_file(bomb)


def test_a_compressed_docx_part_far_beyond_any_report_is_refused(tmp_path: Path) -> None:
    small_bomb = zip_bomb(tmp_path / "small.docx", 20_000_000)  # under the size cap, but 1000:1
    with pytest.raises(DocumentTooLarge, match="compressed"):
        read_file(small_bomb)


def test_a_document_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.docx"
    path.write_bytes(docx_bytes([REPORT] * 50))
    assert read_file(path, max_chars=100_000)
    with pytest.raises(DocumentTooLarge, match="characters, more than 2,000"):
        read_file(path, max_chars=2000)


def test_a_huge_text_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(60_000_000)  # sparse: 60 MB on paper, nothing written
    with pytest.raises(DocumentTooLarge, match="file of 60,000,000 bytes"):  # refused by its size alone
        read_file(path)


def test_utf8_cut_mid_character_is_read_without_the_stub(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_bytes(REPORT.encode()[:-2])  # the last character's final two bytes are missing
    [raw] = read_file(path)
    assert raw.text == REPORT[:-1] and raw.extra["encoding"] == "utf-8"


# --- over HTTP ----------------------------------------------------------------------------------------


@pytest.fixture
def client(writable_index: BuiltIndex, model_dir: Path) -> Iterator[TestClient]:
    settings = settings_for(writable_index.index_dir, model_dir, max_document_chars=20_000)
    with client_for(writable_index.index, settings) as test_client:
        yield test_client


def upload(client: TestClient, *files: tuple[str, bytes]) -> httpx.Response:
    return client.post("/documents", files=[("files", (name, data)) for name, data in files])


def test_two_files_of_one_name_in_one_upload_are_both_kept(client: TestClient) -> None:
    response = upload(
        client, ("报告.txt", REPORT.encode()), ("报告.txt", (REPORT + "新建侨乡会客厅。").encode())
    )
    assert response.status_code == 201, response.text
    assert len(response.json()["added"]) == 2 and response.json()["removed"] == []


def test_a_name_longer_than_the_file_system_allows_is_shortened(client: TestClient) -> None:
    name = "关于" * 50 + ".txt"  # 304 bytes in UTF-8
    response = upload(client, (name, REPORT.encode()))
    assert response.status_code == 201, response.text
    source = response.json()["added"][0]["source"]
    assert source.startswith("uploads/关于关于") and source.endswith(".txt") and len(source.encode()) < 200


def test_a_document_over_max_document_chars_is_413_and_nothing_changes(client: TestClient) -> None:
    before = client.get("/readyz").json()["documents"]
    response = upload(client, ("ok.txt", REPORT.encode()), ("long.docx", docx_bytes([REPORT] * 400)))
    message = assert_error(response, 413, "document_too_large")
    assert message.startswith("long.docx: ") and "/tmp" not in message
    assert client.get("/readyz").json()["documents"] == before


def test_error_messages_never_show_the_servers_folders(client: TestClient) -> None:
    message = assert_error(upload(client, ("坏.docx", b"PK\x03\x04 truncated")), 415, "unsupported_file")
    assert message.startswith("坏.docx: ") and "govsearch-upload" not in message and "/tmp" not in message


def peak_resident_bytes(pid: int) -> int:
    """The process's high-water mark of resident memory (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc")


@pytest.mark.slow
def test_a_zip_bomb_over_http_is_413_and_the_server_stays_small(
    bomb: Path, writable_index: BuiltIndex, model_dir: Path
) -> None:
    environment = {
        "GOVSEARCH_INDEX_DIR": str(writable_index.index_dir),
        "GOVSEARCH_MODEL_DIR": str(model_dir),
        "GOVSEARCH_API_KEY": "",
    }
    with served(environment) as (base, server):
        with bomb.open("rb") as data:
            response = httpx.post(f"{base}/documents", files=[("files", (bomb.name, data))], timeout=120)
        assert_error(response, 413, "document_too_large")
        assert httpx.get(f"{base}/search", params={"q": "招商引资"}).status_code == 200
        assert peak_resident_bytes(server.pid) < MEMORY_LIMIT_BYTES


# --- on the command line ------------------------------------------------------------------------------


def test_index_refuses_a_missing_or_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSEARCH_INDEX_DIR", str(tmp_path / "index"))
    runner = CliRunner()
    for command in (["index"], ["index", "--dry-run"], ["ingest", "--dry-run"]):
        missing = runner.invoke(cli, [*command, str(tmp_path / "reports")])
        assert missing.exit_code != 0 and "no such file or folder" in missing.output, command
    (tmp_path / "reports").mkdir()
    empty = runner.invoke(cli, ["index", str(tmp_path / "reports")])
    assert empty.exit_code != 0 and "no readable reports" in empty.output
    assert not (tmp_path / "index").exists()


# Runs a command and prints its peak resident memory in KiB. The extra process matters: Linux counts into
# a child's ru_maxrss the memory of the process it was forked from, here the whole test session.
PEAK_MEMORY_OF = (
    "import resource, subprocess, sys;"
    "code = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE, text=True);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code.returncode);"
    "print(code.stderr)"
)


def test_index_a_zip_bomb_on_the_command_line_stays_small(bomb: Path, tmp_path: Path) -> None:
    environment = {**os.environ, "GOVSEARCH_INDEX_DIR": str(tmp_path / "index")}
    command = [sys.executable, "-c", PEAK_MEMORY_OF, GOVSEARCH, "index", str(bomb.parent)]
    measured = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    first, stderr = measured.stdout.split("\n", 1)
    peak_kib, returncode = map(int, first.split())
    assert returncode != 0 and "expands to" in stderr
    assert peak_kib * 1024 < MEMORY_LIMIT_BYTES
