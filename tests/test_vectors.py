"""Contract: every vector store returns the brute-force top-k (the same ids, the same order)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.store.vectors import BruteForceStore, FaissStore, VectorStore


def unit_vectors(count: int, dimension: int = 64, seed: int = 7) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


VECTORS = unit_vectors(500)
IDS = np.arange(1000, 1500, dtype=np.int64)
QUERIES = unit_vectors(20, seed=11)


def stores() -> list[tuple[str, VectorStore]]:
    return [
        ("flat", FaissStore.build(IDS, VECTORS, kind="flat")),
        ("hnsw", FaissStore.build(IDS, VECTORS, kind="hnsw")),
    ]


@pytest.mark.parametrize(("name", "store"), stores())
def test_top_k_equals_brute_force(name: str, store: VectorStore) -> None:
    reference = BruteForceStore(IDS, VECTORS)
    for query in QUERIES:
        expected_ids, expected_scores = reference.search(query, 10)
        ids, scores = store.search(query, 10)
        assert ids.tolist() == expected_ids.tolist(), name
        np.testing.assert_allclose(scores, expected_scores, atol=1e-5)


@pytest.mark.parametrize(("name", "store"), stores())
def test_allowed_ids_restrict_results(name: str, store: VectorStore) -> None:
    allowed = IDS[::7]
    reference = BruteForceStore(IDS, VECTORS)
    ids, _ = store.search(QUERIES[0], 5, allowed)
    assert set(ids.tolist()) <= set(allowed.tolist())
    assert ids.tolist() == reference.search(QUERIES[0], 5, allowed)[0].tolist(), name


def test_empty_allowed_set_finds_nothing() -> None:
    ids, scores = FaissStore.build(IDS, VECTORS).search(QUERIES[0], 5, np.empty(0, np.int64))
    assert len(ids) == 0 and len(scores) == 0


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    store = FaissStore.build(IDS, VECTORS)
    path = tmp_path / "vectors.faiss"
    store.save(path)
    loaded = FaissStore.load(path)
    assert not (tmp_path / "vectors.faiss.tmp").exists()
    assert loaded.search(QUERIES[3], 10)[0].tolist() == store.search(QUERIES[3], 10)[0].tolist()
    np.testing.assert_allclose(loaded.index.reconstruct(int(IDS[5])), VECTORS[5], atol=1e-6)
