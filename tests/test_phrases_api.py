"""Topic phrases, mined phrases and the phrase bank through the real app over the small real index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_client import assert_error, client_for, settings_for
from fastapi.testclient import TestClient
from httpx import Response
from index_fixture import BuiltIndex

PASTED = "加大招商引资力度，积极承接产业转移，推动一批重大项目落地见效，持续优化外商投资环境。"
ENTRY_KEYS = {"id", "phrase", "tags", "note", "source_chunk_id", "created", "updated"}
# Stands for a real chunk id in ENTRIES: an entry may only link to a passage of the index.
PASSAGE = "<a passage of the index>"
# Notes and tags that need quoting in CSV, so the round trip is tested where it can break.
ENTRIES = [
    {
        "phrase": "精准招商",
        "tags": ["招商引资", "方法"],
        "note": '带逗号，"引号" 和\n换行',
        "source_chunk_id": PASSAGE,
    },
    {"phrase": "以商招商", "tags": ["招商引资"]},
    {"phrase": "苦干实干、勇毅前行、接续奋斗", "tags": ["四字格"], "note": "  前后空格  "},
    {"phrase": "优化营商环境", "note": "营商环境的动宾搭配"},
]
HEADER = "id,phrase,tags,note,source_chunk_id,created,updated\n"


@pytest.fixture(scope="module")
def client(
    built_index: BuiltIndex, model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """For the read-only phrase endpoints; its bank is never written."""
    bank_file = tmp_path_factory.mktemp("unused-bank") / "bank.sqlite"
    settings = settings_for(built_index.index_dir, model_dir, bank_file=bank_file)
    with client_for(built_index.index, settings) as test_client:
        yield test_client


@pytest.fixture
def bank_client(built_index: BuiltIndex, model_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    """An app with an empty bank of its own (the index is shared: the bank is a separate file)."""
    settings = settings_for(built_index.index_dir, model_dir, bank_file=tmp_path / "bank.sqlite")
    with client_for(built_index.index, settings) as test_client:
        yield test_client


def add(client: TestClient, entry: dict, headers: dict | None = None) -> Response:
    return client.post("/bank", json=entry, headers=headers)


def a_passage(client: TestClient) -> str:
    response = client.get("/search", params={"q": "招商引资", "k": 1})
    assert response.status_code == 200, response.text
    return str(response.json()["hits"][0]["chunk_id"])


def filled(client: TestClient) -> list[dict]:
    passage = a_passage(client)
    created = []
    for entry in ENTRIES:
        response = add(client, {**entry, "source_chunk_id": passage} if PASSAGE in entry.values() else entry)
        assert response.status_code == 201, response.text
        created.append(response.json())
    return created


def import_file(client: TestClient, name: str, data: bytes, **params: str) -> Response:
    return client.post("/bank/import", files=[("files", (name, data))], params=params)


def export(client: TestClient, form: str) -> Response:
    response = client.get("/bank/export", params={"format": form})
    assert response.status_code == 200, response.text
    return response


def years_of_documents(client: TestClient) -> dict[str, int]:
    listing = client.get("/documents", params={"limit": 200}).json()["documents"]
    return {document["doc_id"]: document["year"] for document in listing}


# --- topic phrases ---------------------------------------------------------------------------------------


def test_topic_phrases_shape_and_examples_from_real_passages(client: TestClient) -> None:
    response = client.get("/phrases", params={"q": "招商引资", "k": 8})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == "招商引资"
    phrases = body["phrases"]
    assert 0 < len(phrases) <= 8
    assert [item["score"] for item in phrases] == sorted((item["score"] for item in phrases), reverse=True)
    for item in phrases:
        assert set(item) == {"phrase", "score", "count", "doc_count", "examples"}
        assert item["count"] >= item["doc_count"] >= 1
        assert 1 <= len(item["examples"]) <= 3
        for example in item["examples"]:
            assert set(example) == {"chunk_id", "doc_id", "sentence"}
            assert item["phrase"] in example["sentence"]
            chunk = client.get(f"/chunks/{example['chunk_id']}", params={"context": 0}).json()
            assert chunk["document"]["doc_id"] == example["doc_id"]
            assert example["sentence"].strip("…") in chunk["chunk"]["text"]


def test_post_gives_the_same_phrases_and_takes_a_pasted_paragraph(client: TestClient) -> None:
    by_get = client.get("/phrases", params={"q": "招商引资", "k": 5}).json()
    by_post = client.post("/phrases", json={"q": "招商引资", "k": 5})
    assert by_post.status_code == 200, by_post.text
    assert by_post.json() == by_get
    pasted = client.post("/phrases", json={"q": PASTED, "k": 5, "year_from": 2000})
    assert pasted.status_code == 200, pasted.text
    assert pasted.json()["query"] == PASTED and pasted.json()["phrases"]


@pytest.mark.parametrize(
    ("params", "allowed"),
    [
        ({"year_from": 2024}, lambda year: year >= 2024),
        ({"year_to": 2008}, lambda year: year <= 2008),
    ],
)
def test_topic_phrases_come_only_from_the_filtered_documents(
    client: TestClient, params: dict, allowed
) -> None:
    years = years_of_documents(client)
    phrases = client.get("/phrases", params={"q": "招商引资", **params}).json()["phrases"]
    assert phrases
    assert all(allowed(years[example["doc_id"]]) for item in phrases for example in item["examples"])


def test_topic_phrases_with_no_matching_document_are_empty(client: TestClient) -> None:
    response = client.get("/phrases", params={"q": "招商引资", "level": "乡镇"})
    assert response.status_code == 200
    assert response.json() == {"query": "招商引资", "phrases": []}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"k": 0}, "k"),
        ({"k": 101}, "k"),
        ({"k": "二十"}, "k"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "招" * 5001}, "q"),
        ({"year_from": 2020, "year_to": 2010}, "year_to"),
        ({"level": "大队"}, "level"),
        ({"mode": "keyword"}, "mode"),
    ],
)
def test_topic_phrase_parameters_out_of_bounds(client: TestClient, params: dict, field: str) -> None:
    query = {"q": "招商引资", **params}
    assert_error(client.get("/phrases", params=query), 422, "invalid_parameter", field)
    assert_error(client.post("/phrases", json=query), 422, "invalid_parameter", field)


def test_topic_phrases_need_a_query(client: TestClient) -> None:
    assert_error(client.get("/phrases"), 422, "invalid_parameter", "q")


def test_a_topic_of_nothing_but_control_characters_is_empty(client: TestClient) -> None:
    for response in (
        client.get("/phrases", params={"q": "\x00\x01"}),
        client.post("/phrases", json={"q": "\u200b"}),
    ):
        assert assert_error(response, 422, "invalid_input") == "query is empty"


# --- mined phrases ---------------------------------------------------------------------------------------


def test_mined_phrases_are_used_by_several_documents(client: TestClient) -> None:
    response = client.get("/phrases/mined", params={"limit": 15})
    assert response.status_code == 200, response.text
    phrases = response.json()["phrases"]
    assert 0 < len(phrases) <= 15
    for item in phrases:
        assert set(item) == {"phrase", "score", "doc_count", "count", "kind"}
        assert item["doc_count"] >= 2 and item["count"] >= item["doc_count"]
        assert item["kind"] in {"ngram", "series", "list", "pattern", "pair"}
    assert [item["score"] for item in phrases] == sorted((item["score"] for item in phrases), reverse=True)
    # 各位代表 opens every one of the five reports, but it is procedure, not a formulation to borrow.
    names = [item["phrase"] for item in phrases]
    assert "以习近平同志为核心" in names
    assert [name for name in names if name in ("各位代表", "请予审议", "过去一年")] == []
    strict = client.get("/phrases/mined", params={"min_docs": 4, "limit": 1000}).json()["phrases"]
    assert strict and all(item["doc_count"] >= 4 for item in strict)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"min_docs": 0}, "min_docs"),
        ({"min_docs": 1_000_001}, "min_docs"),
        ({"min_docs": 2**63}, "min_docs"),  # beyond SQLite's integers: was a 500
        ({"top": 5}, "top"),
    ],
)
def test_mined_phrase_parameters_out_of_bounds(client: TestClient, params: dict, field: str) -> None:
    assert_error(client.get("/phrases/mined", params=params), 422, "invalid_parameter", field)


# --- the bank: create, read, list, update, delete -------------------------------------------------------


def test_an_entry_is_created_read_and_listed(bank_client: TestClient) -> None:
    response = add(
        bank_client, {"phrase": "  强链补链 ", "tags": ["产业链", " 招商 ", "产业链"], "note": "笔记"}
    )
    assert response.status_code == 201, response.text
    entry = response.json()
    assert set(entry) == ENTRY_KEYS
    assert (entry["phrase"], entry["tags"], entry["note"], entry["source_chunk_id"]) == (
        "强链补链",
        ["产业链", "招商"],
        "笔记",
        None,
    )
    assert entry["created"] == entry["updated"]
    assert bank_client.get(f"/bank/{entry['id']}").json() == entry
    assert bank_client.get("/bank").json() == {"total": 1, "offset": 0, "limit": 50, "entries": [entry]}


def test_listing_filters_by_tag_and_text_and_pages(bank_client: TestClient) -> None:
    filled(bank_client)

    def phrases(**params: object) -> list[str]:
        response = bank_client.get("/bank", params=params)
        assert response.status_code == 200, response.text
        return [entry["phrase"] for entry in response.json()["entries"]]

    assert phrases() == ["优化营商环境", "苦干实干、勇毅前行、接续奋斗", "以商招商", "精准招商"]
    assert phrases(tag="招商引资") == ["以商招商", "精准招商"]
    assert phrases(q="营商") == ["优化营商环境"]
    assert phrases(q="引号") == ["精准招商"]  # found in the note
    assert phrases(tag="招商引资", q="精准") == ["精准招商"]
    assert phrases(tag="无此标签") == []
    page = bank_client.get("/bank", params={"limit": 3, "offset": 3}).json()
    assert (page["total"], page["offset"], page["limit"]) == (4, 3, 3)
    assert [entry["phrase"] for entry in page["entries"]] == ["精准招商"]


def test_a_patch_changes_only_the_given_fields(bank_client: TestClient) -> None:
    entry = filled(bank_client)[0]
    response = bank_client.patch(f"/bank/{entry['id']}", json={"note": "新笔记"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated == {**entry, "note": "新笔记", "updated": updated["updated"]}
    assert updated["updated"] >= entry["updated"]
    unlinked = bank_client.patch(
        f"/bank/{entry['id']}", json={"tags": ["新标签"], "source_chunk_id": None}
    ).json()
    assert (unlinked["tags"], unlinked["source_chunk_id"], unlinked["note"]) == (["新标签"], None, "新笔记")
    assert bank_client.get(f"/bank/{entry['id']}").json() == unlinked


def test_a_deleted_entry_is_gone(bank_client: TestClient) -> None:
    entry = filled(bank_client)[1]
    assert bank_client.delete(f"/bank/{entry['id']}").status_code == 204
    assert_error(bank_client.get(f"/bank/{entry['id']}"), 404, "unknown_bank_entry")
    assert bank_client.get("/bank").json()["total"] == len(ENTRIES) - 1


def test_a_phrase_is_kept_once_409(bank_client: TestClient) -> None:
    first, second = filled(bank_client)[:2]
    message = assert_error(add(bank_client, {"phrase": "精准招商"}), 409, "duplicate_bank_entry")
    assert f"entry {first['id']}" in message
    renamed = bank_client.patch(f"/bank/{second['id']}", json={"phrase": "精准招商"})
    assert_error(renamed, 409, "duplicate_bank_entry")
    assert bank_client.get(f"/bank/{second['id']}").json() == second


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"note": "x"}), ("DELETE", None)])
def test_unknown_entries_are_404(bank_client: TestClient, method: str, body: dict | None) -> None:
    message = assert_error(bank_client.request(method, "/bank/999", json=body), 404, "unknown_bank_entry")
    assert message == "no phrase-bank entry with id 999"


def test_an_id_that_is_not_a_number_is_422(bank_client: TestClient) -> None:
    assert_error(bank_client.get("/bank/abc"), 422, "invalid_parameter", "entry_id")


@pytest.mark.parametrize(
    ("entry", "code", "field"),
    [
        ({"phrase": ""}, "invalid_parameter", "phrase"),
        ({"phrase": "   "}, "invalid_parameter", "phrase"),
        ({"phrase": "长" * 201}, "invalid_parameter", "phrase"),
        ({"phrase": "短语", "note": "长" * 5001}, "invalid_parameter", "note"),
        ({"phrase": "短语", "tags": "招商"}, "invalid_parameter", "tags"),
        ({"phrase": "短语", "colour": "红"}, "invalid_parameter", "colour"),
        ({"tags": ["招商"]}, "invalid_parameter", "phrase"),
        ({"phrase": "两行\n短语"}, "invalid_input", None),
        ({"phrase": "短语", "tags": ["a;b"]}, "invalid_input", None),
        ({"phrase": "短语", "tags": ["长" * 41]}, "invalid_input", None),
    ],
)
def test_entries_the_bank_refuses_are_422(
    bank_client: TestClient, entry: dict, code: str, field: str | None
) -> None:
    assert_error(add(bank_client, entry), 422, code, field)
    assert bank_client.get("/bank").json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 1_000_001}, "offset"),
        ({"offset": 2**63}, "offset"),  # beyond SQLite's integers: was a 500
        ({"tags": "x"}, "tags"),
    ],
)
def test_bank_listing_parameters_out_of_bounds(bank_client: TestClient, params: dict, field: str) -> None:
    assert_error(bank_client.get("/bank", params=params), 422, "invalid_parameter", field)


@pytest.mark.parametrize("entry_id", ["0", "-1", str(2**63), str(10**30)])
@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"note": "x"}), ("DELETE", None)])
def test_entry_ids_outside_sqlite_integers_are_422(
    bank_client: TestClient, method: str, body: dict | None, entry_id: str
) -> None:
    response = bank_client.request(method, f"/bank/{entry_id}", json=body)
    assert_error(response, 422, "invalid_parameter", "entry_id")


def test_the_largest_entry_id_is_merely_unknown(bank_client: TestClient) -> None:
    assert_error(bank_client.get(f"/bank/{2**63 - 1}"), 404, "unknown_bank_entry")


# --- links to passages -----------------------------------------------------------------------------------


def test_an_entry_links_only_to_a_passage_of_the_index(bank_client: TestClient) -> None:
    unknown = "0000000000000000"
    refused = add(bank_client, {"phrase": "精准招商", "source_chunk_id": unknown})
    message = assert_error(refused, 422, "invalid_input")
    assert message == f"source_chunk_id '{unknown}' is not a passage of the index"
    assert bank_client.get("/bank").json()["total"] == 0

    passage = a_passage(bank_client)
    entry = add(bank_client, {"phrase": "精准招商", "source_chunk_id": passage}).json()
    assert entry["source_chunk_id"] == passage
    relinked = bank_client.patch(f"/bank/{entry['id']}", json={"source_chunk_id": unknown})
    assert assert_error(relinked, 422, "invalid_input") == message
    row = f"9,以商招商,,,{unknown},,\n"
    imported = import_file(bank_client, "bank.csv", (HEADER + row).encode())
    assert assert_error(imported, 422, "invalid_input") == f"CSV row 2: {message}"
    assert bank_client.get("/bank").json()["entries"] == [entry]


# --- export and import -----------------------------------------------------------------------------------


def test_csv_export_is_an_excel_friendly_attachment(bank_client: TestClient) -> None:
    filled(bank_client)
    response = export(bank_client, "csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="phrasebank.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    assert "1,精准招商,招商引资;方法," in response.text
    assert export(bank_client, "csv").content == response.content  # the default is csv too
    default = bank_client.get("/bank/export")
    assert default.content == response.content


def test_json_export(bank_client: TestClient) -> None:
    created = filled(bank_client)
    response = export(bank_client, "json")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == 'attachment; filename="phrasebank.json"'
    document = response.json()
    assert (document["format"], document["version"]) == ("govsearch-phrasebank", 1)
    assert [entry["phrase"] for entry in document["entries"]] == [entry["phrase"] for entry in created]


@pytest.mark.parametrize("form", ["csv", "json"])
def test_export_then_import_through_http_restores_the_bank_exactly(
    bank_client: TestClient, built_index: BuiltIndex, model_dir: Path, tmp_path: Path, form: str
) -> None:
    created = filled(bank_client)
    assert bank_client.delete(f"/bank/{created[1]['id']}").status_code == 204  # a gap in the ids survives
    exported = export(bank_client, form)
    settings = settings_for(built_index.index_dir, model_dir, bank_file=tmp_path / "restored.sqlite")
    with client_for(built_index.index, settings) as restored:
        response = import_file(restored, f"phrasebank.{form}", exported.content)
        assert response.status_code == 200, response.text
        assert response.json() == {"imported": len(ENTRIES) - 1, "unchanged": 0}
        assert export(restored, form).content == exported.content
        assert (
            restored.get("/bank", params={"limit": 500}).json()
            == bank_client.get("/bank", params={"limit": 500}).json()
        )
        # The same file again finds every entry as it is: nothing is written, and the answer says so.
        again = import_file(restored, f"phrasebank.{form}", exported.content)
        assert again.json() == {"imported": 0, "unchanged": len(ENTRIES) - 1}
        assert export(restored, form).content == exported.content


def test_a_csv_saved_by_excel_in_gbk_imports(bank_client: TestClient) -> None:
    data = "phrase,tags,note\n强链补链,产业链;招商,补齐短板\n飞地经济,,\n".encode("gb18030")
    response = import_file(bank_client, "素材.csv", data)
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": 2, "unchanged": 0}
    entries = bank_client.get("/bank").json()["entries"]
    assert [(entry["phrase"], entry["tags"], entry["note"]) for entry in entries] == [
        ("飞地经济", [], ""),
        ("强链补链", ["产业链", "招商"], "补齐短板"),
    ]


GOOD_ROW = "7,招大引强,招商,,,2024-01-02T03:04:05+00:00,2024-01-02T03:04:05+00:00\n"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bad.csv", HEADER + GOOD_ROW + "8,,招商,,,,\n", "CSV row 3: phrase"),
        (
            "bad.csv",
            HEADER + GOOD_ROW + "abc,驻点招商,,,,,\n",
            "CSV row 3: id must be a positive whole number",
        ),
        ("bad.csv", HEADER + GOOD_ROW + "8,驻点招商,,,,昨天,\n", "CSV row 3: '昨天' is not an ISO 8601 time"),
        (
            "bad.csv",
            HEADER + GOOD_ROW + "8,招大引强,,,,,\n",
            "CSV row 3: phrase '招大引强' repeats CSV row 2",
        ),
        (
            "bad.csv",
            HEADER + GOOD_ROW + "8,精准招商,,,,,\n",
            "CSV row 3: '精准招商' is already in the bank as entry 1",
        ),
        ("bad.csv", "短语,标签\n驻点招商,招商\n", "CSV header must name the columns"),
        ("bad.csv", "", "CSV header must name the columns"),
        ("bad.json", "{not json", "not JSON"),
        (
            "bad.json",
            json.dumps({"entries": [{"phrase": "驻点招商"}, "短语"]}),
            "JSON entry 2: not an object",
        ),
        ("bank.txt", HEADER + GOOD_ROW, "name it .csv or .json"),
        (
            "big.csv",
            HEADER + GOOD_ROW + f"{2**63},驻点招商,,,,,\n",  # beyond SQLite's integers: was a 500
            "CSV row 3: id must be a positive whole number of at most 9223372036854775807",
        ),
    ],
)
def test_a_bad_file_is_422_with_its_row_and_imports_nothing(
    bank_client: TestClient, name: str, data: str, message: str
) -> None:
    filled(bank_client)
    before = export(bank_client, "json").content
    error = assert_error(import_file(bank_client, name, data.encode()), 422, "invalid_input")
    assert message in error
    assert export(bank_client, "json").content == before


def test_the_format_may_be_given_for_any_file_name(bank_client: TestClient) -> None:
    response = import_file(bank_client, "素材.txt", (HEADER + GOOD_ROW).encode(), format="csv")
    assert response.json() == {"imported": 1, "unchanged": 0}
    assert bank_client.get("/bank/7").json()["phrase"] == "招大引强"
    assert_error(
        bank_client.get("/bank/export", params={"format": "xml"}), 422, "invalid_parameter", "format"
    )
    assert_error(
        import_file(bank_client, "a.csv", b"phrase\n", format="xml"), 422, "invalid_parameter", "format"
    )


def test_import_needs_one_text_file_in_a_multipart_body(bank_client: TestClient) -> None:
    plain = bank_client.post("/bank/import", content=b"phrase\n", headers={"content-type": "text/csv"})
    assert_error(plain, 415, "unsupported_media_type")
    no_file = bank_client.post("/bank/import", files={"note": (None, "a form field, not a file")})
    assert_error(no_file, 422, "invalid_parameter", "files")
    two = bank_client.post(
        "/bank/import", files=[("files", ("a.csv", b"phrase\n")), ("files", ("b.csv", b"phrase\n"))]
    )
    assert_error(two, 422, "invalid_parameter", "files")
    binary = import_file(bank_client, "bank.csv", b"\x00\x01\x02\xff" * 100)
    assert_error(binary, 415, "unsupported_file")
    assert bank_client.get("/bank").json()["total"] == 0


def test_an_import_above_the_upload_limit_is_413(
    built_index: BuiltIndex, model_dir: Path, tmp_path: Path
) -> None:
    settings = settings_for(
        built_index.index_dir, model_dir, bank_file=tmp_path / "bank.sqlite", max_upload_bytes=2000
    )
    with client_for(built_index.index, settings) as client:
        rows = "".join(f"招商短语{number}\n" for number in range(300))
        assert_error(import_file(client, "big.csv", ("phrase\n" + rows).encode()), 413, "payload_too_large")
        assert client.get("/bank").json()["total"] == 0
        small = import_file(client, "small.csv", "phrase\n精准招商\n".encode())
        assert small.json() == {"imported": 1, "unchanged": 0}


# --- the API key, a missing index, the documentation ----------------------------------------------------


def test_api_key_guards_every_bank_edit(built_index: BuiltIndex, model_dir: Path, tmp_path: Path) -> None:
    settings = settings_for(
        built_index.index_dir, model_dir, bank_file=tmp_path / "bank.sqlite", api_key="correct horse"
    )
    good = {"X-API-Key": "correct horse"}
    with client_for(built_index.index, settings) as client:
        entry = add(client, ENTRIES[3], headers=good).json()
        csv = (HEADER + GOOD_ROW).encode()
        for headers in (None, {"X-API-Key": "wrong"}, {"X-API-Key": ""}):
            assert_error(add(client, ENTRIES[1], headers=headers), 401, "unauthorized")
            patch = client.patch(f"/bank/{entry['id']}", json={"note": "x"}, headers=headers)
            assert_error(patch, 401, "unauthorized")
            assert_error(client.delete(f"/bank/{entry['id']}", headers=headers), 401, "unauthorized")
            imported = client.post("/bank/import", files=[("files", ("a.csv", csv))], headers=headers)
            assert_error(imported, 401, "unauthorized")
        # Reading needs no key.
        assert client.get("/bank").json()["entries"] == [entry]
        assert client.get(f"/bank/{entry['id']}").json() == entry
        assert export(client, "csv").status_code == 200
        assert client.get("/phrases", params={"q": "招商引资", "k": 3}).status_code == 200

        assert client.patch(f"/bank/{entry['id']}", json={"note": "x"}, headers=good).status_code == 200
        assert client.post("/bank/import", files=[("files", ("a.csv", csv))], headers=good).status_code == 200
        assert client.delete(f"/bank/{entry['id']}", headers=good).status_code == 204


def test_the_bank_works_without_an_index_but_phrases_need_one(tmp_path: Path, model_dir: Path) -> None:
    settings = settings_for(tmp_path / "nothing-here", model_dir, bank_file=tmp_path / "bank.sqlite")
    with client_for(None, settings) as client:
        for response in (
            client.get("/phrases", params={"q": "招商引资"}),
            client.post("/phrases", json={"q": PASTED}),
            client.get("/phrases/mined"),
        ):
            code = response.json()["error"]["code"]
            assert code in {"index_loading", "index_not_found"}, response.text
            assert_error(response, 503, code)
        assert add(client, ENTRIES[1]).status_code == 201
        assert client.get("/bank").json()["total"] == 1
        # Only a link to a passage needs the index, to check that the passage exists.
        linked = add(client, {"phrase": "精准招商", "source_chunk_id": "c-1"})
        assert_error(linked, 503, linked.json()["error"]["code"])
        assert client.get("/bank").json()["total"] == 1


def test_openapi_documents_the_phrase_endpoints_with_chinese_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    assert paths >= {
        ("/phrases", "get"),
        ("/phrases", "post"),
        ("/phrases/mined", "get"),
        ("/bank", "get"),
        ("/bank", "post"),
        ("/bank/export", "get"),
        ("/bank/import", "post"),
        ("/bank/{entry_id}", "get"),
        ("/bank/{entry_id}", "patch"),
        ("/bank/{entry_id}", "delete"),
    }
    bank_post = schema["paths"]["/bank"]["post"]
    assert "精准招商" in json.dumps(bank_post["requestBody"], ensure_ascii=False)
    assert {"201", "401", "409", "422"} <= set(bank_post["responses"])
    assert "招商引资" in json.dumps(schema["paths"]["/phrases"]["post"]["requestBody"], ensure_ascii=False)
    assert "multipart/form-data" in schema["paths"]["/bank/import"]["post"]["requestBody"]["content"]
