"""Contract: the milvus backend (milvus-lite here) holds and finds what the local store does.

Both backends open copies of the same built catalog, so they start from the same documents and vectors;
the milvus copy is migrated into its collection on open.
"""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest
from api_client import client_for, settings_for
from index_fixture import BuiltIndex, copy_index

from indexer.errors import BackendUnavailable
from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import ingest_file
from indexer.records import DocType, DocumentInfo, Filters, Level, Mode
from indexer.search.searcher import SearchOptions
from indexer.text.gazetteer import canonical_names

MODES = (Mode.KEYWORD, Mode.SEMANTIC, Mode.HYBRID)
# Topics of the fixture reports, a few words each and one pasted sentence.
QUERIES = (
    "乡村振兴",
    "招商引资",
    "粮食安全",
    "对外开放",
    "科技创新",
    "就业优先政策",
    "生态环境保护",
    "扩大国内需求",
    "一带一路",
    "深化国际产能合作，带动装备、技术、标准、服务走出去",
)
TOP = 10


def milvus_config(index_dir: Path, model_dir: Path) -> IndexConfig:
    return IndexConfig(index_dir, model_dir, backend="milvus", milvus_uri=str(index_dir / "milvus.db"))


def needs_milvus_lite() -> None:
    pytest.importorskip("milvus_lite", reason="milvus-lite not installed (pip install govsearch[milvus])")


def milvus_copy(built_index: BuiltIndex, index_dir: Path, model_dir: Path) -> Index:
    """A copy of the built index opened with the milvus backend: its collection is filled on open."""
    copy_index(built_index.index_dir, index_dir, model_dir)
    return Index(milvus_config(index_dir, model_dir))


@pytest.fixture(scope="module")
def backends(
    built_index: BuiltIndex, tmp_path_factory: pytest.TempPathFactory, model_dir: Path
) -> dict[str, Index]:
    """The built index and a milvus copy of it, for the tests that only search."""
    needs_milvus_lite()
    milvus = milvus_copy(built_index, tmp_path_factory.mktemp("milvus") / "index", model_dir)
    return {"local": built_index.index, "milvus": milvus}


@pytest.fixture
def writable_backends(built_index: BuiltIndex, tmp_path: Path, model_dir: Path) -> dict[str, Index]:
    """A local copy and a milvus copy of the built index, for one test that writes."""
    needs_milvus_lite()
    local = copy_index(built_index.index_dir, tmp_path / "local", model_dir)
    return {"local": local, "milvus": milvus_copy(built_index, tmp_path / "milvus", model_dir)}


def passages(index: Index) -> dict[str, list[str]]:
    """Every document's chunk ids, from the catalog."""
    documents, _ = index.documents(Filters(), limit=1000, offset=0)
    return {d.doc_id: [c.chunk_id for c in index.document(d.doc_id)[1]] for d in documents}


def catalog_rows(index: Index) -> set[int]:
    with closing(sqlite3.connect(index.config.index_dir / "catalog.sqlite")) as connection:
        return {row for (row,) in connection.execute("SELECT id FROM chunks")}


def assert_milvus_mirrors_catalog(index: Index) -> None:
    assert index.milvus is not None
    assert index.milvus.store.ids() == catalog_rows(index)


def ranked(index: Index, query: str, mode: Mode) -> list[str]:
    options = SearchOptions(mode=mode, k=TOP, per_document=None, dedupe=False)
    return [hit.chunk.chunk_id for hit in index.search(query, options).hits]


def test_writes_leave_both_backends_with_the_same_passages(
    writable_backends: dict[str, Index], tmp_path: Path
) -> None:
    local, milvus = writable_backends["local"], writable_backends["milvus"]
    assert_milvus_mirrors_catalog(milvus)
    assert passages(milvus) == passages(local)
    victim, replaced = sorted(passages(local))[:2]
    new_version = tmp_path / "新版本.txt"
    new_version.write_text("2026年政府工作报告\n\n全面推进乡村振兴，发展县域经济，推进新型城镇化。", "utf-8")
    uploaded = tmp_path / "上传.txt"
    uploaded.write_text("2026年工作总结\n\n优化营商环境，招商引资取得新成效，民营经济活力增强。", "utf-8")
    steps = (
        lambda index: index.delete_document(victim),
        lambda index: index.replace(replaced, ingest_file(new_version)),
        lambda index: index.add(ingest_file(uploaded)),
    )
    for step in steps:
        for index in (local, milvus):
            step(index)
        assert passages(milvus) == passages(local)
        assert_milvus_mirrors_catalog(milvus)
        assert len(milvus.searcher().vectors) == len(catalog_rows(milvus))
    assert victim not in passages(milvus) and replaced not in passages(milvus)
    for mode in MODES:
        assert ranked(milvus, "招商引资", mode)[:3] == ranked(local, "招商引资", mode)[:3], mode
        assert ranked(milvus, "县域经济", mode)[0] == ranked(local, "县域经济", mode)[0], mode


def satisfies(document: DocumentInfo, filters: Filters) -> bool:
    """The filters' meaning, spelled out apart from both backends' implementations of it."""
    regions = set(canonical_names(filters.regions))
    return (
        (filters.year_from is None or (document.year is not None and document.year >= filters.year_from))
        and (filters.year_to is None or (document.year is not None and document.year <= filters.year_to))
        and (not filters.levels or document.level in filters.levels)
        and (not filters.doc_types or document.doc_type in filters.doc_types)
        and (not regions or document.region in regions or document.province in regions)
    )


@pytest.mark.parametrize(
    "filters",
    [
        Filters(year_from=2023),
        Filters(year_to=2019),
        Filters(year_from=2020, year_to=2024),
        Filters(levels=(Level.NATIONAL,)),
        Filters(levels=(Level.CITY,)),
        Filters(doc_types=(DocType.REPORT,)),
        Filters(regions=("浙江",)),
    ],
    ids=repr,
)
def test_filters_are_honoured_alike(backends: dict[str, Index], filters: Filters) -> None:
    local, milvus = backends["local"], backends["milvus"]
    # Hybrid takes both sides, filtered each on its own: a side that ignored the filters would let through
    # the best passages of the reports filtered out.
    for mode in (Mode.KEYWORD, Mode.HYBRID):
        for query in QUERIES[:2]:
            options = SearchOptions(mode=mode, k=TOP, filters=filters, per_document=None)
            hits = milvus.search(query, options).hits
            assert all(satisfies(hit.document, filters) for hit in hits), (mode, query)
            assert bool(hits) == bool(local.search(query, options).hits), (mode, query)


def test_document_and_exclusion_filters(backends: dict[str, Index]) -> None:
    milvus = backends["milvus"]
    doc_ids = sorted(passages(milvus))
    for mode in MODES:
        only = milvus.search("发展", SearchOptions(mode=mode, k=TOP, filters=Filters(doc_ids=(doc_ids[0],))))
        assert only.hits and {hit.document.doc_id for hit in only.hits} == {doc_ids[0]}, mode
        without = Filters(exclude_doc_ids=tuple(doc_ids[1:]))
        rest = milvus.search("发展", SearchOptions(mode=mode, k=TOP, filters=without))
        assert rest.hits and {hit.document.doc_id for hit in rest.hits} == {doc_ids[0]}, mode


def test_top_10_overlaps_the_local_store(backends: dict[str, Index]) -> None:
    local, milvus = backends["local"], backends["milvus"]
    for mode in MODES:
        overlaps = []
        for query in QUERIES:
            expected, found = ranked(local, query, mode), ranked(milvus, query, mode)
            assert expected, (mode, query)
            overlaps.append(len(set(found) & set(expected)) / len(expected))
            if mode == Mode.SEMANTIC:  # exact on both at this size: the same passages in the same order
                assert found == expected, query
        assert sum(overlaps) / len(overlaps) >= 0.8, (mode, overlaps)


def test_a_collection_behind_the_catalog_is_rebuilt_on_open(
    built_index: BuiltIndex, tmp_path: Path, model_dir: Path
) -> None:
    needs_milvus_lite()
    milvus = milvus_copy(built_index, tmp_path / "index", model_dir)
    assert milvus.milvus is not None
    # What a writer killed between its SQLite commit and its Milvus update leaves: a stale collection.
    doc_id = sorted(passages(milvus))[0]
    milvus.milvus.store.delete_documents([doc_id])
    milvus.milvus.store.set_stamp("an earlier state")
    assert milvus.milvus.store.ids() != catalog_rows(milvus)
    reopened = Index(milvus_config(milvus.config.index_dir, model_dir))
    assert_milvus_mirrors_catalog(reopened)
    assert doc_id in {hit.document.doc_id for hit in reopened.search("发展", SearchOptions(k=50)).hits}


def test_the_service_serves_context_and_similar_paragraphs_from_milvus(
    backends: dict[str, Index], model_dir: Path
) -> None:
    milvus = backends["milvus"]
    settings = settings_for(milvus.config.index_dir, model_dir, backend="milvus")
    with client_for(milvus, settings) as client:
        found = client.get("/search", params={"q": "乡村振兴", "context": 1, "k": 5})
        assert found.status_code == 200, found.text
        hits = found.json()["hits"]
        assert hits and hits[0]["highlights"] and (hits[0]["before"] or hits[0]["after"])
        similar = client.post("/similar", json={"chunk_id": hits[0]["chunk_id"], "k": 5})
        assert similar.status_code == 200, similar.text
        source = hits[0]["document"]["doc_id"]
        assert all(hit["document"]["doc_id"] != source for hit in similar.json()["hits"])


def test_missing_client_names_the_extra(
    built_index: BuiltIndex, tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # what an install without the extra looks like
    copy_index(built_index.index_dir, tmp_path / "index", model_dir)
    with pytest.raises(BackendUnavailable, match=r"install govsearch\[milvus\] to use the milvus backend"):
        Index(milvus_config(tmp_path / "index", model_dir))
