"""Index a folder and die by SIGKILL at a chosen point of the commit, as a power cut would.

    python tests/crash_writer.py INDEX_DIR MODEL_DIR FOLDER POINT

POINT: `before-commit` (inside the SQLite transaction), `after-commit` (catalog committed and the store
updated in memory from the log, no snapshot written yet) or `during-vectors` (half of the new snapshot
written). Used by tests/test_index.py.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import faiss

from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import ingest_paths
from indexer.store.catalog import Catalog
from indexer.store.faiss_store import FaissStore


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    index_dir, model_dir, folder, point = sys.argv[1:]
    if point == "before-commit":
        Catalog.set_manifest = staticmethod(lambda *_: die())  # type: ignore[method-assign]
    elif point == "after-commit":
        FaissStore.save = lambda *_: die()  # type: ignore[method-assign]
    elif point == "during-vectors":
        write_index = faiss.write_index

        def write_half(index: Any, name: str) -> None:
            write_index(index, name)
            with open(name, "r+b") as handle:
                handle.truncate(os.path.getsize(name) // 2)
            die()

        faiss.write_index = write_half
    else:
        raise SystemExit(f"unknown point {point}")
    Index(IndexConfig(Path(index_dir), Path(model_dir))).sync(ingest_paths([Path(folder)]))
    raise SystemExit("the writer was not killed")


if __name__ == "__main__":
    main()
