"""Synthetic passages for bench/scale.py: real texts, vectors shaped like real m3e-small embeddings.

Each synthetic vector starts from a real passage's vector, moves part of the way towards one of its ten
nearest real neighbours, and adds Gaussian noise with the real vectors' covariance (their spectrum), then
is normalised: clusters and neighbourhoods like a real corpus, a million distinct vectors from a few
thousand real ones. Its text is the real passage's text with a number, so every passage has its own
cache key and the keyword side indexes real language. Fixed seed; cached as .npy files.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np

SEED = 12
BATCH = 65536
NEIGHBOURS = 10
NOISE = 0.5


def real_passages(index_dir: Path, cache: Path) -> tuple[list[str], np.ndarray]:
    """(texts, vectors) of every passage of an existing index (e.g. one built from ../shared/corpus)."""
    texts_file, vectors_file = cache / "real-texts.txt", cache / "real.npy"
    if not texts_file.exists() or not vectors_file.exists():
        uri = f"file:{index_dir / 'catalog.sqlite'}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            rows = connection.execute(
                "SELECT c.text, e.vector FROM chunks c JOIN embeddings e ON e.key = c.embedding_key"
            ).fetchall()
        vectors = np.frombuffer(b"".join(row[1] for row in rows), np.float32).reshape(len(rows), -1)
        np.save(vectors_file, vectors)
        texts_file.write_text("\n".join(row[0].replace("\n", " ") for row in rows), encoding="utf-8")
    return texts_file.read_text(encoding="utf-8").split("\n"), np.load(vectors_file)


def synthetic(count: int, real: np.ndarray, cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """(vectors as a read-only memory map, index of the real passage each one came from)."""
    vectors_file, sources_file = cache / f"syn{count}.npy", cache / f"syn{count}-sources.npy"
    if not sources_file.exists():
        generate(count, real, vectors_file, sources_file)
    return np.load(vectors_file, mmap_mode="r"), np.load(sources_file)


def generate(count: int, real: np.ndarray, vectors_file: Path, sources_file: Path) -> None:
    """Write the vectors (unless already there: the random draws are replayed for the sources)."""
    rng = np.random.default_rng(SEED)
    covariance = np.cov(real.T)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    shape = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))).T.astype(np.float32)
    similarity = real @ real.T
    np.fill_diagonal(similarity, -1)
    neighbours = np.argsort(-similarity, axis=1)[:, :NEIGHBOURS]
    write = not vectors_file.exists()
    dimension = real.shape[1]
    out = np.lib.format.open_memmap(vectors_file, "w+", np.float32, (count, dimension)) if write else None
    sources = np.empty(count, np.int64)
    for start in range(0, count, BATCH):
        n = min(BATCH, count - start)
        source = rng.integers(0, len(real), n)
        neighbour = neighbours[source, rng.integers(0, NEIGHBOURS, n)]
        along = rng.random(n, dtype=np.float32)[:, None]
        noise = rng.standard_normal((n, dimension), dtype=np.float32)
        sources[start : start + n] = source
        if out is not None:
            x = real[source] + along * (real[neighbour] - real[source]) + NOISE * (noise @ shape)
            out[start : start + n] = x / np.linalg.norm(x, axis=1, keepdims=True)
    if out is not None:
        out.flush()
    np.save(sources_file, sources)


def queries(real: np.ndarray, count: int, seed: int = 5) -> np.ndarray:
    """Query vectors near real passages (as a query about a passage's topic would be)."""
    rng = np.random.default_rng(seed)
    picked = real[rng.integers(0, len(real), count)]
    q = picked + 0.05 * rng.standard_normal(picked.shape).astype(np.float32)
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int = 10, block: int = 200_000) -> np.ndarray:
    """Positions of the exact top-k of each query, streaming the memory map in blocks."""
    best_scores = np.full((len(query), k), -9.0, np.float32)
    best = np.zeros((len(query), k), np.int64)
    for start in range(0, len(vectors), block):
        scores = query @ np.asarray(vectors[start : start + block]).T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        all_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], 1)
        all_ids = np.concatenate([best, top + start], 1)
        order = np.argsort(-all_scores, 1)[:, :k]
        best_scores, best = np.take_along_axis(all_scores, order, 1), np.take_along_axis(all_ids, order, 1)
    return best
