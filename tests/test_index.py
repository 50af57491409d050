"""The index as a whole: incremental updates, deletes, crash safety and compatibility checks."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from index_fixture import REPORTS, BuiltIndex

from indexer.embedding.hardware import Precision, resolve_engine
from indexer.errors import IndexIncompatible, IndexNotFound, UnknownDocument, UnsupportedFile
from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import ingest_file, ingest_paths
from indexer.records import Filters
from indexer.search.searcher import SearchOptions
from indexer.store import vector_files

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "reports"


def row_count(index_dir: Path, table: str) -> int:
    with closing(sqlite3.connect(index_dir / "catalog.sqlite")) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_reindexing_an_unchanged_corpus_embeds_nothing(writable_index: BuiltIndex) -> None:
    index = writable_index.index
    before = index.catalog.counts()
    report = index.sync(ingest_paths([REPORTS]))
    assert report.added == [] and report.removed == [] and report.embedded == 0
    assert report.unchanged == before["documents"]
    assert index.catalog.counts() == before


def copy_of_reports(folder: Path) -> Path:
    """The test reports in a folder of their own, which a test may edit."""
    shutil.copytree(REPORTS, folder)
    return folder


def test_changed_file_replaces_only_its_documents(writable_index: BuiltIndex, tmp_path: Path) -> None:
    index = writable_index.index
    folder = copy_of_reports(tmp_path / "reports")
    adopted = index.sync(ingest_paths([folder]))  # the same reports, now indexed from this folder
    assert adopted.added == [] and adopted.removed == [] and adopted.unchanged > 0
    changed = next(folder.glob("*.txt"))
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text + "\n新增一段：大力推进招商引资，实施精准招商和以商招商。\n", encoding="utf-8")
    before = index.catalog.counts()["documents"]
    report = index.sync(ingest_paths([folder]))
    assert len(report.added) == 1 and len(report.removed) == 1
    assert report.reused > 0 and report.embedded >= 1  # only the new paragraph needed the model
    assert index.catalog.counts()["documents"] == before
    hits = index.search("精准招商 以商招商", SearchOptions(mode="keyword", k=3)).hits
    assert hits and "以商招商" in hits[0].chunk.text


def test_a_file_deleted_from_a_folder_leaves_the_index(writable_index: BuiltIndex, tmp_path: Path) -> None:
    index = writable_index.index
    folder = copy_of_reports(tmp_path / "reports")
    index.sync(ingest_paths([folder]))
    gone = next(folder.glob("*.md"))
    [(document, _)] = ingest_paths([gone]).documents
    before = index.catalog.counts()["documents"]
    gone.unlink()
    result = ingest_paths([folder])
    assert [stored.doc_id for stored in index.plan_sync(result).remove] == [document.doc_id]  # dry run
    assert index.catalog.counts()["documents"] == before
    report = index.sync(result)
    assert report.removed == [document.doc_id] and report.added == []
    assert index.catalog.counts()["documents"] == before - 1
    with pytest.raises(UnknownDocument):
        index.document(document.doc_id)


def test_other_folders_and_uploads_are_untouched_by_a_sync(
    writable_index: BuiltIndex, tmp_path: Path
) -> None:
    index = writable_index.index
    folder = copy_of_reports(tmp_path / "reports")
    index.sync(ingest_paths([folder]))
    other = tmp_path / "other"
    other.mkdir()
    (other / "某县工作总结.txt").write_text(
        "某县2024年工作总结\n\n全年引进亿元以上项目12个。\n", encoding="utf-8"
    )
    [(from_other, _)] = ingest_paths([other]).documents
    index.sync(ingest_paths([other]))
    [(uploaded, _)] = uploaded_documents = ingest_file(other / "某县工作总结.txt", origin="upload")
    index.add(uploaded_documents)
    leaving = [path for path in folder.iterdir() if path.suffix != ".txt"]
    leaving_ids = {document.doc_id for document, _ in ingest_paths(leaving).documents}
    for path in leaving:
        path.unlink()
    report = index.sync(ingest_paths([folder]))
    assert set(report.removed) == leaving_ids and report.added == []
    assert index.document(from_other.doc_id) and index.document(uploaded.doc_id)


def test_an_unreadable_file_keeps_its_indexed_documents(writable_index: BuiltIndex, tmp_path: Path) -> None:
    index = writable_index.index
    folder = copy_of_reports(tmp_path / "reports")
    index.sync(ingest_paths([folder]))
    broken = next(folder.glob("*.txt"))
    broken.write_bytes(b"\x00\x01binary now")
    result = ingest_paths([folder])
    assert [skip.source for skip in result.skipped] == [broken.name]
    report = index.sync(result)
    assert report.removed == [] and report.added == []


def test_a_missing_folder_is_an_error_not_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFile, match="no such file or folder"):
        ingest_paths([tmp_path / "nowhere"])


def test_delete_removes_a_document_from_every_index(writable_index: BuiltIndex) -> None:
    index = writable_index.index
    documents, _ = index.documents(Filters(), limit=100, offset=0)
    victim = documents[0]
    _, chunks = index.document(victim.doc_id)
    query = chunks[len(chunks) // 2].text
    index.delete_document(victim.doc_id)
    with pytest.raises(UnknownDocument):
        index.document(victim.doc_id)
    for mode in ("keyword", "semantic", "hybrid"):
        page = index.search(query, SearchOptions(mode=mode, k=50, per_document=None, dedupe=False))
        assert all(hit.document.doc_id != victim.doc_id for hit in page.hits), mode
    remaining = row_count(writable_index.index_dir, "chunks")
    assert row_count(writable_index.index_dir, "chunk_terms") == remaining
    assert len(index.searcher().vectors) == remaining
    # the victim's vectors left the embedding cache; every remaining chunk kept its own
    with closing(sqlite3.connect(writable_index.index_dir / "catalog.sqlite")) as connection:
        used = connection.execute("SELECT count(DISTINCT embedding_key) FROM chunks").fetchone()[0]
        cached = connection.execute(
            "SELECT count(*) FROM embeddings WHERE key IN (SELECT embedding_key FROM chunks)"
        ).fetchone()[0]
    assert row_count(writable_index.index_dir, "embeddings") == used == cached


def test_vectors_are_rebuilt_when_the_faiss_file_is_missing(
    writable_index: BuiltIndex, model_dir: Path
) -> None:
    expected = writable_index.index.search("乡村振兴", SearchOptions(mode="semantic", k=5))
    for path in writable_index.index_dir.glob("vectors-*.faiss"):
        path.unlink()
    reopened = Index(IndexConfig(writable_index.index_dir, model_dir))
    again = reopened.search("乡村振兴", SearchOptions(mode="semantic", k=5))
    assert [h.chunk.chunk_id for h in again.hits] == [h.chunk.chunk_id for h in expected.hits]
    np.testing.assert_allclose([h.score for h in again.hits], [h.score for h in expected.hits], atol=1e-5)


def test_a_commit_by_another_writer_reaches_a_loaded_store(
    writable_index: BuiltIndex, model_dir: Path
) -> None:
    serving = writable_index.index
    serving.searcher()  # loaded, as the server holds it
    documents, _ = serving.documents(Filters(), limit=100, offset=0)
    victim = documents[-1]
    query = serving.document(victim.doc_id)[1][0].text
    Index(IndexConfig(writable_index.index_dir, model_dir)).delete_document(victim.doc_id)
    hits = serving.search(query, SearchOptions(mode="semantic", k=50, per_document=None, dedupe=False)).hits
    assert hits and all(hit.document.doc_id != victim.doc_id for hit in hits)
    assert len(serving.searcher().vectors) == row_count(writable_index.index_dir, "chunks")


def test_small_updates_of_a_large_store_replay_the_log_without_a_snapshot(
    writable_index: BuiltIndex, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = writable_index.index_dir
    writable_index.index.searcher()
    before = sorted(index_dir.glob("vectors-*.faiss"))
    # Treat the fixture as a large store: a snapshot only after a twentieth of it changed.
    monkeypatch.setattr(vector_files, "SMALL_STORE", 0)
    report = tmp_path / "某县工作总结.txt"
    report.write_text("某县2024年工作总结\n\n全年新建石雕文化产业园一个。\n", encoding="utf-8")
    writable_index.index.sync(ingest_paths([report]))
    assert sorted(index_dir.glob("vectors-*.faiss")) == before  # updated in memory only
    assert row_count(index_dir, "vector_changes") > 0

    reopened = Index(IndexConfig(index_dir, model_dir))  # loads the old snapshot and replays the log
    assert len(reopened.searcher().vectors) == row_count(index_dir, "chunks")
    hits = reopened.search("石雕文化产业园", SearchOptions(mode="semantic", k=1)).hits
    assert "石雕文化产业园" in hits[0].chunk.text


def test_missing_index_names_the_fix(tmp_path: Path, model_dir: Path) -> None:
    with pytest.raises(IndexNotFound, match="govsearch index"):
        Index(IndexConfig(tmp_path / "nothing", model_dir))


def test_index_built_with_another_model_is_refused(writable_index: BuiltIndex, model_dir: Path) -> None:
    with closing(sqlite3.connect(writable_index.index_dir / "catalog.sqlite")) as connection, connection:
        connection.execute("UPDATE manifest SET value = 'other-model@123' WHERE key = 'model_id'")
    with pytest.raises(IndexIncompatible, match="other-model@123"):
        Index(IndexConfig(writable_index.index_dir, model_dir))


def test_manifest_names_the_engine_and_its_vector_space(writable_index: BuiltIndex, model_dir: Path) -> None:
    index = Index(IndexConfig(writable_index.index_dir, model_dir))
    manifest = index.catalog.manifest()
    assert manifest["vector_space"] == index.embedder.vector_space
    assert manifest["model_id"] == index.embedder.model_id
    assert manifest["vector_space"].startswith(manifest["model_id"])
    assert (manifest["runtime"], manifest["precision"]) == (index.embedder.runtime, index.embedder.precision)


def test_vectors_of_another_vector_space_are_refused(writable_index: BuiltIndex, model_dir: Path) -> None:
    database = writable_index.index_dir / "catalog.sqlite"
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("UPDATE manifest SET value = value || '+int8' WHERE key = 'vector_space'")
    with pytest.raises(IndexIncompatible, match=r"\+int8 .*GOVSEARCH_RUNTIME"):
        Index(IndexConfig(writable_index.index_dir, model_dir))
    # An index from before vector spaces were recorded holds the model's fp32 vectors: it opens with fp32.
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("DELETE FROM manifest WHERE key = 'vector_space'")
    Index(IndexConfig(writable_index.index_dir, model_dir, runtime="onnx", precision="float32"))


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_int8_and_fp32_vectors_do_not_mix(
    writable_index: BuiltIndex, model_dir: Path, precision: Precision
) -> None:
    built = Index(IndexConfig(writable_index.index_dir, model_dir)).catalog.manifest()["precision"]
    config = IndexConfig(writable_index.index_dir, model_dir, runtime="onnx", precision=precision)
    if (built == "int8") == (precision == "int8"):
        Index(config)  # fp32 vectors of every runtime share one space; int8 ones share another
        return
    with pytest.raises(IndexIncompatible, match="do not mix"):
        Index(config)


def test_auto_opens_an_index_in_the_vector_space_it_was_built_in(tmp_path: Path, model_dir: Path) -> None:
    default = resolve_engine("auto", "auto", "cpu").precision
    other: Precision = "float32" if default == "int8" else "int8"
    resolution = ingest_file(Path(__file__).parent / "data" / "ingest" / "2017_npc_resolution.txt")
    built = Index(IndexConfig(tmp_path / "other", model_dir, precision=other), create=True)
    built.add(resolution)
    reopened = Index(IndexConfig(tmp_path / "other", model_dir))  # auto, as after an upgrade
    assert reopened.embedder.precision == other
    assert reopened.embedder.vector_space == reopened.catalog.manifest()["vector_space"]
    assert reopened.search("决议", SearchOptions(mode="semantic", k=1)).hits
    fresh = Index(IndexConfig(tmp_path / "fresh", model_dir), create=True)  # a new index takes the default
    fresh.add(resolution)
    assert fresh.catalog.manifest()["precision"] == default


@pytest.mark.slow
def test_killed_indexing_leaves_the_previous_index_answering(
    writable_index: BuiltIndex, model_dir: Path
) -> None:
    index_dir = writable_index.index_dir
    documents_before = row_count(index_dir, "documents")
    embeddings_before = row_count(index_dir, "embeddings")
    environment = {**os.environ, "GOVSEARCH_INDEX_DIR": str(index_dir), "GOVSEARCH_MODEL_DIR": str(model_dir)}
    command = [str(Path(sys.executable).parent / "govsearch"), "index", str(EXAMPLES)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while row_count(index_dir, "embeddings") <= embeddings_before and time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("indexing finished before it could be killed; the example corpus is too small")
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()

    previous = Index(IndexConfig(index_dir, model_dir))
    assert previous.catalog.counts()["documents"] == documents_before
    assert previous.search("乡村振兴", SearchOptions(k=3)).hits

    rerun = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    finished = Index(IndexConfig(index_dir, model_dir))
    assert finished.catalog.counts()["documents"] == documents_before + 5
    reused = re.search(r"(\d+) reused from cache", rerun.stdout)
    assert reused and int(reused.group(1)) > 0, rerun.stdout  # what the killed run embedded was kept


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-commit", "after-commit", "during-vectors"])
def test_killed_inside_the_commit_window_the_next_open_agrees(
    writable_index: BuiltIndex, model_dir: Path, tmp_path: Path, point: str
) -> None:
    index_dir = writable_index.index_dir
    writable_index.index.searcher()  # a snapshot on disk: the writer updates it from the log
    documents_before = row_count(index_dir, "documents")
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "某县工作总结.txt").write_text(
        "某县2024年工作总结\n\n全年引进亿元以上项目12个，新建石雕文化产业园。\n", encoding="utf-8"
    )
    writer = Path(__file__).parent / "crash_writer.py"
    command = [sys.executable, str(writer), str(index_dir), str(model_dir), str(folder), point]
    killed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # Only the previous snapshot is on disk; a committed update waits in the log to be replayed.
    assert len(list(index_dir.glob("vectors-*.faiss"))) == 1
    assert (row_count(index_dir, "vector_changes") > 0) == (point != "before-commit")

    reopened = Index(IndexConfig(index_dir, model_dir))
    committed = point != "before-commit"
    assert row_count(index_dir, "documents") == documents_before + committed
    assert len(reopened.searcher().vectors) == row_count(index_dir, "chunks")  # the two halves agree
    hits = reopened.search("石雕文化产业园", SearchOptions(mode="semantic", k=1)).hits
    assert ("石雕文化产业园" in hits[0].chunk.text) == committed
    assert not list(index_dir.glob("vectors-*.tmp")) or point == "during-vectors"
