"""Contract: every dense store agrees with the brute-force reference, before and after updates by row id."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import faiss
import numpy as np
import pytest

from indexer.store.faiss_store import FaissStore
from indexer.store.vectors import BruteForceStore, DenseStore, resolve_kind


def unit_vectors(count: int, dimension: int = 64, seed: int = 7) -> np.ndarray:
    """Clustered, as text embeddings are (uniform random vectors have no neighbourhoods to index)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(3).normal(size=(20, dimension))
    vectors = (centres[rng.integers(0, 20, count)] + 0.6 * rng.normal(size=(count, dimension))).astype(
        np.float32
    )
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


VECTORS = unit_vectors(2000)
IDS = np.arange(1000, 3000, dtype=np.int64)
QUERIES = unit_vectors(20, seed=11)


def stores() -> list[tuple[str, DenseStore]]:
    return [
        ("brute", BruteForceStore(IDS, VECTORS)),
        ("flat", FaissStore.build(IDS, VECTORS, kind="flat")),
        ("ivf", FaissStore.build(IDS, VECTORS, kind="ivf")),
    ]


def agreement(store: DenseStore, reference: BruteForceStore, allowed: np.ndarray | None = None) -> float:
    """Share of the reference's top 10 that the store returns, over the test queries."""
    found = 0
    for query in QUERIES:
        expected = set(reference.search(query, 10, allowed)[0].tolist())
        found += len(expected & set(store.search(query, 10, allowed)[0].tolist()))
    return found / (10 * len(QUERIES))


def test_flat_returns_exactly_the_brute_force_top_k() -> None:
    reference, store = BruteForceStore(IDS, VECTORS), FaissStore.build(IDS, VECTORS, kind="flat")
    for query in QUERIES:
        expected_ids, expected_scores = reference.search(query, 10)
        ids, scores = store.search(query, 10)
        assert ids.tolist() == expected_ids.tolist()
        np.testing.assert_allclose(scores, expected_scores, atol=1e-5)


def test_ivf_finds_the_brute_force_top_k_with_close_scores() -> None:
    store = FaissStore.build(IDS, VECTORS, kind="ivf")
    assert store.kind == "ivf"
    reference = BruteForceStore(IDS, VECTORS)
    assert agreement(store, reference) >= 0.9
    ids, scores = store.search(QUERIES[0], 10)
    exact = VECTORS[ids - IDS[0]] @ QUERIES[0]
    np.testing.assert_allclose(scores, exact, atol=0.02)  # 8-bit codes: scores close, not equal


@pytest.mark.parametrize(("name", "store"), stores())
def test_allowed_ids_restrict_results(name: str, store: DenseStore) -> None:
    allowed = IDS[::7]
    reference = BruteForceStore(IDS, VECTORS)
    ids, _ = store.search(QUERIES[0], 5, allowed)
    assert len(ids) == 5 and set(ids.tolist()) <= set(allowed.tolist()), name
    assert agreement(store, reference, allowed) >= 0.9, name


@pytest.mark.parametrize(("name", "store"), stores())
def test_adds_and_removes_by_row_id_match_a_fresh_reference(name: str, store: DenseStore) -> None:
    removed = IDS[::3]
    added_ids = np.arange(5000, 5200, dtype=np.int64)
    added = unit_vectors(200, seed=13)
    store.remove(removed)
    store.remove(np.array([99999], dtype=np.int64))  # not stored: ignored
    store.add(added_ids, added)
    keep = ~np.isin(IDS, removed)
    reference = BruteForceStore(
        np.concatenate([IDS[keep], added_ids]), np.concatenate([VECTORS[keep], added])
    )
    assert len(store) == len(reference), name
    assert agreement(store, reference) >= 0.9, name
    for query in QUERIES:
        assert not set(store.search(query, 50)[0].tolist()) & set(removed.tolist()), name
    np.testing.assert_allclose(store.vector(5003), added[3], atol=0.02)
    # a document replaced in place: the same row ids come back with new vectors
    store.remove(added_ids[:10])
    store.add(added_ids[:10], -added[:10])
    assert store.search(-added[4], 1)[0].tolist() == [5004], name


def test_empty_allowed_set_finds_nothing() -> None:
    ids, scores = FaissStore.build(IDS, VECTORS, "flat").search(QUERIES[0], 5, np.empty(0, np.int64))
    assert len(ids) == 0 and len(scores) == 0


def test_kind_is_chosen_by_size() -> None:
    assert resolve_kind("auto", 1_000) == "flat"
    assert resolve_kind("auto", 1_000_000) == "ivf"
    assert resolve_kind("ivf", 10) == "flat"  # too few vectors to learn lists from


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_save_and_load_round_trip(tmp_path: Path, kind: str) -> None:
    store = FaissStore.build(IDS, VECTORS, kind)  # type: ignore[arg-type]
    store.remove(IDS[:5])
    path = tmp_path / "vectors.faiss"
    store.save(path)
    loaded = FaissStore.load(path)
    assert not list(tmp_path.glob("*.tmp"))
    assert loaded.kind == kind and len(loaded) == len(store)
    assert loaded.search(QUERIES[3], 10)[0].tolist() == store.search(QUERIES[3], 10)[0].tolist()
    loaded.remove(IDS[5:6])  # the id map survives the round trip: updates still work
    assert len(loaded) == len(store) - 1


def test_a_search_runs_on_the_calling_thread_alone() -> None:
    """The server searches from its worker threads, one query each: FAISS must not start OpenMP threads
    for it (they spin against each other and the model on a small machine). OpenMP keeps its thread count
    per thread, so this is checked from a new thread, where the count is still the default."""
    store = FaissStore.build(IDS, VECTORS, kind="flat")
    seen: dict[str, int] = {}

    def search() -> None:
        seen["default"] = faiss.omp_get_max_threads()
        before = len(os.listdir("/proc/self/task"))
        store.search(QUERIES[0], 10)
        seen["started"] = len(os.listdir("/proc/self/task")) - before
        seen["after"] = faiss.omp_get_max_threads()

    thread = threading.Thread(target=search)
    thread.start()
    thread.join()
    if seen["default"] < 2:
        pytest.skip("OpenMP runs one thread by default here: nothing to keep from starting")
    assert seen["started"] == 0
    assert seen["after"] == seen["default"]  # the thread's own setting is left as it was
