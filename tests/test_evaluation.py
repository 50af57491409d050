"""`govsearch eval` and the grading behind it: the grader's logic (../shared/eval/grade.py), on our runs."""

from __future__ import annotations

import importlib.util
import json
import math
import re
from pathlib import Path
from types import ModuleType

import pytest
from index_fixture import BuiltIndex
from shared import shared_dir
from typer.testing import CliRunner

from cli.main import app
from indexer import (
    Index,
    InvalidInput,
    SearchOptions,
    evaluate,
    grade,
    read_judgments,
    read_queries,
    read_units,
)
from indexer.search.evaluation import fold

EVAL = Path(__file__).resolve().parent / "data" / "eval"

UNITS = {
    "a": fold("推动外贸质升量稳。加强进出口信贷和出口信保支持，优化跨境结算、汇率风险管理等服务。"),
    "b": fold("积极有效利用外资。出台外商投资法实施条例，不断优化外商投资环境。"),
    "c": fold("（五）扩大高水平对外开放"),
    "z": fold("深化国有企业改革，持续优化国有经济布局。"),
}


def ideal_dcg(*grades: int) -> float:
    return sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(grades))


def test_a_result_earns_the_grade_of_the_judged_passage_it_overlaps_once() -> None:
    judged = {"a": 2, "b": 1, "c": 1, "z": 0}
    results = [
        "加强进出口信贷和出口信保支持，优化跨境结算、汇率风险管理等服务。",  # most of a: grade 2
        "推动外贸质升量稳。加强进出口信贷和出口信保支持，优化跨境结算",  # a again: credited once, 0
        "今年经济工作千头万绪，要统筹兼顾、突出重点。",  # overlaps nothing: unjudged
        "（五） 扩大高水平对外开放",  # c, after NFKC and without white space: grade 1
        "深化国有企业改革，持续优化国有经济布局。",  # judged 0: judged, earns nothing
    ]
    report = grade({"q": results}, UNITS, {"q": judged})
    score = report.per_query["q"]
    dcg = 3 / math.log2(2) + 1 / math.log2(5)
    assert score.ndcg == pytest.approx(dcg / ideal_dcg(2, 1, 1, 0))
    assert score.precision == pytest.approx(2 / 10)
    assert score.reciprocal_rank == 1.0
    assert score.unjudged == 1
    assert report.mean == score


def test_a_half_overlap_counts_and_less_does_not() -> None:
    unit = "一二三四五六七八九十甲乙丙丁戊己"  # 16 characters: 9 runs of 8
    shared_five = unit[:12] + "子丑寅卯"  # shares runs 0–4 of unit's 9, of its own 9: 5 ≥ 4.5
    shared_four = unit[:11] + "子丑寅卯辰"  # shares runs 0–3: 4 < 4.5
    judged = {"u": 2}
    assert grade({"q": [shared_five]}, {"u": unit}, {"q": judged}).mean.ndcg == 1.0
    assert grade({"q": [shared_four]}, {"u": unit}, {"q": judged}).mean.unjudged == 1


def test_a_judged_query_without_results_scores_zero_and_counts_in_the_mean() -> None:
    report = grade({"q1": [UNITS["b"]]}, UNITS, {"q1": {"b": 2}, "q2": {"a": 2}})
    assert report.per_query["q2"].ndcg == 0.0
    assert report.mean.ndcg == pytest.approx(0.5)


def test_eval_over_the_fixture_runs_every_query_and_grades_its_top_ten(
    built_index: BuiltIndex, tmp_path: Path
) -> None:
    queries = read_queries(EVAL / "queries.jsonl")
    judgments = read_judgments(EVAL / "qrels.json")
    hits, report = evaluate(built_index.index, queries, judgments, read_units(EVAL / "units.jsonl"))
    assert list(hits) == ["e01", "e02", "e03"] and all(len(ranked) == 10 for ranked in hits.values())
    # e03 leaves out the 2017 record: none of its passages, though three are judged relevant.
    assert all("2017" not in hit.document.title for hit in hits["e03"])
    assert report.per_query["e02"].reciprocal_rank == 1.0
    assert all(score.ndcg > 0.5 for score in report.per_query.values()), report.per_query


def test_eval_command_prints_the_grade_of_the_run_it_writes(built_index: BuiltIndex, tmp_path: Path) -> None:
    environment = {"GOVSEARCH_INDEX_DIR": str(built_index.index_dir)}
    run_file = tmp_path / "run.jsonl"
    arguments = ["eval", str(EVAL / "queries.jsonl"), str(EVAL / "qrels.json")]
    arguments += ["--units", str(EVAL / "units.jsonl"), "--run", str(run_file), "--mode", "keyword"]
    result = CliRunner().invoke(app, arguments, env=environment)
    assert result.exit_code == 0, result.output
    run = {
        record["qid"]: [r["text"] for r in record["results"]] for record in map(json.loads, run_file.open())
    }
    report = grade(run, read_units(EVAL / "units.jsonl"), read_judgments(EVAL / "qrels.json"))
    printed = re.search(r"MEAN ndcg@10=([\d.]+) p@10=([\d.]+)", result.output)
    assert printed, result.output
    assert (float(printed.group(1)), float(printed.group(2))) == (
        round(report.mean.ndcg, 4),
        round(report.mean.precision, 3),
    )
    assert re.search(r"^e03 ndcg@10=[\d.]+ p@10=", result.output, re.MULTILINE)


def test_judged_chunk_ids_need_no_units_file(built_index: BuiltIndex, tmp_path: Path) -> None:
    first = built_index.index.search("国有企业改革", SearchOptions(k=1)).hits[0]
    qrels = tmp_path / "qrels.json"
    qrels.write_text(json.dumps({"e02": {first.chunk.chunk_id: 2}}), encoding="utf-8")
    environment = {"GOVSEARCH_INDEX_DIR": str(built_index.index_dir)}
    result = CliRunner().invoke(app, ["eval", str(EVAL / "queries.jsonl"), str(qrels)], env=environment)
    assert result.exit_code == 0, result.output
    assert "e02 ndcg@10=1.000 p@10=0.10 mrr=1.00" in result.output


def test_an_exclusion_that_names_no_document_is_an_error(built_index: BuiltIndex, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(json.dumps({"qid": "e01", "query": "外贸", "exclude_doc": "nothing.txt"}) + "\n")
    with pytest.raises(InvalidInput, match="names no indexed document"):
        evaluate(built_index.index, read_queries(queries), read_judgments(EVAL / "qrels.json"))


def load_grader(eval_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("grade", eval_dir / "grade.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.shared
def test_grading_equals_the_dev_grader_exactly_on_the_same_run() -> None:
    """A run made of the dev set's own passages, cut, shifted, repeated and mixed with unjudged ones."""
    eval_dir = shared_dir() / "eval"
    grader = load_grader(eval_dir)
    units, qrels = grader.load(eval_dir / "dev_units.jsonl", eval_dir / "dev_qrels.json")
    raw = {
        str(u["uid"]): u["text"]
        for u in map(json.loads, (eval_dir / "dev_units.jsonl").open(encoding="utf-8"))
    }
    unjudged = [text for uid, text in raw.items() if not any(uid in judged for judged in qrels.values())]
    run = {}
    for number, (qid, judged) in enumerate(qrels.items()):
        uids = sorted(judged)[number % 3 :: 2]
        results = [raw[uid][number % 7 :] for uid in uids[:6]] + [raw[uids[0]], unjudged[number]]
        run[qid] = [{"text": text} for text in results[number % 4 :] + results[: number % 4]]
    _, expected = grader.grade_run(run, units, qrels)
    ours = grade(
        {qid: [r["text"] for r in results] for qid, results in run.items()},
        read_units(eval_dir / "dev_units.jsonl"),
        read_judgments(eval_dir / "dev_qrels.json"),
    )
    assert (ours.mean.ndcg, ours.mean.precision, ours.mean.reciprocal_rank, ours.mean.unjudged) == (
        expected["ndcg"],
        expected["p"],
        expected["mrr"],
        expected["unjudged"],
    )
    assert 0.2 < ours.mean.ndcg < 0.95 and ours.mean.unjudged > 0


@pytest.mark.shared
@pytest.mark.slow
def test_eval_of_the_dev_set_equals_the_dev_grader_on_the_run_it_returns(corpus_index: Index) -> None:
    eval_dir = shared_dir() / "eval"
    grader = load_grader(eval_dir)
    units, qrels = grader.load(eval_dir / "dev_units.jsonl", eval_dir / "dev_qrels.json")
    hits, ours = evaluate(
        corpus_index,
        read_queries(eval_dir / "dev_queries.jsonl"),
        read_judgments(eval_dir / "dev_qrels.json"),
        read_units(eval_dir / "dev_units.jsonl"),
    )
    run = {qid: [{"text": hit.chunk.text} for hit in ranked] for qid, ranked in hits.items()}
    _, expected = grader.grade_run(run, units, qrels)
    assert (ours.mean.ndcg, ours.mean.precision, ours.mean.unjudged) == (
        expected["ndcg"],
        expected["p"],
        expected["unjudged"],
    )
    assert ours.mean.ndcg >= 0.87
