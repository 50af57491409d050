"""A small real index, built once per session from tests/data/reports with the real model and ingest."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from shared import shared_dir

from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import ingest_paths

REPORTS = Path(__file__).resolve().parent / "data" / "reports"
CATALOG = "catalog.sqlite"


@dataclass(frozen=True)
class BuiltIndex:
    """An index directory and the open Index over it."""

    index_dir: Path
    index: Index


def build_index(index_dir: Path, model_dir: Path) -> Index:
    """Index every report under tests/data/reports (txt, md, html and a jsonl of two national reports)."""
    index = Index(IndexConfig(index_dir=index_dir, model_dir=model_dir), create=True)
    result = ingest_paths([REPORTS])
    if result.skipped or not result.documents:
        raise RuntimeError(f"test reports did not ingest cleanly: {result.skipped}")
    index.sync(result)
    return index


def copy_index(source: Path, destination: Path, model_dir: Path) -> Index:
    """A private copy for tests that write; the vectors are rebuilt from the copied catalog on open."""
    destination.mkdir(parents=True, exist_ok=True)
    # SQLite's backup API copies a consistent snapshot even while the source is open in WAL mode.
    with (
        closing(sqlite3.connect(source / CATALOG)) as original,
        closing(sqlite3.connect(destination / CATALOG)) as copy,
    ):
        original.backup(copy)
    return Index(IndexConfig(index_dir=destination, model_dir=model_dir))


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> BuiltIndex:
    """Shared and read-only: tests that upload or delete use `writable_index`."""
    index_dir = tmp_path_factory.mktemp("built-index")
    return BuiltIndex(index_dir, build_index(index_dir, model_dir))


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Index:
    """All of ../shared/corpus (seeds and 72 national records), indexed once: minutes of embedding."""
    corpus = shared_dir() / "corpus"
    index = Index(IndexConfig(tmp_path_factory.mktemp("corpus-index"), model_dir), create=True)
    index.sync(ingest_paths([corpus]))
    return index


@pytest.fixture
def writable_index(built_index: BuiltIndex, tmp_path: Path, model_dir: Path) -> BuiltIndex:
    """A fresh copy of the built index for one test, so writes never leak into other tests."""
    index_dir = tmp_path / "index"
    return BuiltIndex(index_dir, copy_index(built_index.index_dir, index_dir, model_dir))
