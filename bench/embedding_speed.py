"""Embedding throughput, fp32 against bf16 autocast, on ~300 real report paragraphs of ~200 characters.

Run: .venv/bin/python bench/embedding_speed.py [--count 300] [--batch-size 32] [--device cpu]
Prints passages/s for each precision, their ratio, and the cosine between the two vectors of each passage.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from indexer.embedding.embedder import Embedder
from indexer.embedding.hardware import cpu_capability, cpu_flags

REPOSITORY = Path(__file__).resolve().parent.parent
CORPUS = REPOSITORY.parent / "shared" / "corpus" / "national" / "government_work_reports.jsonl"
MODEL_DIR = REPOSITORY / "models" / "m3e-small"
INTERESTING_FLAGS = {"avx2", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16", "amx_int8"}
# Paragraph lengths kept: around the ~200-character passages the chunker produces.
SHORTEST, LONGEST = 150, 260


def paragraphs(count: int) -> list[str]:
    """The first `count` paragraphs of passage size, in file order, so every run measures the same text."""
    found: list[str] = []
    with CORPUS.open(encoding="utf-8") as lines:
        for line in lines:
            for paragraph in json.loads(line)["content"].split("\n"):
                if SHORTEST <= len(paragraph.strip()) <= LONGEST:
                    found.append(paragraph.strip())
                    if len(found) == count:
                        return found
    return found


def timed(embedders: list[Embedder], texts: list[str], rounds: int) -> list[tuple[float, np.ndarray]]:
    """Best of `rounds` for each embedder, rounds interleaved so a burst of other load hits all alike."""
    for embedder in embedders:
        embedder.embed_passages(texts[: embedder.batch_size])  # warm-up: first-call allocations
    best = [float("inf")] * len(embedders)
    vectors: list[np.ndarray] = [np.empty(0)] * len(embedders)
    for _ in range(rounds):
        for position, embedder in enumerate(embedders):
            start = time.perf_counter()
            vectors[position] = embedder.embed_passages(texts)
            best[position] = min(best[position], time.perf_counter() - start)
    return list(zip(best, vectors, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default=None)
    arguments = parser.parse_args()

    texts = paragraphs(arguments.count)
    exact = Embedder(MODEL_DIR, arguments.device, arguments.batch_size, precision="float32")
    fast = Embedder(MODEL_DIR, arguments.device, arguments.batch_size, precision="bfloat16")
    measured = timed([exact, fast], texts, arguments.rounds)
    (exact_seconds, exact_vectors), (fast_seconds, fast_vectors) = measured
    cosines = np.sum(exact_vectors * fast_vectors, axis=1)

    threads = torch.get_num_threads()
    print(f"cpu {cpu_capability()}, flags {' '.join(sorted(cpu_flags() & INTERESTING_FLAGS)) or '-'}")
    print(f"default precision here: {Embedder(MODEL_DIR, arguments.device).precision}")
    print(f"model {exact.model_id} on {exact.device}, torch {torch.__version__}, {threads} threads")
    print(f"{len(texts)} paragraphs, mean {np.mean([len(text) for text in texts]):.0f} characters")
    print(f"batch size {arguments.batch_size}, best of {arguments.rounds} rounds")
    print(f"{exact.precision:>8}: {len(texts) / exact_seconds:8.1f} passages/s")
    print(f"{fast.precision:>8}: {len(texts) / fast_seconds:8.1f} passages/s")
    print(f"speed-up {exact_seconds / fast_seconds:.2f}x")
    print(f"cosine {exact.precision} vs {fast.precision}: min {cosines.min():.6f}, mean {cosines.mean():.6f}")


if __name__ == "__main__":
    main()
