"""`govsearch eval`: retrieval quality of this index on the user's own judged queries."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from cli.common import JsonOption, fail, load_settings, open_index
from cli.search import ModeOption
from indexer import (
    EvalReport,
    GovsearchError,
    Hit,
    Mode,
    SearchOptions,
    evaluate,
    read_judgments,
    read_queries,
    read_units,
)


def evaluation(
    queries: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help='JSONL: {"qid", "query"}.')],
    qrels: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help='JSON: {"qid": {"uid": grade 0-2}}.')
    ],
    units: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help='JSONL of judged reference passages {"uid", "text"} (default: uids are chunk ids).',
        ),
    ] = None,
    mode: ModeOption = Mode.HYBRID,
    run: Annotated[
        Path | None, typer.Option(help="Also write the run here (JSONL, one query a line).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """nDCG@10, P@10 and MRR@10 of the top 10 per query, graded as ../shared/eval/grade.py grades.

    A result earns the grade of a judged passage it overlaps (shared 8-character runs covering half the
    shorter text); each judged passage counts once; results overlapping none are unjudged and score 0.
    A query's optional `exclude_doc` (a document id, a file name, or `file#…:title`) is left out.
    """
    try:
        hits, report = evaluate(
            open_index(load_settings()),
            read_queries(queries),
            read_judgments(qrels),
            read_units(units) if units else None,
            SearchOptions(mode=mode),
        )
    except GovsearchError as error:
        fail(error)
    if run is not None:
        write_run(run, hits)
    print_report(report, as_json)


def write_run(path: Path, hits: dict[str, list[Hit]]) -> None:
    """The run in the grader's format: {"qid", "results": [{"text", "doc", "chunk_id"}, …]} a line."""
    with path.open("w", encoding="utf-8") as handle:
        for qid, ranked in hits.items():
            results = [
                {"text": hit.chunk.text, "doc": hit.document.title, "chunk_id": hit.chunk.chunk_id}
                for hit in ranked
            ]
            handle.write(json.dumps({"qid": qid, "results": results}, ensure_ascii=False) + "\n")


def print_report(report: EvalReport, as_json: bool) -> None:
    if as_json:
        scores = {qid: asdict(score) for qid, score in report.per_query.items()}
        typer.echo(json.dumps({"queries": scores, "mean": asdict(report.mean)}, indent=2))
        return
    for qid, score in sorted(report.per_query.items()):
        typer.echo(
            f"{qid} ndcg@10={score.ndcg:.3f} p@10={score.precision:.2f} mrr={score.reciprocal_rank:.2f} "
            f"len={score.mean_length:.0f} unjudged={score.unjudged:.0f}"
        )
    mean = report.mean
    typer.echo(
        f"MEAN ndcg@10={mean.ndcg:.4f} p@10={mean.precision:.3f} mrr@10={mean.reciprocal_rank:.3f} "
        f"mean_len={mean.mean_length:.0f} unjudged_per_query={mean.unjudged:.1f}"
    )
