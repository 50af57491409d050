"""Retrieval quality on ../shared/eval: index ../shared/corpus, run the dev queries in every mode, grade.

    .venv/bin/python bench/evaluate.py [--index-dir var/eval-index] [--shared ../shared]
        [--backend milvus --milvus-uri /tmp/eval/govsearch.db]

The backend and Milvus URI default to GOVSEARCH_BACKEND and GOVSEARCH_MILVUS_URI, as for `govsearch`.
Prints nDCG@10, P@10, MRR@10 and unjudged results per mode, with the grader of ../shared/eval.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path
from types import ModuleType

from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import IngestResult, ingest_paths
from indexer.records import Filters
from indexer.search.searcher import SearchOptions

MODES = ("keyword", "semantic", "hybrid")


def load_grader(eval_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("grade", eval_dir / "grade.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no grader at {eval_dir / 'grade.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def excluded_doc_ids(result: IngestResult, exclude: str | None) -> tuple[str, ...]:
    """Map the eval's `exclude_doc` (a seed file name or `<jsonl>#<line>:<title>`) to our document ids."""
    if not exclude:
        return ()
    name, _, rest = exclude.partition("#")
    line = rest.split(":", 1)[0]
    return tuple(
        document.doc_id
        for document, _ in result.documents
        if Path(document.source).name == name and (not line or document.extra.get("line") == line)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--index-dir", type=Path, default=Path("var/eval-index"))
    parser.add_argument("--model-dir", type=Path, default=Path("models/m3e-small"))
    parser.add_argument("--modes", nargs="*", default=list(MODES))
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument(
        "--backend", choices=("local", "milvus"), default=os.environ.get("GOVSEARCH_BACKEND", "local")
    )
    parser.add_argument("--milvus-uri", default=os.environ.get("GOVSEARCH_MILVUS_URI"))
    args = parser.parse_args()

    config = IndexConfig(args.index_dir, args.model_dir, backend=args.backend, milvus_uri=args.milvus_uri)
    index = Index(config, create=True)
    corpus = args.shared / "corpus"
    started = time.perf_counter()
    result = ingest_paths([corpus])
    report = index.sync(result)
    print(
        f"indexed: {len(report.added)} added, {report.unchanged} unchanged, {report.embedded} embedded "
        f"in {time.perf_counter() - started:.1f}s"
    )

    eval_dir = args.shared / "eval"
    grader = load_grader(eval_dir)
    units, qrels = grader.load(eval_dir / "dev_units.jsonl", eval_dir / "dev_qrels.json")
    queries = [json.loads(line) for line in open(eval_dir / "dev_queries.jsonl", encoding="utf-8")]
    args.out.mkdir(parents=True, exist_ok=True)
    for mode in args.modes:
        run = {}
        started = time.perf_counter()
        for query in queries:
            filters = Filters(exclude_doc_ids=excluded_doc_ids(result, query["exclude_doc"]))
            page = index.search(query["query"], SearchOptions(mode=mode, k=10, filters=filters))
            run[query["qid"]] = [{"text": hit.chunk.text, "doc": hit.document.title} for hit in page.hits]
        elapsed = time.perf_counter() - started
        with open(args.out / f"run-{mode}.jsonl", "w", encoding="utf-8") as handle:
            for qid, results in run.items():
                handle.write(json.dumps({"qid": qid, "results": results}, ensure_ascii=False) + "\n")
        per_query, mean = grader.grade_run(run, units, qrels)
        print(
            f"{mode:8s} nDCG@10={mean['ndcg']:.4f} P@10={mean['p']:.3f} MRR@10={mean['mrr']:.3f} "
            f"len={mean['len']:.0f} unjudged/query={mean['unjudged']:.1f} "
            f"({elapsed / len(queries) * 1000:.0f} ms/query)"
        )
        worst = sorted(per_query.items(), key=lambda item: item[1]["ndcg"])[:5]
        print("         weakest: " + ", ".join(f"{qid}={v['ndcg']:.2f}" for qid, v in worst))


if __name__ == "__main__":
    main()
