"""A running server serves the index that another process builds, updates or replaces, without a restart."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

from api_client import assert_error, client_for, settings_for
from fastapi.testclient import TestClient
from httpx import Response
from index_fixture import REPORTS, BuiltIndex, copy_index

from indexer import Index, IndexConfig, ingest_paths

# The watcher looks every 2 s; loading the model takes a few more on a busy machine.
WAIT_SECONDS = 60


def wait_for(client: TestClient, code: str | None) -> Response:
    """Poll /readyz until it answers 200 (`code` None) or 503 with the error `code`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        response = client.get("/readyz")
        if code is None and response.status_code == 200:
            return response
        if response.status_code == 503 and response.json()["error"]["code"] == code:
            assert_error(response, 503, code)
            return response
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz still answers {response.text} after {WAIT_SECONDS}s")
        time.sleep(0.1)


def hit_documents(client: TestClient, query: str) -> list[str]:
    response = client.get("/search", params={"q": query, "k": 20})
    assert response.status_code == 200, response.text
    return [hit["document"]["doc_id"] for hit in response.json()["hits"]]


def test_an_index_built_after_start_is_served(tmp_path: Path, model_dir: Path) -> None:
    index_dir = tmp_path / "index"
    with client_for(None, settings_for(index_dir, model_dir)) as client:
        wait_for(client, "index_not_found")
        assert_error(client.get("/search", params={"q": "招商引资"}), 503, "index_not_found")

        # What `govsearch index` does: read the reports, create the catalog, embed for a while, commit.
        result = ingest_paths([REPORTS])
        writer = Index(IndexConfig(index_dir, model_dir), create=True)
        building = threading.Thread(target=writer.sync, args=(result,))
        building.start()
        answers_while_building = []
        while building.is_alive():
            answers_while_building.append(client.get("/readyz").status_code)
            time.sleep(0.2)
        building.join()
        # A catalog with nothing committed yet is not served as an empty, ready index.
        assert set(answers_while_building) == {503}

        ready = wait_for(client, None)
        assert ready.json()["documents"] == len(result.documents)
        assert hit_documents(client, "招商引资")
        posted = client.post("/search", json={"q": "乡村振兴", "k": 5})
        assert posted.status_code == 200 and posted.json()["hits"], posted.text


def test_updates_and_a_replaced_index_are_served(
    writable_index: BuiltIndex, built_index: BuiltIndex, tmp_path: Path, model_dir: Path
) -> None:
    index_dir = writable_index.index_dir
    with client_for(None, settings_for(index_dir, model_dir)) as client:
        wait_for(client, None)
        doc_id = hit_documents(client, "招商引资")[0]

        # Another process deletes a report: the next requests already see the new generation.
        writable_index.index.delete_document(doc_id)
        assert_error(client.get(f"/documents/{doc_id}"), 404, "unknown_document")
        assert doc_id not in hit_documents(client, "招商引资")

        # The directory is deleted, a catalog is half copied into it, then a complete index takes its place.
        replacement = tmp_path / "replacement"
        copy_index(built_index.index_dir, replacement, model_dir)
        shutil.rmtree(index_dir)
        wait_for(client, "index_not_found")
        index_dir.mkdir()
        catalog = (replacement / "catalog.sqlite").read_bytes()
        (index_dir / "catalog.sqlite").write_bytes(catalog[: len(catalog) // 3])
        wait_for(client, "index_unavailable")
        shutil.rmtree(index_dir)
        os.rename(replacement, index_dir)
        wait_for(client, None)
        assert client.get(f"/documents/{doc_id}").status_code == 200
        assert doc_id in hit_documents(client, "招商引资")
