"""Retrieval quality on ../shared/eval: index ../shared/corpus, run the dev queries in every mode, grade.

    .venv/bin/python bench/evaluate.py [--index-dir var/eval-index] [--shared ../shared] [--out bench/out]

Runs and grades with the library's `evaluate` (what `govsearch eval` runs) and checks that the dev set's
own grader (../shared/eval/grade.py) gives the same means on the same run. Prints nDCG@10, P@10, MRR@10
and unjudged results per mode, and the mean of each query kind (terms, requests, pasted paragraphs).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path
from types import ModuleType

from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import ingest_paths
from indexer.records import Hit, Mode
from indexer.search.evaluation import EvalReport, evaluate, read_judgments, read_queries, read_units
from indexer.search.searcher import SearchOptions


def load_grader(eval_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("grade", eval_dir / "grade.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no grader at {eval_dir / 'grade.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_run(path: Path, hits: dict[str, list[Hit]]) -> dict[str, list[dict[str, str]]]:
    """The run in the grader's format, written as JSONL and returned."""
    run = {
        qid: [{"text": h.chunk.text, "doc": h.document.title} for h in ranked] for qid, ranked in hits.items()
    }
    with path.open("w", encoding="utf-8") as handle:
        for qid, results in run.items():
            handle.write(json.dumps({"qid": qid, "results": results}, ensure_ascii=False) + "\n")
    return run


def check_against_grader(
    grader: ModuleType, eval_dir: Path, run: dict[str, list[dict[str, str]]], ours: EvalReport
) -> None:
    units, qrels = grader.load(eval_dir / "dev_units.jsonl", eval_dir / "dev_qrels.json")
    _, theirs = grader.grade_run(run, units, qrels)
    mine = {
        "ndcg": ours.mean.ndcg,
        "p": ours.mean.precision,
        "mrr": ours.mean.reciprocal_rank,
        "len": ours.mean.mean_length,
        "unjudged": ours.mean.unjudged,
    }
    if mine != theirs:
        raise SystemExit(f"evaluate and grade.py disagree: {mine} != {theirs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--index-dir", type=Path, default=Path("var/eval-index"))
    parser.add_argument("--model-dir", type=Path, default=Path("models/m3e-small"))
    parser.add_argument("--modes", nargs="*", default=[mode.value for mode in Mode])
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()

    index = Index(IndexConfig(args.index_dir, args.model_dir), create=True)
    started = time.perf_counter()
    report = index.sync(ingest_paths([args.shared / "corpus"]))
    print(
        f"indexed: {len(report.added)} added, {report.unchanged} unchanged, {report.embedded} embedded "
        f"in {time.perf_counter() - started:.1f}s"
    )

    eval_dir = args.shared / "eval"
    grader = load_grader(eval_dir)
    queries = read_queries(eval_dir / "dev_queries.jsonl")
    judgments = read_judgments(eval_dir / "dev_qrels.json")
    units = read_units(eval_dir / "dev_units.jsonl")
    args.out.mkdir(parents=True, exist_ok=True)
    for mode in args.modes:
        started = time.perf_counter()
        hits, graded = evaluate(index, queries, judgments, units, SearchOptions(mode=Mode(mode)))
        elapsed = time.perf_counter() - started
        check_against_grader(grader, eval_dir, write_run(args.out / f"run-{mode}.jsonl", hits), graded)
        mean = graded.mean
        print(
            f"{mode:8s} nDCG@10={mean.ndcg:.4f} P@10={mean.precision:.3f} MRR@10={mean.reciprocal_rank:.3f} "
            f"len={mean.mean_length:.0f} unjudged/query={mean.unjudged:.1f} "
            f"({elapsed / len(queries) * 1000:.0f} ms/query incl. grading; grade.py agrees)"
        )
        worst = sorted(graded.per_query.items(), key=lambda item: item[1].ndcg)[:5]
        print("         weakest: " + ", ".join(f"{qid}={score.ndcg:.2f}" for qid, score in worst))


if __name__ == "__main__":
    main()
