"""End-to-end indexing speed against naive sentence-transformers, back to back on the same passages.

    .venv/bin/python bench/index_speed.py [--reports examples/reports] [--model-dir models/m3e-small]

First a plain fp32 `SentenceTransformer.encode` of every passage `govsearch index` would embed; then
`govsearch index` of the folder into a fresh directory, as a user runs it (a new process: start-up,
reading, chunking, embedding, keyword and phrase statistics, FAISS). Prints characters/s of both and the
ratio. Repeat the pair (--pairs) to see how much the machine's other load moves it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from indexer.ingest.pipeline import ingest_paths
from indexer.store.passages import passage_text

REPOSITORY = Path(__file__).resolve().parent.parent


def passages(reports: Path) -> list[str]:
    """The distinct passage texts indexing embeds (the embedding cache stores each text once)."""
    result = ingest_paths([reports])
    return sorted({passage_text(chunk) for _, chunks in result.documents for chunk in chunks})


def naive_seconds(model_dir: Path, texts: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of `encode` (model loading not counted)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    start, start_cpu = time.perf_counter(), time.process_time()
    model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    return time.perf_counter() - start, time.process_time() - start_cpu


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def index_seconds(model_dir: Path, reports: Path, runtime: str, precision: str) -> tuple[float, float]:
    """Wall and CPU seconds of `govsearch index REPORTS` into a fresh index, start-up included."""
    with tempfile.TemporaryDirectory(prefix="index-speed-") as index_dir:
        environment = {
            **os.environ,
            "GOVSEARCH_INDEX_DIR": index_dir,
            "GOVSEARCH_MODEL_DIR": str(model_dir),
            "GOVSEARCH_RUNTIME": runtime,
            "GOVSEARCH_PRECISION": precision,
        }
        command = [sys.executable, "-c", "from cli.main import app; app()", "index", str(reports)]
        start, start_cpu = time.perf_counter(), children_cpu_seconds()
        subprocess.run(command, env=environment, cwd=REPOSITORY, check=True, capture_output=True)
        return time.perf_counter() - start, children_cpu_seconds() - start_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=REPOSITORY / "examples" / "reports")
    parser.add_argument("--model-dir", type=Path, default=REPOSITORY / "models" / "m3e-small")
    parser.add_argument("--runtime", default="auto", help="GOVSEARCH_RUNTIME for the indexing run")
    parser.add_argument("--precision", default="auto", help="GOVSEARCH_PRECISION for the indexing run")
    parser.add_argument("--pairs", type=int, default=1)
    arguments = parser.parse_args()

    texts = passages(arguments.reports)
    characters = sum(len(text) for text in texts)
    print(f"{len(texts)} passages, {characters:,} characters from {arguments.reports}")
    for _ in range(arguments.pairs):
        naive, naive_cpu = naive_seconds(arguments.model_dir, texts)
        model_dir, reports = arguments.model_dir.resolve(), arguments.reports.resolve()
        indexed, indexed_cpu = index_seconds(model_dir, reports, arguments.runtime, arguments.precision)
        print(
            f"naive sentence-transformers fp32: {characters / naive:7.0f} characters/s "
            f"({naive:.1f} s wall, {naive_cpu:.1f} s CPU); "
            f"govsearch index ({arguments.runtime} {arguments.precision}): "
            f"{characters / indexed:7.0f} characters/s ({indexed:.1f} s wall, {indexed_cpu:.1f} s CPU); "
            f"ratio {naive / indexed:.2f}x wall, {naive_cpu / indexed_cpu:.2f}x CPU"
        )


if __name__ == "__main__":
    main()
