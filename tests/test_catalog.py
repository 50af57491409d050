"""The SQLite catalog alone: catalogs of earlier versions stay readable, region filters take either name,
collapsing and highlighting read what indexing stored."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from indexer.records import Chunk, Document, Filters, Level
from indexer.store.catalog import Catalog, StoredChunk
from indexer.store.database import Database
from indexer.store.upgrades import search_columns
from indexer.text.shingles import SIGNATURE_DTYPE, first_near_duplicates, from_blob, near_duplicate, to_blob

# The documents and chunks tables as catalogs written before documents had an origin or a province, and
# before chunks kept their normalised text and signature, defined them.
OLD_TABLES = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, year INTEGER, level TEXT NOT NULL,
    region TEXT, doc_type TEXT NOT NULL, extra TEXT NOT NULL, text TEXT NOT NULL
);
INSERT INTO documents VALUES
    ('old', '2024年浙江省政府工作报告', 'old.txt', 2024, '省', '浙江', '政府工作报告', '{}', '各位代表：');
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    heading_path TEXT NOT NULL, embedding_key TEXT NOT NULL
);
INSERT INTO chunks VALUES (7, 'old-0', 'old', 0, 0, 9, '推進數字經濟發展。', '[]', 'key');
"""


def test_a_catalog_written_before_origins_and_provinces_opens_and_reads(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(OLD_TABLES)
    catalog = Catalog(Database(path))
    info = catalog.document("old")
    assert info is not None
    assert (info.region, info.province, info.chunk_count) == ("浙江", None, 1)
    # Its chunks gain their folded text and signature on open.
    assert catalog.normalized_texts([7]) == {7: "推进数字经济发展。"}
    assert catalog.collapse_keys([7]) == {7: ("old", search_columns("推進數字經濟發展。")[1])}
    # Its short region name still answers a filter by the official one.
    assert [d.doc_id for d in catalog.documents(Filters(regions=("浙江省",)), 10, 0)[0]] == ["old"]


def document(doc_id: str, level: Level, region: str | None, province: str | None) -> Document:
    return Document(
        doc_id=doc_id,
        title=f"{region}政府工作报告",
        source=f"{doc_id}.txt",
        text="各位代表：",
        year=2024,
        level=level,
        region=region,
        province=province,
    )


def passage(doc_id: str, ordinal: int) -> StoredChunk:
    text = f"第{ordinal}段。"
    chunk = Chunk(f"{doc_id}-{ordinal}", doc_id, ordinal, 0, len(text), text)
    return StoredChunk(chunk, *search_columns(text), "", text, f"{doc_id}-{ordinal}")


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    catalog = Catalog(Database(tmp_path / "catalog.sqlite"))
    with catalog.database.transaction() as connection:
        for doc_id, level, region, province, chunks in [
            ("zhejiang", Level.PROVINCE, "浙江省", "浙江省", 3),
            ("hangzhou", Level.CITY, "杭州市", "浙江省", 2),
            ("qingtian", Level.COUNTY, "青田县", "浙江省", 1),
            ("jiangsu", Level.PROVINCE, "江苏省", "江苏省", 1),
            ("somewhere", Level.CITY, None, None, 1),
        ]:
            stored = [passage(doc_id, ordinal) for ordinal in range(chunks)]
            Catalog.insert_document(connection, document(doc_id, level, region, province), stored)
    return catalog


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        (("浙江省",), {"zhejiang", "hangzhou", "qingtian"}),
        (("浙江",), {"zhejiang", "hangzhou", "qingtian"}),
        (("杭州市",), {"hangzhou"}),
        (("杭州市", "江苏"), {"hangzhou", "jiangsu"}),
        (("上海市",), set()),
    ],
)
def test_a_region_filter_matches_a_document_or_its_province(
    catalog: Catalog, regions: tuple[str, ...], expected: set[str]
) -> None:
    documents, total = catalog.documents(Filters(regions=regions), 10, 0)
    assert {d.doc_id for d in documents} == expected and total == len(expected)
    allowed = catalog.allowed_rows(Filters(regions=regions))
    assert allowed is not None
    assert {info.doc_id for _, info in catalog.chunks_by_row(allowed.tolist()).values()} == expected


def test_documents_carry_province_and_passage_count_wherever_they_are_read(catalog: Catalog) -> None:
    listed = {d.doc_id: d for d in catalog.documents(Filters(), 10, 0)[0]}
    assert (listed["hangzhou"].province, listed["hangzhou"].chunk_count) == ("浙江省", 2)
    rows = catalog.allowed_rows(Filters(doc_ids=("zhejiang",)))
    assert rows is not None
    hits = catalog.chunks_by_row(rows.tolist())
    assert [(info.province, info.chunk_count) for _, info in hits.values()] == [("浙江省", 3)] * 3


@pytest.mark.parametrize(
    ("shorter", "longer", "duplicate"),
    [
        # A template sentence quoted inside a longer paragraph, punctuation and spaces aside.
        ("加快金融体制改革，建立存款保险制度。", "我们将加快金融体制改革 建立存款保险制度，守住底线。", True),
        ("加快金融体制改革，建立存款保险制度。", "加快财税体制改革，建立现代预算制度。", False),
        ("改革", "改革", True),  # shorter than one shingle: the whole text is its signature
        ("", "改革开放", False),
    ],
)
def test_stored_signatures_decide_near_duplicates(shorter: str, longer: str, duplicate: bool) -> None:
    signatures = [from_blob(search_columns(text)[1]) for text in (shorter, longer)]
    assert near_duplicate(*signatures) is duplicate


def test_a_window_of_candidates_finds_the_first_kept_passage_each_near_duplicates() -> None:
    """All pairs at once, against the rule pair by pair: random signatures sharing many hashes, and every
    group's second kept passage empty (a passage of punctuation alone), which nothing duplicates."""
    rng = np.random.default_rng(3)
    pool = rng.choice(2**32, size=150, replace=False).astype(SIGNATURE_DTYPE)
    sizes = [0 if number % 30 == 1 else int(rng.integers(1, 120)) for number in range(300)]
    blobs = [to_blob(np.unique(rng.choice(pool, size=size))) for size in sizes]
    outcomes: set[int] = set()
    for start in range(0, 300, 30):
        kept, candidates = blobs[start : start + 12], blobs[start + 12 : start + 30]
        expected = [
            next((j for j, k in enumerate(kept) if near_duplicate(from_blob(c), from_blob(k))), -1)
            for c in candidates
        ]
        assert first_near_duplicates(candidates, kept) == expected
        outcomes.update(min(found, 1) for found in expected)
    assert outcomes == {-1, 0, 1}, "folded into the first kept, a later one, and into none"
    assert first_near_duplicates([], blobs[:3]) == [] and first_near_duplicates(blobs[:2], []) == [-1, -1]


def test_four_grams_differing_in_one_character_hash_apart() -> None:
    text = "改革开放改革开发改革开展改革开拓深化改革深化改造"
    four_grams = {text[i : i + 4] for i in range(len(text) - 3)}
    assert len(from_blob(search_columns(text)[1])) == len(four_grams)
