"""Load shedding: beyond the running slots and the short queue, searches get 503 busy with Retry-After."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from api_client import assert_error, client_for, settings_for
from fastapi.testclient import TestClient
from index_fixture import BuiltIndex

from service.admission import Admission


def one_slot_client(built: BuiltIndex, model_dir: Path, queue: int, timeout: float) -> TestClient:
    """An app that runs one search at a time, with `queue` waiting at most `timeout` seconds."""
    settings = settings_for(
        built.index_dir, model_dir, search_concurrency=1, search_queue=queue, search_queue_timeout=timeout
    )
    return client_for(built.index, settings)


def test_a_search_beyond_the_queue_is_refused_at_once_and_admitted_once_a_slot_frees(
    built_index: BuiltIndex, model_dir: Path
) -> None:
    with one_slot_client(built_index, model_dir, queue=0, timeout=5) as client:
        admission: Admission = client.app.state.admission  # type: ignore[attr-defined]
        with admission.slot():  # a search running on the only slot
            started = time.perf_counter()
            refused = client.get("/search", params={"q": "招商引资"})
            refused_after = time.perf_counter() - started
            refused_similar = client.post("/similar", json={"text": "招商引资"})
            refused_phrases = client.get("/phrases", params={"q": "招商引资"})
        assert_error(refused, 503, "busy")
        assert refused.headers["Retry-After"] == "1"
        assert refused_after < 1  # not the 5 s queue timeout: there is no room to wait
        assert_error(refused_similar, 503, "busy")
        assert_error(refused_phrases, 503, "busy")  # topic phrases run a search too
        assert client.get("/search", params={"q": "招商引资"}).status_code == 200


def test_a_waiting_search_is_refused_after_the_queue_timeout_or_admitted_when_a_slot_frees(
    built_index: BuiltIndex, model_dir: Path
) -> None:
    with one_slot_client(built_index, model_dir, queue=1, timeout=0.3) as client:
        admission: Admission = client.app.state.admission  # type: ignore[attr-defined]
        with admission.slot():
            started = time.perf_counter()
            refused = client.get("/search", params={"q": "招商引资"})
            waited = time.perf_counter() - started
        assert_error(refused, 503, "busy")
        assert 0.3 <= waited < 3
        # A slot that frees up within the timeout admits the waiting search.
        held, release = threading.Event(), threading.Event()

        def hold() -> None:
            with admission.slot():
                held.set()
                release.wait()

        holder = threading.Thread(target=hold)
        holder.start()
        held.wait()
        threading.Timer(0.1, release.set).start()
        assert client.get("/search", params={"q": "招商引资"}).status_code == 200
        holder.join()
