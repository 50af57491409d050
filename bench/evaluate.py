"""Retrieval quality on ../shared/eval: index ../shared/corpus, run the dev queries in every mode, grade.

    .venv/bin/python bench/evaluate.py [--index-dir var/eval-index] [--shared ../shared] [--out bench/out]
        [--backend milvus --milvus-uri /tmp/eval/govsearch.db]

Runs and grades with the library's `evaluate` (what `govsearch eval` runs) and checks that the dev set's
own grader (../shared/eval/grade.py) gives the same means on the same run. Prints nDCG@10, P@10, MRR@10
and unjudged results per mode, and the descriptive queries' mean. With --requests, also the dev topics
asked as writers ask (招商引资 → 招商引资有哪些具体举措, 怎样写好招商引资这部分 …), graded with the topic's
judgments: how far a request ranks below the topic it asks about.
The backend and Milvus URI default to GOVSEARCH_BACKEND and GOVSEARCH_MILVUS_URI, as for `govsearch`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path
from types import ModuleType
from typing import get_args

from indexer.embedding.hardware import Precision, Runtime
from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import ingest_paths
from indexer.records import Hit, Mode
from indexer.search.evaluation import (
    EvalQuery,
    EvalReport,
    Judgments,
    evaluate,
    read_judgments,
    read_queries,
    read_units,
)
from indexer.search.searcher import SearchOptions

# Dev queries that ask for results, measures or a state of affairs rather than name a policy term.
DESCRIPTIVE = ("d04", "d07", "d13")
# Ways writers ask about a topic, fixed before measuring; the last two use words the request list lacks.
REQUEST_FRAMES = (
    "{}有哪些具体举措",
    "怎样写好{}这部分",
    "关于{}的经验做法",
    "如何表述{}",
    "{}方面取得了哪些成效",
    "请帮我找一下{}的相关材料",
    "{}工作怎么抓",
    "围绕{}我们做了什么",
)


def requests_of(queries: list[EvalQuery], judgments: Judgments) -> tuple[list[EvalQuery], Judgments]:
    """Every short topic of the dev set asked in each frame, judged as the topic is."""
    topics = [query for query in queries if not query.exclude and len(query.query) <= 20]
    asked = [
        EvalQuery(f"{query.qid}#{number}", frame.format(query.query))
        for query in topics
        for number, frame in enumerate(REQUEST_FRAMES)
    ]
    return asked, {request.qid: judgments[request.qid.split("#")[0]] for request in asked}


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
    parser.add_argument("--runtime", default="auto", choices=get_args(Runtime))
    parser.add_argument("--precision", default="auto", choices=get_args(Precision))
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--requests", action="store_true", help="also the dev topics asked as requests")
    parser.add_argument(
        "--backend", choices=("local", "milvus"), default=os.environ.get("GOVSEARCH_BACKEND", "local")
    )
    parser.add_argument("--milvus-uri", default=os.environ.get("GOVSEARCH_MILVUS_URI"))
    args = parser.parse_args()

    config = IndexConfig(
        args.index_dir,
        args.model_dir,
        precision=args.precision,
        runtime=args.runtime,
        backend=args.backend,
        milvus_uri=args.milvus_uri,
    )
    index = Index(config, create=True)
    print(f"engine: {index.embedder.runtime} {index.embedder.precision}")
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
        descriptive = sum(graded.per_query[qid].ndcg for qid in DESCRIPTIVE) / len(DESCRIPTIVE)
        print(f"         descriptive ({', '.join(DESCRIPTIVE)}): nDCG@10={descriptive:.4f}")
        if args.requests:
            asked, asked_judgments = requests_of(queries, judgments)
            _, requests = evaluate(index, asked, asked_judgments, units, SearchOptions(mode=Mode(mode)))
            topics = {request.qid.split("#")[0] for request in asked}
            as_topics = sum(graded.per_query[qid].ndcg for qid in topics) / len(topics)
            asked_score = requests.mean
            print(
                f"         {len(asked)} requests: nDCG@10={asked_score.ndcg:.4f} "
                f"P@10={asked_score.precision:.3f} "
                f"unjudged/query={asked_score.unjudged:.2f} ({len(topics)} topics as typed: {as_topics:.4f})"
            )


if __name__ == "__main__":
    main()
