"""In-process search latency per mode over an existing index (no HTTP): p50 and p99 in milliseconds.

    .venv/bin/python bench/search_latency.py [--index-dir var/eval-index] [--rounds 4]

Queries: the 25 dev queries of ../shared/eval when present, else a few built-in ones. Also times the
keyword side alone, FTS5's bm25() against the BM25 in memory that the local backend ranks with (the same
terms, filters and candidate pool as a search).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

from indexer.index import Index, IndexConfig
from indexer.records import Filters
from indexer.search.searcher import CANDIDATE_POOL, SearchOptions
from indexer.text.normalize import normalize_for_search
from indexer.text.tokenize import tokenize_for_search

FALLBACK_QUERIES = ["招商引资", "优化营商环境", "乡村振兴", "安全生产", "科技创新 创新驱动发展"]


def queries(shared: Path) -> list[str]:
    path = shared / "eval" / "dev_queries.jsonl"
    if not path.exists():
        return FALLBACK_QUERIES
    return [json.loads(line)["query"] for line in path.open(encoding="utf-8")]


def report(label: str, samples: list[float]) -> None:
    cuts = statistics.quantiles(samples, n=100)
    mean = statistics.fmean(samples)
    print(f"{label:8s} p50 {cuts[49]:6.1f} ms   p99 {cuts[98]:6.1f} ms   mean {mean:6.1f} ms")


def keyword_sides(index: Index, texts: list[str], rounds: int) -> None:
    """FTS5 and in-memory keyword retrieval, alternating query by query so both see the same load."""
    terms = [tokenize_for_search(normalize_for_search(text)) for text in texts]
    sides = {"fts5": index.keywords, "memory": index.searcher().keywords}
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for query in terms:
            for name, side in sides.items():
                started = time.perf_counter()
                side.search(query, Filters(), CANDIDATE_POOL)
                samples[name].append((time.perf_counter() - started) * 1000)
    for name, found in samples.items():
        report(name, found)
    ratio = statistics.median(samples["fts5"]) / statistics.median(samples["memory"])
    print(f"keyword side: in memory {ratio:.1f}x faster than FTS5 at the median")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, default=Path("var/eval-index"))
    parser.add_argument("--model-dir", type=Path, default=Path("models/m3e-small"))
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    index = Index(IndexConfig(args.index_dir, args.model_dir))
    texts = queries(args.shared)
    print(f"{index.stats()['counts']['chunks']} chunks, {len(texts)} queries x {args.rounds} rounds")
    for mode in ("keyword", "semantic", "hybrid"):
        index.search(texts[0], SearchOptions(mode=mode))  # warm caches and the model
        samples = []
        for _ in range(args.rounds):
            for text in texts:
                started = time.perf_counter()
                index.search(text, SearchOptions(mode=mode, k=10))
                samples.append((time.perf_counter() - started) * 1000)
        report(mode, samples)
    keyword_sides(index, texts, args.rounds)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MiB (model, catalog connection, FAISS index)")


if __name__ == "__main__":
    main()
