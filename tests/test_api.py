"""The HTTP API through the real app (TestClient) over a real index built from tests/data/reports."""

from __future__ import annotations

import io
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from api_client import assert_error, client_for, settings_for
from docx import Document as DocxDocument
from fastapi.testclient import TestClient
from index_fixture import REPORTS, BuiltIndex

UPLOADS = REPORTS.parent / "uploads"
PASTED = "加大招商引资力度，积极承接产业转移，推动一批重大项目落地见效，持续优化外商投资环境。"
NEW_REPORT = (
    "2026年青田县政府工作报告\n\n各位代表：\n\n一、2025年工作回顾\n\n"
    "过去一年，我们坚持把侨乡特色产业作为头号工程，引进华侨回乡投资项目十二个，"
    "建成石雕文化产业园，带动三千余名群众就业增收。"
)


@pytest.fixture(scope="module")
def client(built_index: BuiltIndex, model_dir: Path) -> Iterator[TestClient]:
    with client_for(built_index.index, settings_for(built_index.index_dir, model_dir)) as test_client:
        yield test_client


@pytest.fixture
def writable_client(writable_index: BuiltIndex, model_dir: Path) -> Iterator[TestClient]:
    with client_for(writable_index.index, settings_for(writable_index.index_dir, model_dir)) as test_client:
        yield test_client


def first_hit(client: TestClient, q: str = "招商引资", **params: object) -> dict:
    response = client.get("/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert hits, f"no hits for {q}"
    return hits[0]


def document_ids(client: TestClient) -> set[str]:
    listing = client.get("/documents", params={"limit": 200}).json()
    return {document["doc_id"] for document in listing["documents"]}


# --- health, readiness, stats, info ----------------------------------------------------------------------


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_counts_what_is_indexed(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["documents"] == 5
    assert body["chunks"] >= 5


def test_stats(client: TestClient, built_index: BuiltIndex) -> None:
    response = client.get("/stats", headers={"X-API-Key": "any"})  # a server without a key shows no paths
    body = response.json()
    assert body["counts"]["documents"] == 5
    assert body["counts"]["chunks"] == body["counts"]["embeddings"]
    assert body["manifest"]["model_id"].startswith("m3e-small")
    assert body["manifest"]["torch_version"].startswith("2.")
    assert body["index_dir"] is None
    assert str(built_index.index_dir) not in response.text


def test_info_shows_manifest_and_settings_but_never_the_key(built_index: BuiltIndex, model_dir: Path) -> None:
    settings = settings_for(built_index.index_dir, model_dir, api_key="s3cret-key-value")
    with client_for(built_index.index, settings) as client:
        response = client.get("/info")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert body["manifest"]["dimension"] == "512"
    assert body["settings"]["max_k"] == 100
    assert body["settings"]["api_key_set"] is True
    assert "api_key" not in body["settings"]
    assert "s3cret-key-value" not in response.text


@pytest.mark.parametrize("api_key", [None, "correct horse"])
@pytest.mark.parametrize("given", [None, "wrong", "correct horse"])
def test_info_and_stats_show_server_paths_only_with_the_api_key(
    built_index: BuiltIndex, model_dir: Path, tmp_path: Path, api_key: str | None, given: str | None
) -> None:
    settings = settings_for(
        built_index.index_dir, model_dir, api_key=api_key, bank_file=tmp_path / "b.sqlite"
    )
    paths = {
        "index_dir": str(built_index.index_dir),
        "model_dir": str(model_dir),
        "bank_file": str(tmp_path / "b.sqlite"),
    }
    headers = {"X-API-Key": given} if given else {}
    with client_for(built_index.index, settings) as client:
        info = client.get("/info", headers=headers)
        stats = client.get("/stats", headers=headers)
    assert info.status_code == stats.status_code == 200
    shown = info.json()["settings"]
    assert shown["max_k"] == 100 and info.json()["manifest"]["faiss_version"]
    if api_key is not None and given == api_key:
        assert {name: shown[name] for name in paths} == paths
        assert stats.json()["index_dir"] == paths["index_dir"]
    else:
        assert not set(paths) & set(shown)
        assert stats.json()["index_dir"] is None
        for path in paths.values():
            assert path not in info.text and path not in stats.text


# --- search ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_search_modes_find_the_topic(client: TestClient, mode: str) -> None:
    response = client.get("/search", params={"q": "招商引资", "mode": mode, "k": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == mode
    assert 0 < len(body["hits"]) <= 5
    assert body["total"] >= len(body["hits"])
    if mode != "semantic":
        assert "招商引资" in body["hits"][0]["text"]


def test_hit_shape_highlights_and_segments(client: TestClient) -> None:
    hit = first_hit(client, mode="keyword")
    assert set(hit) == {
        "chunk_id", "score", "text", "highlights", "segments", "heading_path", "ordinal",
        "before", "after", "duplicates", "document",
    }  # fmt: skip
    assert {hit["text"][start:end] for start, end in hit["highlights"]} >= {"招商引资"}
    assert "".join(segment["text"] for segment in hit["segments"]) == hit["text"]
    assert [segment["text"] for segment in hit["segments"] if segment["highlight"]] == [
        hit["text"][start:end] for start, end in hit["highlights"]
    ]
    document = hit["document"]
    assert set(document) == {
        "doc_id", "title", "source", "year", "level", "region", "province", "type", "chunk_count",
    }  # fmt: skip
    assert document["level"] == "国务院"
    assert (document["region"], document["province"]) == (None, None)
    assert document["type"] == "政府工作报告"
    assert document["title"].endswith("（节选）")
    assert isinstance(hit["heading_path"], list)
    # A hit carries its document's passage count, as the document listing does.
    listed = client.get(f"/documents/{document['doc_id']}").json()
    assert document["chunk_count"] == len(listed["chunks"]) > hit["ordinal"]


def test_search_context_returns_neighbours(client: TestClient) -> None:
    hit = first_hit(client, context=1, mode="keyword")
    neighbours = hit["before"] + hit["after"]
    assert neighbours, "a passage inside a document has at least one neighbour"
    assert all(chunk["doc_id"] == hit["document"]["doc_id"] for chunk in neighbours)
    assert [chunk["ordinal"] for chunk in hit["before"]] in ([], [hit["ordinal"] - 1])
    assert [chunk["ordinal"] for chunk in hit["after"]] in ([], [hit["ordinal"] + 1])
    assert first_hit(client, mode="keyword")["before"] == []


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"year_from": 2020}, lambda document: document["year"] >= 2020),
        ({"year_to": 2017}, lambda document: document["year"] <= 2017),
        ({"year_from": 2017, "year_to": 2017}, lambda document: document["year"] == 2017),
        ({"level": "国务院"}, lambda document: document["level"] == "国务院"),
        ({"type": "政府工作报告"}, lambda document: document["type"] == "政府工作报告"),
    ],
)
def test_search_filters(client: TestClient, params: dict, check: Callable[[dict], bool]) -> None:
    hits = client.get("/search", params={"q": "招商引资", "k": 20, **params}).json()["hits"]
    assert hits
    assert all(check(hit["document"]) for hit in hits)


def test_search_filter_with_no_match_is_empty_not_an_error(client: TestClient) -> None:
    response = client.get("/search", params={"q": "招商引资", "level": "乡镇"})
    assert response.status_code == 200
    assert response.json()["hits"] == []
    assert (response.json()["total"], response.json()["more"]) == (0, False)


def test_search_document_filters(client: TestClient) -> None:
    top = first_hit(client)["document"]["doc_id"]
    only = client.get("/search", params={"q": "招商引资", "doc_id": top, "k": 20}).json()["hits"]
    assert {hit["document"]["doc_id"] for hit in only} == {top}
    others = client.get("/search", params={"q": "招商引资", "exclude_doc_id": top, "k": 20}).json()["hits"]
    assert others
    assert top not in {hit["document"]["doc_id"] for hit in others}


def test_search_repeated_parameters_allow_several_documents(client: TestClient) -> None:
    ids = sorted(document_ids(client))[:2]
    hits = client.get(
        "/search", params=[("q", "政府"), ("k", 50), ("doc_id", ids[0]), ("doc_id", ids[1])]
    ).json()
    assert {hit["document"]["doc_id"] for hit in hits["hits"]} <= set(ids)


def test_search_paging(client: TestClient) -> None:
    first = client.get("/search", params={"q": "开放", "k": 3, "offset": 0}).json()
    second = client.get("/search", params={"q": "开放", "k": 3, "offset": 3}).json()
    # Hits are counted up to the first one after the page: `more` is exact, `total` a lower bound with it.
    assert (first["more"], first["total"]) == (True, 4)
    assert second["total"] == (7 if second["more"] else 3 + len(second["hits"]))
    assert second["offset"] == 3
    assert not {hit["chunk_id"] for hit in first["hits"]} & {hit["chunk_id"] for hit in second["hits"]}


def test_search_per_document_cap(client: TestClient) -> None:
    hits = client.get("/search", params={"q": "开放", "k": 50, "per_document": 1}).json()["hits"]
    documents = [hit["document"]["doc_id"] for hit in hits]
    assert len(documents) == len(set(documents))


def test_post_search_with_a_pasted_paragraph(client: TestClient) -> None:
    response = client.post("/search", json={"q": PASTED, "k": 5, "year_from": 2000, "level": ["国务院"]})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert hits
    assert any("招商引资" in hit["text"] or "外商投资" in hit["text"] for hit in hits[:3])


def test_post_search_accepts_a_single_value_for_a_list_filter(client: TestClient) -> None:
    response = client.post("/search", json={"q": "招商引资", "level": "国务院", "type": "政府工作报告"})
    assert response.status_code == 200, response.text
    assert response.json()["hits"]


# --- similar ---------------------------------------------------------------------------------------------


def test_similar_to_a_chunk_comes_from_other_documents(client: TestClient) -> None:
    hit = first_hit(client)
    response = client.post("/similar", json={"chunk_id": hit["chunk_id"], "k": 5})
    assert response.status_code == 200, response.text
    similar = response.json()["hits"]
    assert similar
    assert hit["document"]["doc_id"] not in {other["document"]["doc_id"] for other in similar}


def test_similar_to_a_pasted_paragraph(client: TestClient) -> None:
    excluded = first_hit(client, PASTED)["document"]["doc_id"]
    response = client.post("/similar", json={"text": PASTED, "k": 5, "exclude_doc_id": [excluded]})
    assert response.status_code == 200, response.text
    similar = response.json()["hits"]
    assert similar
    assert excluded not in {hit["document"]["doc_id"] for hit in similar}


@pytest.mark.parametrize(
    "body", [{}, {"chunk_id": "x", "text": "招商引资"}, {"text": "   "}], ids=["neither", "both", "blank"]
)
def test_similar_needs_exactly_one_of_chunk_and_text(client: TestClient, body: dict) -> None:
    assert_error(client.post("/similar", json=body), 422, "invalid_parameter", "chunk_id")


def test_similar_unknown_chunk(client: TestClient) -> None:
    message = assert_error(client.post("/similar", json={"chunk_id": "no-such-chunk"}), 404, "unknown_chunk")
    assert "no-such-chunk" in message


# --- documents and chunks --------------------------------------------------------------------------------


def test_documents_listing_pages_and_filters(client: TestClient) -> None:
    body = client.get("/documents").json()
    assert body["total"] == 5
    assert len(body["documents"]) == 5
    years = [document["year"] for document in body["documents"]]
    assert years == sorted(years, reverse=True)
    page = client.get("/documents", params={"limit": 2, "offset": 2}).json()
    assert [d["doc_id"] for d in page["documents"]] == [d["doc_id"] for d in body["documents"][2:4]]
    recent = client.get("/documents", params={"year_from": 2023}).json()
    assert recent["total"] == 3
    assert {d["year"] for d in recent["documents"]} == {2023, 2024, 2025}


def test_document_with_its_chunks_in_order(client: TestClient) -> None:
    listed = client.get("/documents", params={"year_from": 2024, "year_to": 2024}).json()["documents"][0]
    response = client.get(f"/documents/{listed['doc_id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["document"] == listed
    ordinals = [chunk["ordinal"] for chunk in body["chunks"]]
    assert ordinals == list(range(len(ordinals))) and len(ordinals) == listed["chunk_count"]
    text = "".join(chunk["text"] for chunk in body["chunks"])
    assert "加快全国统一大市场建设" in text


def test_chunk_in_context(client: TestClient) -> None:
    hit = first_hit(client)
    response = client.get(f"/chunks/{hit['chunk_id']}", params={"context": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["chunk"]["chunk_id"] == hit["chunk_id"]
    assert body["chunk"]["text"] == hit["text"]
    assert body["document"]["doc_id"] == hit["document"]["doc_id"]
    ordinal = body["chunk"]["ordinal"]
    assert all(ordinal - 2 <= chunk["ordinal"] < ordinal for chunk in body["before"])
    assert all(ordinal < chunk["ordinal"] <= ordinal + 2 for chunk in body["after"])
    assert len(body["before"]) + len(body["after"]) >= 2


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/documents/0000000000000000", "unknown_document"),
        ("/chunks/0000000000000000", "unknown_chunk"),
        ("/no-such-page", "not_found"),
    ],
)
def test_unknown_ids_are_404(client: TestClient, path: str, code: str) -> None:
    assert_error(client.get(path), 404, code)


def test_wrong_method_has_the_error_shape(client: TestClient) -> None:
    assert_error(client.put("/search"), 405, "method_not_allowed")


# --- parameter bounds: 422 naming the field --------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"k": 0}, "k"),
        ({"k": 101}, "k"),
        ({"k": "十"}, "k"),
        ({"offset": -1}, "offset"),
        ({"offset": 1001}, "offset"),
        ({"year_from": 1948}, "year_from"),
        ({"year_to": 2101}, "year_to"),
        ({"year_from": 2020, "year_to": 2010}, "year_to"),
        ({"mode": "fuzzy"}, "mode"),
        ({"level": "大队"}, "level"),
        ({"type": "通知"}, "type"),
        ({"context": 11}, "context"),
        ({"per_document": -1}, "per_document"),
        ({"dedupe": "maybe"}, "dedupe"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "招" * 5001}, "q"),
        ({"year": 2020}, "year"),
    ],
)
def test_search_parameter_out_of_bounds(client: TestClient, params: dict, field: str) -> None:
    query = {"q": "招商引资", **params}
    assert_error(client.get("/search", params=query), 422, "invalid_parameter", field)
    if len(json.dumps(query)) < 1000:
        assert_error(client.post("/search", json=query), 422, "invalid_parameter", field)


def test_missing_query_names_the_field(client: TestClient) -> None:
    assert_error(client.get("/search"), 422, "invalid_parameter", "q")


def test_max_k_and_max_query_chars_come_from_settings(built_index: BuiltIndex, model_dir: Path) -> None:
    settings = settings_for(built_index.index_dir, model_dir, max_k=5, max_query_chars=10)
    with client_for(built_index.index, settings) as client:
        assert client.get("/search", params={"q": "招商引资", "k": 5}).status_code == 200
        # The default page size (10) shrinks to a smaller max_k instead of failing every plain request.
        assert 0 < len(client.get("/search", params={"q": "开放", "per_document": 0}).json()["hits"]) <= 5
        assert_error(client.get("/search", params={"q": "招商引资", "k": 6}), 422, "invalid_parameter", "k")
        long = "招商引资" * 3
        assert_error(client.get("/search", params={"q": long}), 422, "invalid_parameter", "q")
        assert_error(client.post("/similar", json={"text": long}), 422, "invalid_parameter", "text")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/chunks/x", {"context": -1}, "context"),
        ("/documents", {"limit": 0}, "limit"),
        ("/documents", {"limit": 201}, "limit"),
        ("/documents", {"offset": -5}, "offset"),
        ("/documents", {"offset": 1_000_001}, "offset"),
        ("/documents", {"offset": 2**63}, "offset"),  # beyond SQLite's integers: was a 500
        ("/documents", {"year_from": 3000}, "year_from"),
    ],
)
def test_other_parameters_out_of_bounds(client: TestClient, path: str, params: dict, field: str) -> None:
    assert_error(client.get(path, params=params), 422, "invalid_parameter", field)


def test_malformed_json_body(client: TestClient) -> None:
    response = client.post("/search", content=b"{not json", headers={"content-type": "application/json"})
    assert_error(response, 422, "invalid_parameter")


@pytest.mark.parametrize("q", ["\x00\x01", "\u200b", "\x00 \t\x7f"])
def test_a_query_of_nothing_but_control_characters_is_empty(client: TestClient, q: str) -> None:
    for response in (
        client.get("/search", params={"q": q}),
        client.post("/search", json={"q": q}),
        client.post("/similar", json={"text": q}),
    ):
        assert assert_error(response, 422, "invalid_input") == "query is empty"


@pytest.mark.parametrize(
    "q", ['"', "AND OR NOT", "*", "\u0000", "(招商", '招商引资" OR "x', "🙂", "<script>"]
)
def test_odd_queries_never_fail(client: TestClient, q: str) -> None:
    response = client.get("/search", params={"q": q})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert_error(response, 422, response.json()["error"]["code"])


# --- uploads and deletes ---------------------------------------------------------------------------------


def upload(client: TestClient, *files: tuple[str, bytes], headers: dict | None = None):
    return client.post("/documents", files=[("files", (name, data)) for name, data in files], headers=headers)


def docx_bytes(paragraphs: list[str]) -> bytes:
    document = DocxDocument()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_upload_search_and_delete_a_report(writable_client: TestClient) -> None:
    response = upload(writable_client, ("青田.txt", NEW_REPORT.encode()))
    assert response.status_code == 201, response.text
    body = response.json()
    assert [document["title"] for document in body["added"]] == ["2026年青田县政府工作报告"]
    added = body["added"][0]
    assert added["year"] == 2026 and added["source"] == "uploads/青田.txt" and added["chunk_count"] >= 1
    assert body["embedded"] >= 1
    assert writable_client.get("/readyz").json()["documents"] == 6

    hit = first_hit(writable_client, "石雕文化产业园", mode="keyword")
    assert hit["document"]["doc_id"] == added["doc_id"]
    assert writable_client.get(f"/documents/{added['doc_id']}").status_code == 200
    # A county report is its own region and is found by its province's name too.
    assert (added["level"], added["region"], added["province"]) == ("县", "青田县", "浙江省")
    for region in ("青田县", "浙江省", "浙江"):
        hits = writable_client.get("/search", params={"q": "石雕文化产业园", "region": region}).json()["hits"]
        assert {hit["document"]["doc_id"] for hit in hits} == {added["doc_id"]}, region
    assert (
        writable_client.get("/search", params={"q": "石雕文化产业园", "region": "江苏省"}).json()["hits"]
        == []
    )

    assert writable_client.delete(f"/documents/{added['doc_id']}").status_code == 204
    assert_error(writable_client.get(f"/documents/{added['doc_id']}"), 404, "unknown_document")
    assert_error(writable_client.delete(f"/documents/{added['doc_id']}"), 404, "unknown_document")
    hits = writable_client.get("/search", params={"q": "石雕文化产业园", "mode": "keyword"}).json()["hits"]
    assert added["doc_id"] not in {hit["document"]["doc_id"] for hit in hits}


def test_upload_again_is_unchanged_and_another_file_of_the_same_name_is_kept(
    writable_client: TestClient,
) -> None:
    first = upload(writable_client, ("青田.txt", NEW_REPORT.encode())).json()["added"][0]
    again = upload(writable_client, ("青田.txt", NEW_REPORT.encode())).json()
    assert again["added"] == [] and again["unchanged"] == [first["doc_id"]] and again["embedded"] == 0
    other = upload(writable_client, ("青田.txt", (NEW_REPORT + "今年将新建侨乡会客厅。").encode())).json()
    assert other["removed"] == [] and len(other["added"]) == 1
    assert document_ids(writable_client) >= {first["doc_id"], other["added"][0]["doc_id"]}


def test_put_replaces_a_document_with_its_new_version(writable_client: TestClient) -> None:
    first = upload(writable_client, ("青田.txt", NEW_REPORT.encode())).json()["added"][0]
    revised = (NEW_REPORT + "今年将新建侨乡会客厅。").encode()
    response = writable_client.put(f"/documents/{first['doc_id']}", files=[("files", ("青田.txt", revised))])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["removed"] == [first["doc_id"]] and len(body["added"]) == 1
    assert first["doc_id"] not in document_ids(writable_client)
    assert body["added"][0]["doc_id"] in document_ids(writable_client)


def test_put_with_an_unreadable_file_keeps_the_document(writable_client: TestClient) -> None:
    first = upload(writable_client, ("青田.txt", NEW_REPORT.encode())).json()["added"][0]
    files = [("files", ("青田.docx", b"not a zip archive"))]
    assert_error(writable_client.put(f"/documents/{first['doc_id']}", files=files), 415, "unsupported_file")
    assert first["doc_id"] in document_ids(writable_client)
    files = [("files", ("青田.txt", NEW_REPORT.encode()))]
    assert_error(writable_client.put("/documents/0000000000000000", files=files), 404, "unknown_document")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("青田.md", lambda: ("# 2026年青田县政府工作报告\n\n" + NEW_REPORT.split("\n\n", 1)[1]).encode()),
        (
            "青田.html",
            lambda: (
                f"<html><body><h1>2026年青田县政府工作报告</h1><p>{NEW_REPORT}</p></body></html>".encode()
            ),
        ),
        ("青田.docx", lambda: docx_bytes(NEW_REPORT.split("\n\n"))),
        (
            "青田.jsonl",
            lambda: json.dumps({"title": "2026年青田县政府工作报告", "content": NEW_REPORT}).encode(),
        ),
        ("青田_gbk.txt", lambda: NEW_REPORT.encode("gb18030")),
    ],
)
def test_upload_each_supported_format(
    writable_client: TestClient, name: str, make: Callable[[], bytes]
) -> None:
    response = upload(writable_client, (name, make()))
    assert response.status_code == 201, response.text
    assert len(response.json()["added"]) == 1
    assert (
        first_hit(writable_client, "石雕文化产业园", mode="keyword")["document"]["source"]
        == f"uploads/{name}"
    )


def test_upload_a_pdf(writable_client: TestClient) -> None:
    pdf = UPLOADS / "青田县政府工作报告.pdf"  # printed to PDF by Chromium, so its text layer is real
    response = upload(writable_client, (pdf.name, pdf.read_bytes()))
    assert response.status_code == 201, response.text
    [added] = response.json()["added"]
    assert added["year"] == 2026 and added["source"] == f"uploads/{pdf.name}"
    chunks = writable_client.get(f"/documents/{added['doc_id']}").json()["chunks"]
    # The title is a passage of its own and the body follows it; the salutation opens none.
    assert chunks[0]["text"] == "2026年青田县政府工作报告"
    assert "建成石雕文化产业园" in "".join(chunk["text"] for chunk in chunks[1:])


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
        ("report.exe", b"MZ\x90\x00"),
        ("report.txt", b"\x00\x01\x02\xff\xfe" * 200),
        ("report.docx", b"not a zip archive"),
        ("report.pdf", b"%PDF-1.4 truncated"),
        ("report.jsonl", b'{"title": "x"\n'),
        ("empty.txt", b""),
    ],
)
def test_unsupported_uploads_are_415_and_change_nothing(
    writable_client: TestClient, name: str, data: bytes
) -> None:
    before = document_ids(writable_client)
    response = upload(writable_client, ("good.txt", NEW_REPORT.encode()), (name, data))
    message = assert_error(response, 415, "unsupported_file")
    assert name in message
    assert "govsearch-upload" not in message and tempfile.gettempdir() not in message  # no server paths
    assert document_ids(writable_client) == before


def test_upload_that_is_not_multipart_is_415(writable_client: TestClient) -> None:
    response = writable_client.post(
        "/documents", content=NEW_REPORT.encode(), headers={"content-type": "text/plain"}
    )
    assert_error(response, 415, "unsupported_media_type")


def test_upload_without_files_is_422(writable_client: TestClient) -> None:
    response = writable_client.post("/documents", files={"note": (None, "a form field, not a file")})
    assert_error(response, 422, "invalid_parameter", "files")


def test_upload_above_the_limit_is_413(writable_index: BuiltIndex, model_dir: Path) -> None:
    settings = settings_for(writable_index.index_dir, model_dir, max_upload_bytes=2000)
    with client_for(writable_index.index, settings) as client:
        before = document_ids(client)
        assert upload(client, ("small.txt", NEW_REPORT.encode())).status_code == 201
        assert_error(upload(client, ("big.txt", ("招商引资" * 1000).encode())), 413, "payload_too_large")

        # A chunked body declares no length: the limit holds while the body streams in.
        boundary = "govsearch-test"
        parts = [
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n',
            *(("招商引资" * 100).encode() for _ in range(20)),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
        response = client.post(
            "/documents",
            content=iter(parts),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert "content-length" not in response.request.headers
        assert_error(response, 413, "payload_too_large")
        assert len(document_ids(client)) == len(before) + 1


def test_api_key_guards_uploads_and_deletes(writable_index: BuiltIndex, model_dir: Path) -> None:
    settings = settings_for(writable_index.index_dir, model_dir, api_key="correct horse")
    with client_for(writable_index.index, settings) as client:
        doc_id = sorted(document_ids(client))[0]
        for headers in (None, {"X-API-Key": "wrong"}, {"X-API-Key": ""}):
            assert_error(
                upload(client, ("青田.txt", NEW_REPORT.encode()), headers=headers), 401, "unauthorized"
            )
            assert_error(client.delete(f"/documents/{doc_id}", headers=headers), 401, "unauthorized")
        # Reading needs no key.
        assert client.get("/search", params={"q": "招商引资"}).status_code == 200
        assert client.get(f"/documents/{doc_id}").status_code == 200

        good = {"X-API-Key": "correct horse"}
        assert upload(client, ("青田.txt", NEW_REPORT.encode()), headers=good).status_code == 201
        assert client.delete(f"/documents/{doc_id}", headers=good).status_code == 204


# --- a missing index -------------------------------------------------------------------------------------


def wait_until_loaded(client: TestClient, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while client.get("/readyz").json().get("error", {}).get("code") == "index_loading":
        if time.monotonic() > deadline:
            raise AssertionError("the index was still loading after a minute")
        time.sleep(0.05)


def test_missing_index_is_503_with_the_fix(tmp_path: Path, model_dir: Path) -> None:
    settings = settings_for(tmp_path / "nothing-here", model_dir)
    with client_for(None, settings) as client:
        wait_until_loaded(client)
        assert client.get("/healthz").status_code == 200
        message = assert_error(client.get("/readyz"), 503, "index_not_found")
        assert str(tmp_path / "nothing-here") in message and "govsearch index" in message
        for response in (
            client.get("/search", params={"q": "招商引资"}),
            client.post("/similar", json={"text": "招商引资"}),
            client.get("/documents"),
            client.get("/documents/abc"),
            client.get("/chunks/abc"),
            client.get("/stats"),
            upload(client, ("青田.txt", NEW_REPORT.encode())),
            client.delete("/documents/abc"),
        ):
            assert_error(response, 503, "index_not_found")
        assert client.get("/info").json()["ready"] is False
    assert not (tmp_path / "nothing-here").exists()


def test_index_opened_at_startup_from_settings(built_index: BuiltIndex, model_dir: Path) -> None:
    with client_for(None, settings_for(built_index.index_dir, model_dir)) as client:
        wait_until_loaded(client)
        assert client.get("/readyz").json()["documents"] == 5
        assert first_hit(client)["document"]["level"] == "国务院"


# --- docs and the page -----------------------------------------------------------------------------------


def test_openapi_documents_every_endpoint_with_chinese_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    assert paths >= {
        ("/search", "get"), ("/search", "post"), ("/similar", "post"), ("/documents", "get"),
        ("/documents", "post"), ("/documents/{doc_id}", "get"), ("/documents/{doc_id}", "delete"),
        ("/chunks/{chunk_id}", "get"), ("/stats", "get"), ("/healthz", "get"), ("/readyz", "get"),
        ("/info", "get"),
    }  # fmt: skip
    text = json.dumps(schema, ensure_ascii=False)
    assert "招商引资" in text and "加大招商引资力度" in text
    assert "multipart/form-data" in json.dumps(schema["paths"]["/documents"]["post"])
    assert client.get("/docs").status_code == 200


def test_page_and_its_assets_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "政府报告段落检索" in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
