"""The inference executor: the real model on one thread, concurrent queries batched, repeats cached."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from indexer.embedding.embedder import Embedder
from indexer.search.inference import InferenceExecutor, QueryVectorCache

QUERIES = ["招商引资", "乡村振兴", "营商环境", "科技创新", "对外开放", "生态环境保护", "民生保障", "数字经济"]


class Recorded:
    """The real model, noting each call's batch and the thread it ran on."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.calls: list[tuple[list[str], str]] = []

    def embed_query(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append((list(texts), threading.current_thread().name))
        return self.embedder.embed_query(texts)


@pytest.fixture(scope="module")
def fp32_embedder(model_dir: Path) -> Embedder:
    """Vectors that do not depend on their batch (int8's do, slightly: tests/test_embedding.py), so each
    caller's vector can be compared with the same query embedded on its own."""
    return Embedder(model_dir, "cpu", precision="float32")


def test_concurrent_queries_share_one_thread_and_get_their_own_vectors(fp32_embedder: Embedder) -> None:
    model = Recorded(fp32_embedder)
    executor = InferenceExecutor(lambda: model, cache_size=100)
    with ThreadPoolExecutor(max_workers=len(QUERIES)) as pool:
        vectors = list(pool.map(lambda query: executor.embed_query([query])[0], QUERIES * 3))
    expected = fp32_embedder.embed_query(QUERIES)
    for position, vector in enumerate(vectors):
        np.testing.assert_allclose(vector, expected[position % len(QUERIES)], atol=1e-4)
    assert {thread for _, thread in model.calls} == {"govsearch-inference"}
    # Each query reached the model once: repeats waited for the same result or came from the cache.
    embedded = [text for texts, _ in model.calls for text in texts]
    assert sorted(embedded) == sorted(QUERIES)


def test_a_repeated_query_needs_no_model_call(embedder: Embedder) -> None:
    model = Recorded(embedder)
    executor = InferenceExecutor(lambda: model, cache_size=100)
    first = executor.embed_query(["招商引资", "乡村振兴"])
    calls = len(model.calls)
    again = executor.embed_query(["乡村振兴", "招商引资"])
    np.testing.assert_array_equal(again, first[::-1])
    assert len(model.calls) == calls


def test_a_submitted_query_is_embedded_while_the_caller_works_on(embedder: Embedder) -> None:
    model = Recorded(embedder)
    executor = InferenceExecutor(lambda: model, cache_size=100)
    pending = executor.submit("粮食安全")
    np.testing.assert_array_equal(pending.result(timeout=60), embedder.embed_query(["粮食安全"])[0])
    assert [texts for texts, _ in model.calls] == [["粮食安全"]]
    repeated = executor.submit("粮食安全")
    assert repeated.done()  # from the cache, without the model
    np.testing.assert_array_equal(repeated.result(), pending.result())
    assert len(model.calls) == 1


def test_a_model_failure_reaches_the_caller() -> None:
    class Broken:
        def embed_query(self, texts: Sequence[str]) -> np.ndarray:
            raise RuntimeError("out of memory")

    executor = InferenceExecutor(Broken, cache_size=10)
    with pytest.raises(RuntimeError, match="out of memory"):
        executor.embed_query(["招商引资"])


def test_the_cache_drops_the_least_recently_used() -> None:
    cache = QueryVectorCache(2)
    for text in ("a", "b"):
        cache.put(text, np.array([ord(text)], dtype=np.float32))
    assert cache.get("a") is not None  # "a" is now the most recent
    cache.put("c", np.array([3], dtype=np.float32))
    assert (cache.get("b"), len(cache)) == (None, 2)
    assert cache.get("a") is not None and cache.get("c") is not None
