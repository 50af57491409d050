"""Indexing throughput: a fresh index of the national corpus, then a re-run over the unchanged corpus.

    .venv/bin/python bench/indexing.py [--corpus ../shared/corpus/national] [--index-dir var/bench-index]

Prints ingest time, passages embedded per second, total chunks per second, and the unchanged re-run time.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import ingest_paths


def timed_update(index_dir: Path, model_dir: Path, corpus: Path) -> tuple[float, float, int, int]:
    """(ingest seconds, update seconds, chunks, passages embedded)."""
    started = time.perf_counter()
    result = ingest_paths([corpus])
    ingested = time.perf_counter()
    report = Index(IndexConfig(index_dir, model_dir), create=True).sync(result)
    chunks = sum(len(chunks) for _, chunks in result.documents)
    return ingested - started, time.perf_counter() - ingested, chunks, report.embedded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/national"))
    parser.add_argument("--index-dir", type=Path, default=Path("var/bench-index"))
    parser.add_argument("--model-dir", type=Path, default=Path("models/m3e-small"))
    args = parser.parse_args()
    shutil.rmtree(args.index_dir, ignore_errors=True)

    ingest, update, chunks, embedded = timed_update(args.index_dir, args.model_dir, args.corpus)
    print(
        f"fresh:     {chunks} chunks; ingest {ingest:.1f}s, embed+store {update:.1f}s; "
        f"{embedded / update:.1f} passages/s embedded, {chunks / (ingest + update):.1f} chunks/s overall"
    )
    ingest, update, chunks, embedded = timed_update(args.index_dir, args.model_dir, args.corpus)
    print(f"unchanged: {chunks} chunks; ingest {ingest:.1f}s, update {update:.2f}s; {embedded} embedded")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
