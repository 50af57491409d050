"""`govsearch phrases` and `govsearch bank …`, in-process over the small real index and a fresh bank."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from index_fixture import BuiltIndex
from typer.testing import CliRunner

from cli.main import app

TOPIC = "招商引资"
Invoke = Callable[..., Result]


@pytest.fixture
def environment(built_index: BuiltIndex, model_dir: Path, tmp_path: Path) -> dict[str, str]:
    """The index under test and an empty bank of this test's own."""
    return {
        "GOVSEARCH_INDEX_DIR": str(built_index.index_dir),
        "GOVSEARCH_MODEL_DIR": str(model_dir),
        "GOVSEARCH_BANK_FILE": str(tmp_path / "bank.sqlite"),
        "GOVSEARCH_DEVICE": "cpu",
    }


@pytest.fixture
def govsearch(environment: dict[str, str]) -> Invoke:
    """Run `govsearch ARGUMENTS…` in-process with that environment."""
    runner = CliRunner()

    def invoke(*arguments: str) -> Result:
        return runner.invoke(app, list(arguments), env=environment)

    return invoke


# --- phrases ---------------------------------------------------------------------------------------------


def test_topic_phrases_as_json_are_the_librarys(govsearch: Invoke, built_index: BuiltIndex) -> None:
    result = govsearch("phrases", TOPIC, "--k", "6", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    expected = built_index.index.topic_phrases(TOPIC, 6)
    assert body["query"] == TOPIC
    assert [item["phrase"] for item in body["phrases"]] == [phrase.phrase for phrase in expected]
    for item, phrase in zip(body["phrases"], expected, strict=True):
        assert item["score"] == pytest.approx(phrase.score)
        assert (item["count"], item["doc_count"]) == (phrase.count, phrase.doc_count)
        assert item["examples"] == [
            {"chunk_id": example.chunk_id, "doc_id": example.doc_id, "sentence": example.sentence}
            for example in phrase.examples
        ]


def test_topic_phrases_as_text_list_each_with_its_examples(
    govsearch: Invoke, built_index: BuiltIndex
) -> None:
    result = govsearch("phrases", TOPIC, "-k", "3")
    assert result.exit_code == 0, result.output
    expected = built_index.index.topic_phrases(TOPIC, 3)
    for rank, phrase in enumerate(expected, 1):
        assert f"{rank:2d}. {phrase.phrase}  score {phrase.score:.3f}" in result.output
        for example in phrase.examples:
            assert f"    · {example.sentence}\n      [{example.chunk_id}]" in result.output


def test_mined_phrases(govsearch: Invoke) -> None:
    as_json = govsearch("phrases", "--mined", "--limit", "12", "--json")
    assert as_json.exit_code == 0, as_json.output
    phrases = json.loads(as_json.stdout)["phrases"]
    assert 0 < len(phrases) <= 12
    assert all(item["doc_count"] >= 2 for item in phrases)
    assert {"phrase": "服务贸易", "kind": "ngram", "doc_count": 4} in [
        {key: item[key] for key in ("phrase", "kind", "doc_count")} for item in phrases
    ]
    # 各位代表 opens all five reports, but it is procedure: never offered.
    assert "各位代表" not in [item["phrase"] for item in phrases]
    as_text = govsearch("phrases", "--mined", "--limit", "12", "--min-docs", "4")
    assert as_text.exit_code == 0, as_text.output
    assert "服务贸易  ngram, 4 documents" in as_text.output


@pytest.mark.parametrize(
    "arguments", [("phrases",), ("phrases", TOPIC, "--mined"), ("phrases", TOPIC, "--k", "0")]
)
def test_phrases_needs_a_query_or_mined_not_both(govsearch: Invoke, arguments: tuple[str, ...]) -> None:
    assert govsearch(*arguments).exit_code == 2


def test_phrases_without_an_index_says_how_to_build_one(environment: dict[str, str], tmp_path: Path) -> None:
    missing = {**environment, "GOVSEARCH_INDEX_DIR": str(tmp_path / "nothing-here")}
    result = CliRunner().invoke(app, ["phrases", TOPIC], env=missing)
    assert result.exit_code == 1
    assert "govsearch index" in result.output


# --- the bank --------------------------------------------------------------------------------------------


def test_add_list_edit_and_remove(govsearch: Invoke) -> None:
    added = govsearch(
        "bank", "add", "精准招商", "--tag", "招商引资", "-t", "方法", "--note", "常用", "--chunk", "c-1"
    )
    assert added.exit_code == 0, added.output
    assert added.output == "added 1: 精准招商\n"
    assert govsearch("bank", "add", "以商招商", "-t", "招商引资").exit_code == 0
    assert govsearch("bank", "add", "苦干实干、勇毅前行、接续奋斗", "-t", "四字格").exit_code == 0

    listed = govsearch("bank", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "   3  苦干实干、勇毅前行、接续奋斗  [四字格]",
        "   2  以商招商  [招商引资]",
        "   1  精准招商  [招商引资, 方法]  — 常用",
        "3 of 3 entries",
    ]
    by_tag = json.loads(govsearch("bank", "list", "--tag", "招商引资", "--json").stdout)
    assert by_tag["total"] == 2
    assert [entry["phrase"] for entry in by_tag["entries"]] == ["以商招商", "精准招商"]
    assert by_tag["entries"][1]["source_chunk_id"] == "c-1"
    by_text = json.loads(govsearch("bank", "list", "-q", "常用", "--json").stdout)
    assert [entry["phrase"] for entry in by_text["entries"]] == ["精准招商"]

    edited = govsearch("bank", "edit", "1", "--note", "新笔记", "--no-chunk", "--tag", "招商")
    assert edited.exit_code == 0, edited.output
    entry = json.loads(govsearch("bank", "list", "-q", "精准", "--json").stdout)["entries"][0]
    assert (entry["note"], entry["source_chunk_id"], entry["tags"]) == ("新笔记", None, ["招商"])

    removed = govsearch("bank", "rm", "2")
    assert removed.exit_code == 0, removed.output
    assert [entry["id"] for entry in json.loads(govsearch("bank", "list", "--json").stdout)["entries"]] == [
        3,
        1,
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("bank", "add", "精准招商"), "'精准招商' is already in the bank as entry 1"),
        (("bank", "add", "两行\n短语"), "phrase must be one line"),
        (("bank", "add", "新短语", "--tag", "a;b"), "tag 'a;b'"),
        (("bank", "rm", "99"), "no phrase-bank entry with id 99"),
        (("bank", "edit", "99", "--note", "x"), "no phrase-bank entry with id 99"),
    ],
)
def test_bank_errors_exit_1_with_the_reason(
    govsearch: Invoke, arguments: tuple[str, ...], message: str
) -> None:
    assert govsearch("bank", "add", "精准招商").exit_code == 0
    result = govsearch(*arguments)
    assert result.exit_code == 1, result.output
    assert f"error: {message}" in result.output


@pytest.mark.parametrize(
    "arguments", [("bank", "edit", "1"), ("bank", "edit", "1", "--chunk", "c-2", "--no-chunk")]
)
def test_an_edit_that_changes_nothing_or_contradicts_itself_is_a_usage_error(
    govsearch: Invoke, arguments: tuple[str, ...]
) -> None:
    assert govsearch("bank", "add", "精准招商").exit_code == 0
    assert govsearch(*arguments).exit_code == 2


@pytest.mark.parametrize("form", ["csv", "json"])
def test_export_then_import_restores_the_bank_exactly(
    govsearch: Invoke, environment: dict[str, str], tmp_path: Path, form: str
) -> None:
    for phrase, note in [("精准招商", '带逗号，"引号"'), ("以商招商", ""), ("飞地经济", "多行\n笔记")]:
        assert govsearch("bank", "add", phrase, "--note", note, "-t", "招商引资").exit_code == 0
    assert govsearch("bank", "rm", "2").exit_code == 0  # a gap in the ids survives
    exported = tmp_path / f"bank.{form}"
    result = govsearch("bank", "export", "--format", form, "--output", str(exported))
    assert result.exit_code == 0, result.output
    printed = govsearch("bank", "export", "--format", form)
    assert printed.stdout == exported.read_text(encoding="utf-8")
    assert exported.read_bytes().startswith(b"\xef\xbb\xbf" if form == "csv" else b"{")

    restored = {**environment, "GOVSEARCH_BANK_FILE": str(tmp_path / "restored.sqlite")}
    runner = CliRunner()
    imported = runner.invoke(app, ["bank", "import", str(exported)], env=restored)
    assert imported.exit_code == 0, imported.output
    assert (
        imported.output
        == f"imported 2 entries into {tmp_path / 'restored.sqlite'}, 0 already there unchanged\n"
    )
    again = runner.invoke(app, ["bank", "export", "--format", form], env=restored)
    assert again.stdout == printed.stdout


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.csv", "phrase,tags\n驻点招商,招商\n,空短语\n", "CSV row 3: phrase must be one line"),
        ("bad.csv", "短语,标签\n驻点招商,招商\n", "CSV header must name the columns"),
        ("bad.json", '{"entries": [{"phrase": "驻点招商"}, "短语"]}', "JSON entry 2: not an object"),
        ("bank.txt", "phrase\n驻点招商\n", "cannot tell the format of 'bank.txt'"),
    ],
)
def test_a_bad_file_imports_nothing_and_exits_1(
    govsearch: Invoke, tmp_path: Path, name: str, content: str, message: str
) -> None:
    assert govsearch("bank", "add", "精准招商").exit_code == 0
    before = govsearch("bank", "export", "--format", "json").stdout
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = govsearch("bank", "import", str(path))
    assert result.exit_code == 1, result.output
    assert f"error: {message}" in result.output
    assert govsearch("bank", "export", "--format", "json").stdout == before


def test_a_file_of_another_name_imports_with_its_format_given(govsearch: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "素材.txt"
    path.write_text("phrase,tags\n强链补链,产业链;招商\n", encoding="utf-8")
    result = govsearch("bank", "import", str(path), "--format", "csv")
    assert result.exit_code == 0, result.output
    entries = json.loads(govsearch("bank", "list", "--json").stdout)["entries"]
    assert [(entry["phrase"], entry["tags"]) for entry in entries] == [("强链补链", ["产业链", "招商"])]
    assert govsearch("bank", "import", str(tmp_path / "absent.csv")).exit_code == 2
