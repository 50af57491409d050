"""The saved phrase bank: entries, listing, and exact CSV/JSON export and import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.bank.store import ImportReport, PhraseBank
from indexer.errors import InvalidInput, UnknownBankEntry


@pytest.fixture
def bank(tmp_path: Path) -> PhraseBank:
    """A bank with entries whose notes and tags need quoting and escaping in CSV."""
    bank = PhraseBank(tmp_path / "bank.sqlite")
    bank.create("精准招商", ["招商", "方法"], '带逗号，"引号" 和\n换行', "c-1")
    bank.create("以商招商", ["招商"], "", None)
    bank.create("苦干实干、勇毅前行、接续奋斗", ["四字格", "作风"], "  前后空格  ", "c-2")
    bank.create("优化营商环境", (), "营商环境的动宾搭配", None)
    return bank


def test_an_entry_is_created_read_and_listed(bank: PhraseBank) -> None:
    entry = bank.create("  强链补链 ", ["产业链", " 招商 ", "产业链"], "笔记", "chunk-9")
    assert (entry.phrase, entry.tags, entry.note, entry.source_chunk_id) == (
        "强链补链",
        ("产业链", "招商"),
        "笔记",
        "chunk-9",
    )
    assert entry.created == entry.updated
    assert entry.created.utcoffset() is not None
    assert bank.get(entry.id) == entry
    assert bank.list(limit=1).entries == (entry,)


def test_listing_filters_by_tag_and_text_and_pages(bank: PhraseBank) -> None:
    assert [entry.phrase for entry in bank.list(tag="招商").entries] == ["以商招商", "精准招商"]
    assert [entry.phrase for entry in bank.list(query="营商").entries] == ["优化营商环境"]
    assert [entry.phrase for entry in bank.list(query="引号").entries] == ["精准招商"]  # found in the note
    assert [entry.phrase for entry in bank.list(tag="招商", query="精准").entries] == ["精准招商"]
    page = bank.list(limit=3, offset=3)
    assert (page.total, [entry.phrase for entry in page.entries]) == (4, ["精准招商"])
    assert bank.list(tag="无此标签").total == 0
    with pytest.raises(InvalidInput):
        bank.list(limit=0)


def test_an_update_changes_only_the_given_fields(bank: PhraseBank) -> None:
    entry = bank.list(query="精准招商").entries[0]
    updated = bank.update(entry.id, note="新笔记")
    assert (updated.phrase, updated.tags, updated.note, updated.source_chunk_id) == (
        entry.phrase,
        entry.tags,
        "新笔记",
        "c-1",
    )
    assert updated.created == entry.created and updated.updated >= entry.updated
    cleared = bank.update(entry.id, tags=["新标签"], source_chunk_id=None)
    assert (cleared.tags, cleared.source_chunk_id, cleared.note) == (("新标签",), None, "新笔记")
    assert bank.get(entry.id) == cleared


def test_a_phrase_is_kept_once(bank: PhraseBank) -> None:
    with pytest.raises(InvalidInput, match="already in the bank"):
        bank.create("以商招商")
    other = bank.list(query="优化营商环境").entries[0]
    with pytest.raises(InvalidInput, match="already in the bank"):
        bank.update(other.id, phrase="以商招商")


def test_unknown_entries_are_reported(bank: PhraseBank) -> None:
    for action in (lambda: bank.get(999), lambda: bank.update(999, note="x"), lambda: bank.delete(999)):
        with pytest.raises(UnknownBankEntry):
            action()


def test_a_deleted_entry_is_gone(bank: PhraseBank) -> None:
    entry = bank.list(query="以商招商").entries[0]
    bank.delete(entry.id)
    assert bank.list().total == 3
    with pytest.raises(UnknownBankEntry):
        bank.get(entry.id)


@pytest.mark.parametrize(
    "value",
    ["", "   ", "x" * 201, "两行\n短语"],
)
def test_a_phrase_must_be_one_short_line(bank: PhraseBank, value: str) -> None:
    with pytest.raises(InvalidInput):
        bank.create(value)


@pytest.mark.parametrize("tags", [["a;b"], ["x" * 41]])
def test_tags_that_cannot_round_trip_are_refused(bank: PhraseBank, tags: list[str]) -> None:
    with pytest.raises(InvalidInput):
        bank.create("新短语", tags)


@pytest.mark.parametrize("form", ["csv", "json"])
def test_export_then_import_restores_the_bank_exactly(bank: PhraseBank, tmp_path: Path, form: str) -> None:
    bank.delete(bank.list(query="以商招商").entries[0].id)  # a gap in the ids must survive
    exported = bank.export_csv() if form == "csv" else bank.export_json()
    restored = PhraseBank(tmp_path / "restored.sqlite")
    report = restored.import_csv(exported) if form == "csv" else restored.import_json(exported)
    assert report == ImportReport(imported=3, unchanged=0)
    assert restored.entries() == bank.entries()
    # Importing the same export again finds every entry as it is: nothing is written.
    again = restored.import_csv(exported) if form == "csv" else restored.import_json(exported)
    assert again == ImportReport(imported=0, unchanged=3)
    assert restored.entries() == bank.entries()


def test_the_csv_export_is_readable_by_people(bank: PhraseBank) -> None:
    lines = bank.export_csv().splitlines()
    assert lines[0] == "id,phrase,tags,note,source_chunk_id,created,updated"
    assert lines[1].startswith('1,精准招商,招商;方法,"带逗号，""引号"" 和')


def test_a_hand_written_csv_needs_only_phrases(bank: PhraseBank) -> None:
    text = "\ufeffphrase,tags\n强链补链,产业链;招商\n飞地经济,\n"
    assert bank.import_csv(text) == ImportReport(imported=2, unchanged=0)
    entry = bank.list(query="强链补链").entries[0]
    assert (entry.id, entry.tags, entry.note, entry.source_chunk_id) == (5, ("产业链", "招商"), "", None)
    # Again: the phrases are there as the file has them (no times in it to compare), so nothing changes.
    before = bank.entries()
    assert bank.import_csv(text) == ImportReport(imported=0, unchanged=2)
    assert bank.entries() == before


def test_an_import_replaces_only_what_changed(bank: PhraseBank) -> None:
    exported = json.loads(bank.export_json())
    exported["entries"][1]["note"] = "新笔记"
    assert bank.import_json(json.dumps(exported)) == ImportReport(imported=1, unchanged=3)
    assert bank.get(exported["entries"][1]["id"]).note == "新笔记"


HEADER = "id,phrase,tags,note,source_chunk_id,created,updated\n"
GOOD_ROW = "7,招大引强,招商,,,2024-01-02T03:04:05+00:00,2024-01-02T03:04:05+00:00\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + GOOD_ROW + "8,,招商,,,,\n", "CSV row 3: phrase"),
        (HEADER + GOOD_ROW + "abc,驻点招商,,,,,\n", "CSV row 3: id must be a positive whole number"),
        (HEADER + GOOD_ROW + "²,驻点招商,,,,,\n", "CSV row 3: id must be a positive whole number"),
        (HEADER + GOOD_ROW + "0,驻点招商,,,,,\n", "CSV row 3: id must be a positive whole number"),
        (HEADER + GOOD_ROW + f"{2**63},驻点招商,,,,,\n", "CSV row 3: id must be a positive whole number"),
        (HEADER + GOOD_ROW + "8,驻点招商,,,,昨天,\n", "CSV row 3: '昨天' is not an ISO 8601 time"),
        (HEADER + GOOD_ROW + "8,驻点招商,,,,2024-01-02T03:04:05,\n", "CSV row 3: time"),
        (HEADER + GOOD_ROW + "8,招大引强,,,,,\n", "CSV row 3: phrase '招大引强' repeats CSV row 2"),
        (HEADER + GOOD_ROW + "7,驻点招商,,,,,\n", "CSV row 3: id 7 repeats CSV row 2"),
        (HEADER + GOOD_ROW + "8,驻点招商,,,,,,多出一格\n", "CSV row 3: more cells than columns"),
        (HEADER + GOOD_ROW + "8,以商招商,,,,,\n", "CSV row 3: '以商招商' is already in the bank as entry 2"),
        (
            HEADER + "8,驻点招商,,,,2024-02-01T00:00:00+00:00,2024-01-01T00:00:00+00:00\n",
            "CSV row 2: updated must not be before created",
        ),
        ("短语,标签\n驻点招商,招商\n", "CSV header must name the columns"),
    ],
)
def test_a_bad_csv_is_refused_with_its_row_and_imports_nothing(
    bank: PhraseBank, text: str, message: str
) -> None:
    before = bank.entries()
    with pytest.raises(InvalidInput) as raised:
        bank.import_csv(text)
    assert message in str(raised.value)
    assert bank.entries() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ('{"entries": {}}', '"entries" list'),
        (json.dumps({"entries": [{"phrase": "驻点招商"}, "短语"]}), "JSON entry 2: not an object"),
        (json.dumps({"entries": [{"phrase": "驻点招商", "tags": "招商"}]}), "JSON entry 1: tags"),
    ],
)
def test_a_bad_json_is_refused_and_imports_nothing(bank: PhraseBank, text: str, message: str) -> None:
    before = bank.entries()
    with pytest.raises(InvalidInput) as raised:
        bank.import_json(text)
    assert message in str(raised.value)
    assert bank.entries() == before


def test_links_are_checked_against_the_passages_given(bank: PhraseBank) -> None:
    passages = {"c-1", "c-2", "c-3"}
    checked = PhraseBank(bank.path, passages.__contains__)
    with pytest.raises(InvalidInput, match="source_chunk_id 'c-9' is not a passage of the index"):
        checked.create("新短语", source_chunk_id="c-9")
    assert checked.create("新短语", source_chunk_id="c-3").source_chunk_id == "c-3"
    first = checked.list(query="精准招商").entries[0]
    with pytest.raises(InvalidInput, match="'c-9'"):
        checked.update(first.id, source_chunk_id="c-9")
    # A link the entry already has is not checked again (its passage may have been deleted since).
    passages.discard("c-1")
    assert checked.update(first.id, note="新笔记").source_chunk_id == "c-1"
    row = f"{first.id},精准招商,,,c-1,,\n"
    assert checked.import_csv(HEADER + row) == ImportReport(imported=1, unchanged=0)
    with pytest.raises(InvalidInput, match="CSV row 2: source_chunk_id 'c-9'"):
        checked.import_csv(HEADER + "99,新的短语,,,c-9,,\n")


def test_the_bank_survives_reopening(bank: PhraseBank) -> None:
    assert PhraseBank(bank.path).entries() == bank.entries()
