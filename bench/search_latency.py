"""In-process search latency per mode over an existing index (no HTTP): p50 and p99 in milliseconds.

    .venv/bin/python bench/search_latency.py [--index-dir var/eval-index] [--rounds 4]

Queries: the 25 dev queries of ../shared/eval when present, else a few built-in ones.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

from indexer.index import Index, IndexConfig
from indexer.search.searcher import SearchOptions

FALLBACK_QUERIES = ["招商引资", "优化营商环境", "乡村振兴", "安全生产", "科技创新 创新驱动发展"]


def queries(shared: Path) -> list[str]:
    path = shared / "eval" / "dev_queries.jsonl"
    if not path.exists():
        return FALLBACK_QUERIES
    return [json.loads(line)["query"] for line in path.open(encoding="utf-8")]


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
        cuts = statistics.quantiles(samples, n=100)
        print(
            f"{mode:8s} p50 {cuts[49]:6.1f} ms   p99 {cuts[98]:6.1f} ms   "
            f"mean {statistics.fmean(samples):6.1f} ms"
        )

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MiB (model, catalog connection, FAISS index)")


if __name__ == "__main__":
    main()
