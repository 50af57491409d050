"""Load shedding: beyond the running slots and the short queue, searches get 503 busy with Retry-After."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from api_client import assert_error, client_for, settings_for
from fastapi.testclient import TestClient
from index_fixture import BuiltIndex
from live_server import serve_in_thread

from service.admission import Admission
from service.app import create_app
from service.settings import Settings

CLIENTS = 24
SEARCHES_EACH = 3


def one_slot_settings(built: BuiltIndex, model_dir: Path, queue: int, timeout: float) -> Settings:
    """One search runs at a time, with `queue` waiting at most `timeout` seconds."""
    return settings_for(
        built.index_dir, model_dir, search_concurrency=1, search_queue=queue, search_queue_timeout=timeout
    )


@contextmanager
def slot_held(client: TestClient) -> Iterator[None]:
    """A running slot taken on the app's event loop, as a running search takes it."""
    admission: Admission = client.app.state.admission  # type: ignore[attr-defined]
    assert client.portal is not None, "use the client as a context manager"
    client.portal.call(admission.acquire)
    try:
        yield
    finally:
        client.portal.call(admission.release)


def test_a_search_beyond_the_queue_is_refused_at_once_and_admitted_once_a_slot_frees(
    built_index: BuiltIndex, model_dir: Path
) -> None:
    settings = one_slot_settings(built_index, model_dir, queue=0, timeout=5)
    with client_for(built_index.index, settings) as client:
        with slot_held(client):  # a search running on the only slot
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
    settings = one_slot_settings(built_index, model_dir, queue=1, timeout=0.3)
    with client_for(built_index.index, settings) as client:
        with slot_held(client):
            started = time.perf_counter()
            refused = client.get("/search", params={"q": "招商引资"})
            waited = time.perf_counter() - started
        assert_error(refused, 503, "busy")
        assert 0.3 <= waited < 3
        # A slot that frees up within the timeout admits the waiting search.
        with ExitStack() as holding:
            holding.enter_context(slot_held(client))
            threading.Timer(0.1, holding.close).start()
            assert client.get("/search", params={"q": "招商引资"}).status_code == 200


def test_a_real_server_under_load_answers_every_search_with_results_or_busy(
    built_index: BuiltIndex, model_dir: Path
) -> None:
    """Many clients at once against one running slot and no queue, over real sockets: each search is
    answered, those beyond the slot with 503 + Retry-After rather than a wait."""
    app = create_app(one_slot_settings(built_index, model_dir, queue=0, timeout=5), built_index.index)
    statuses: list[int] = []
    refusals: list[httpx.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(base_url: str) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as session:
            start.wait()
            for _ in range(SEARCHES_EACH):
                response = session.get("/search", params={"q": "招商引资", "k": 5})
                with lock:
                    statuses.append(response.status_code)
                    if response.status_code == 503:
                        refusals.append(response)

    with serve_in_thread(app) as base_url:
        threads = [threading.Thread(target=client, args=(base_url,)) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(statuses) == CLIENTS * SEARCHES_EACH
    assert set(statuses) == {200, 503}, statuses
    for refused in refusals:
        assert_error(refused, 503, "busy")
        assert refused.headers["Retry-After"] == "1"
