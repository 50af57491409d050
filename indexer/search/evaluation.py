"""Retrieval quality on a user's own judgments, graded exactly as ../shared/eval/grade.py grades a run.

A returned passage earns the grade of a judged reference passage it overlaps: shared 8-character runs
(after NFKC and without white space) covering at least half of the shorter of the two texts. Each judged
passage is credited once per query, so near-copies earn nothing; a passage overlapping no judged one is
`unjudged` and scores 0. Matching by text, not by id, lets judgments outlive re-chunking and other systems.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from indexer.errors import InvalidInput
from indexer.records import DocumentInfo, Filters, Hit
from indexer.search.searcher import SearchOptions, SearchPage

RUN_LENGTH = 8
DEPTH = 10

Judgments = dict[str, dict[str, int]]


@dataclass(frozen=True)
class EvalQuery:
    """One query of an evaluation set; `exclude` names a document its answers must not come from."""

    qid: str
    query: str
    exclude: str | None = None


@dataclass(frozen=True)
class QueryScore:
    """How one query's top results fared (a mean over queries has the same fields)."""

    ndcg: float
    precision: float
    reciprocal_rank: float
    mean_length: float
    unjudged: float


@dataclass(frozen=True)
class EvalReport:
    """Scores per query id (in the judgments' order) and their means."""

    per_query: dict[str, QueryScore]
    mean: QueryScore


class Searchable(Protocol):
    """What an evaluation needs from an index: searching, listing documents, reading a chunk."""

    def search(self, query: str, options: SearchOptions) -> SearchPage: ...

    def documents(self, filters: Filters, limit: int, offset: int) -> tuple[list[DocumentInfo], int]: ...

    def chunk(self, chunk_id: str, context: int = 1) -> Hit: ...


def evaluate(
    index: Searchable,
    queries: Sequence[EvalQuery],
    judgments: Judgments,
    units: Mapping[str, str] | None = None,
    options: SearchOptions | None = None,
) -> tuple[dict[str, list[Hit]], EvalReport]:
    """Run every query (top 10 after leaving out its `exclude`) and grade the run.

    Without `units`, the judged ids are chunk ids of this index and their texts the reference passages.
    """
    options = replace(options or SearchOptions(), k=DEPTH, offset=0)
    _, total = index.documents(Filters(), 0, 0)
    documents, _ = index.documents(Filters(), total, 0)
    excluded = {query.qid: excluded_documents(documents, query.exclude) for query in queries if query.exclude}
    if units is None:
        chunk_ids = {uid for judged in judgments.values() for uid in judged}
        units = {uid: fold(index.chunk(uid, 0).chunk.text) for uid in sorted(chunk_ids)}
    missing = sorted({uid for judged in judgments.values() for uid in judged} - set(units))
    if missing:
        raise InvalidInput(f"judged passages missing from the units: {', '.join(missing[:5])}")
    run = {}
    for query in queries:
        left_out = (*options.filters.exclude_doc_ids, *excluded.get(query.qid, ()))
        filters = replace(options.filters, exclude_doc_ids=left_out)
        run[query.qid] = index.search(query.query, replace(options, filters=filters)).hits
    texts = {qid: [hit.chunk.text for hit in hits] for qid, hits in run.items()}
    return run, grade(texts, units, judgments)


def excluded_documents(documents: Sequence[DocumentInfo], exclude: str) -> tuple[str, ...]:
    """Ids of the documents `exclude` names: a document id, a file name, or `file#…:title` for one record
    of a JSONL file (the dev set's `government_work_reports.jsonl#6:2022年…政府工作报告`)."""
    name, _, rest = exclude.partition("#")
    _, colon, title = rest.partition(":")
    found = tuple(
        document.doc_id
        for document in documents
        if document.doc_id == exclude
        or (Path(document.source).name == name and (not colon or document.title == title))
    )
    if not found:
        raise InvalidInput(f"exclude_doc {exclude!r} names no indexed document")
    return found


def fold(text: str) -> str:
    """The grader's normal form: NFKC, every white space removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def runs(text: str) -> set[str]:
    """The text's 8-character runs; a shorter text is one run of itself."""
    return {text[i : i + RUN_LENGTH] for i in range(max(1, len(text) - RUN_LENGTH + 1))}


def gain(grade: int, rank: int) -> float:
    return (2**grade - 1) / math.log2(rank + 2)


def grade_query(
    results: Sequence[str], judged: Mapping[str, int], units: Mapping[str, str], depth: int = DEPTH
) -> QueryScore:
    """nDCG, precision (grade ≥ 1), reciprocal rank, mean length and unjudged count of one ranked list."""
    unit_runs = {uid: runs(units[uid]) for uid in judged}
    holders: dict[str, set[str]] = defaultdict(set)
    for uid, unit in unit_runs.items():
        for run in unit:
            holders[run].add(uid)
    credited: set[str] = set()
    grades: list[int] = []
    lengths: list[int] = []
    unjudged = 0
    for text in results[:depth]:
        folded = fold(text)
        lengths.append(len(folded))
        result_runs = runs(folded)
        shared: dict[str, int] = defaultdict(int)
        for run in result_runs:
            for uid in holders.get(run, ()):
                shared[uid] += 1
        best, best_uid, overlaps = 0, None, False
        for uid, count in shared.items():
            if count >= 0.5 * min(len(result_runs), len(unit_runs[uid])):
                overlaps = True
                if uid not in credited and judged[uid] > best:
                    best, best_uid = judged[uid], uid
        unjudged += not overlaps
        if best_uid is not None:
            credited.add(best_uid)
        grades.append(best)
    ideal = sum(gain(grade, rank) for rank, grade in enumerate(sorted(judged.values(), reverse=True)[:depth]))
    dcg = sum(gain(grade, rank) for rank, grade in enumerate(grades))
    return QueryScore(
        ndcg=dcg / ideal if ideal else 0.0,
        precision=sum(grade >= 1 for grade in grades) / depth,
        reciprocal_rank=next((1 / (rank + 1) for rank, grade in enumerate(grades) if grade >= 1), 0.0),
        mean_length=sum(lengths) / len(lengths) if lengths else 0,
        unjudged=unjudged,
    )


def grade(
    run: Mapping[str, Sequence[str]], units: Mapping[str, str], judgments: Judgments, depth: int = DEPTH
) -> EvalReport:
    """Every judged query graded (one with no results scores 0); means summed in the judgments' order."""
    per_query = {
        qid: grade_query(run.get(qid, ()), judged, units, depth) for qid, judged in judgments.items()
    }
    scores = list(per_query.values())

    def mean(field: str) -> float:
        return sum(getattr(score, field) for score in scores) / len(scores) if scores else 0.0

    return EvalReport(per_query, QueryScore(*(mean(name) for name in QueryScore.__dataclass_fields__)))


def read_queries(path: Path) -> list[EvalQuery]:
    """JSONL of {"qid", "query", "exclude_doc"?}."""
    queries = []
    for number, record in enumerate(json_lines(path), 1):
        qid, query, exclude = record.get("qid"), record.get("query"), record.get("exclude_doc")
        if not isinstance(qid, str) or not isinstance(query, str) or not isinstance(exclude, str | None):
            raise InvalidInput(
                f"{path}, line {number}: a query needs strings 'qid', 'query' (and 'exclude_doc')"
            )
        queries.append(EvalQuery(qid, query, exclude or None))
    return queries


def read_judgments(path: Path) -> Judgments:
    """JSON {"qid": {"uid": grade}}: 2 highly relevant, 1 partially, 0 not relevant."""
    try:
        judgments = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidInput(f"cannot read judgments from {path}: {error}") from error
    if not isinstance(judgments, dict) or not all(
        isinstance(judged, dict) and all(isinstance(grade, int) for grade in judged.values())
        for judged in judgments.values()
    ):
        raise InvalidInput(f'{path}: judgments must be {{"qid": {{"uid": grade}}}} with integer grades')
    return {str(qid): {str(uid): grade for uid, grade in judged.items()} for qid, judged in judgments.items()}


def read_units(path: Path) -> dict[str, str]:
    """JSONL of reference passages {"uid", "text"}, folded as the grader folds them."""
    units = {}
    for number, record in enumerate(json_lines(path), 1):
        text = record.get("text")
        if "uid" not in record or not isinstance(text, str):
            raise InvalidInput(f"{path}, line {number}: a unit needs 'uid' and a string 'text'")
        units[str(record["uid"])] = fold(text)
    return units


def json_lines(path: Path) -> list[dict[str, object]]:
    """The JSON objects of a JSONL file, blank lines skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from error
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"{path}, line {number}: not JSON ({error.msg})") from error
        if not isinstance(record, dict):
            raise InvalidInput(f"{path}, line {number}: expected a JSON object")
        records.append(record)
    return records
