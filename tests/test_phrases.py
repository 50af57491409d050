"""Phrase candidates, corpus-wide mining and topic phrases over a catalog's phrase statistics."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from phrase_catalog import add_documents, chunks_containing, open_catalog
from shared import shared_dir

from indexer.errors import InvalidInput, UnknownDocument
from indexer.index import Index
from indexer.ingest.pipeline import ingest_paths
from indexer.phrases.candidates import Kind, find_candidates, is_excluded
from indexer.phrases.mining import mine_phrases
from indexer.phrases.statistics import corpus_phrase_counts, phrase_tally, store_phrase_stats
from indexer.phrases.topics import topic_phrases
from indexer.text.normalize import normalize_for_search
from indexer.text.tokenize import cut_words

FIXTURES = Path(__file__).parent / "data" / "phrases"
# Planted in the fixture reports: in three documents, in one document (three times), in two as a series.
IN_THREE_DOCUMENTS = "飞地孵化器"
IN_ONE_DOCUMENT = "共富工坊"
SERIES_IN_TWO_DOCUMENTS = "苦干实干、勇毅前行、接续奋斗"


def candidate_kinds(text: str) -> dict[str, Kind]:
    """Each phrase candidate of `text`, as written there, with its kind."""
    candidates = find_candidates(text)
    return {text[start:end]: kind for start, end, kind, _ in candidates.occurrences if kind is not Kind.PART}


@pytest.mark.parametrize(
    ("text", "phrase", "kind"),
    [
        (
            "全县上下苦干实干、勇毅前行、接续奋斗，经济运行稳中向好。",
            "苦干实干、勇毅前行、接续奋斗",
            Kind.SERIES,
        ),
        ("全县上下苦干实干、勇毅前行、接续奋斗，经济运行稳中向好。", "勇毅前行", Kind.SERIES),
        ("一是产业发展提速。全年新签约项目十二个。", "产业发展提速", Kind.LIST),
        ("二是城乡面貌改善。完成老旧小区改造八个。", "城乡面貌改善", Kind.LIST),
        ("坚持以人民为中心的发展思想。", "以人民为中心", Kind.PATTERN),
        ("今年，我们要坚持以项目建设为抓手，强化要素保障。", "以项目建设为抓手", Kind.PATTERN),
        ("在以习近平同志为核心的党中央坚强领导下", "以习近平同志为核心", Kind.PATTERN),
        ("强化党性教育，厚植民生情怀，政府自身建设不断加强。", "强化党性教育，厚植民生情怀", Kind.PAIR),
        ("立足全市大局、把握发展大势，全力推动发展。", "立足全市大局、把握发展大势", Kind.PAIR),
        ("坚持招商引资“一把手”工程，借助开发区平台建设。", "招商引资“一把手”工程", Kind.NGRAM),
        ("常态化开展“一把手”招商、小分队招商。", "“一把手”招商", Kind.NGRAM),
        ("持续优化营商环境，深化放管服改革。", "优化营商环境", Kind.NGRAM),
        ("用好产业图谱和招商地图，开展精准招商。", "招商地图", Kind.NGRAM),
        ("推进以县城为重要载体的城镇化建设。", "以县城为重要载体", Kind.PATTERN),
        ("支持加工贸易提档升级，拓展中间品贸易、绿色贸易等新增长点。", "中间品贸易", Kind.NGRAM),
        ("持续优化营商环境、深化放管服改革。", "优化营商环境", Kind.NGRAM),  # a list of actions
    ],
)
def test_candidates_include_each_kind_of_formulation(text: str, phrase: str, kind: Kind) -> None:
    assert candidate_kinds(text).get(phrase) == kind


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("各地狠抓招商引资工作。", "商引资"),
        ("各地狠抓招商引资工作。", "招商引"),
        ("各地狠抓招商引资工作。", "资工作"),
        ("坚持招商引资“一把手”工程。", "招商引资“"),
        ("坚持招商引资“一把手”工程。", "引资“一把手”"),
        ("常态化开展以商招商、乡贤招商。", "商招商"),
        ("常态化开展以商招商、乡贤招商。", "贤招商"),
        ("常态化开展以商招商、乡贤招商。", "化开展"),
        ("推动经济社会的高质量发展。", "的高质量发展"),
        ("推动经济社会的高质量发展。", "社会的"),
        # a verb with the first item of the noun list it governs
        ("支持加工贸易提档升级，拓展中间品贸易、绿色贸易等新增长点。", "拓展中间品贸易"),
        ("支持加工贸易提档升级，拓展中间品贸易、绿色贸易等新增长点。", "拓展中间品"),
        ("全面实施跨境服务贸易负面清单。出台服务贸易、数字贸易创新发展政策。", "出台服务贸易"),
        # pieces of a 以…为… pattern
        ("推进以县城为重要载体的城镇化建设。", "以县城为重要"),
        ("推进以县城为重要载体的城镇化建设。", "县城为重要载体"),
        ("推进以县城为重要载体的城镇化建设。", "推进以县城"),
    ],
)
def test_no_candidate_is_cut_mid_word_or_starts_or_ends_with_a_function_word(
    text: str, fragment: str
) -> None:
    assert fragment not in candidate_kinds(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("招商引资、飞地经济、开发区建设等工作完成得都不错。", Kind.SERIES),  # two four-character items only
        ("坚持统一是前提，落实是关键。", Kind.LIST),  # 一是 inside 统一是
        ("坚持高标准、严要求，推动工作。", Kind.PAIR),  # clauses of unequal length
        ("全年完成投资，增长百分之五。", Kind.PAIR),  # equal length, different word shapes
    ],
)
def test_structures_are_not_found_where_there_are_none(text: str, kind: Kind) -> None:
    assert kind not in candidate_kinds(text).values()


@pytest.mark.parametrize(
    ("phrase", "excluded"),
    [
        ("各位代表", True),
        ("请予审议", True),
        ("并请全国政协委员提出意见", True),
        ("过去一年", True),
        ("过去五年", True),
        ("今后五年", True),
        ("一年来", True),
        ("四要推进贸易便利化", True),
        ("一是产业发展提速", True),
        ("招商引资", False),
        ("以人民为中心", False),
        ("办理人大代表建议", False),
        ("全年生产总值", False),
        ("五年规划", False),
    ],
)
def test_procedure_time_expressions_and_list_markers_are_never_offered(phrase: str, excluded: bool) -> None:
    assert is_excluded(phrase) is excluded


def test_every_span_starts_and_ends_on_a_word_boundary() -> None:
    text = (FIXTURES / "county_a.txt").read_text(encoding="utf-8")
    candidates = find_candidates(text)
    cuts = {0}
    for word in cut_words(candidates.text):
        cuts.add(max(cuts) + len(word))
    assert candidates.occurrences
    assert [
        candidates.text[start:end]
        for start, end, _, _ in candidates.occurrences
        if start not in cuts or end not in cuts
    ] == []


def test_spans_are_spans_of_the_text_as_written() -> None:
    text = "強化黨性教育，厚植民生情懷。"
    candidates = find_candidates(text)
    assert candidates.text == normalize_for_search(text)
    assert candidate_kinds(text)["強化黨性教育，厚植民生情懷"] is Kind.PAIR


# --- statistics and mining over the fixture reports -----------------------------------------------------


def fixture_catalog(path: Path) -> sqlite3.Connection:
    """A catalog of the four fixture reports, ingested as the indexer ingests them."""
    connection = open_catalog(path)
    add_documents(connection, ingest_paths([FIXTURES]).documents)
    return connection


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    connection = fixture_catalog(tmp_path_factory.mktemp("phrases") / "catalog.sqlite")
    yield connection
    connection.close()


def mined(connection: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    return {phrase.phrase: (phrase.doc_count, phrase.kind) for phrase in mine_phrases(connection)}


def statistics(connection: sqlite3.Connection) -> list[tuple[object, ...]]:
    """Every stored figure, keyed by document id rather than the internal document key."""
    return connection.execute(
        "SELECT d.doc_id, d.word_count, c.phrase, c.kind, c.count, c.splits, c.left_neighbours,"
        " c.right_neighbours FROM phrase_counts c JOIN phrase_documents d USING (doc_key)"
        " ORDER BY d.doc_id, c.phrase"
    ).fetchall()


def doc_id_of(connection: sqlite3.Connection, title_start: str) -> str:
    return connection.execute(
        "SELECT doc_id FROM documents WHERE title LIKE ?", (title_start + "%",)
    ).fetchone()[0]


def test_a_phrase_in_three_documents_is_mined(catalog: sqlite3.Connection) -> None:
    assert mined(catalog)[IN_THREE_DOCUMENTS] == (3, "ngram")


def test_a_phrase_in_one_document_is_not_mined_however_often_it_occurs(catalog: sqlite3.Connection) -> None:
    assert corpus_phrase_counts(catalog, [IN_ONE_DOCUMENT]) == {IN_ONE_DOCUMENT: (3, 1)}
    assert IN_ONE_DOCUMENT not in mined(catalog)
    assert mined(catalog)[SERIES_IN_TWO_DOCUMENTS] == (2, "series")


def test_deleting_a_document_leaves_exactly_the_statistics_of_the_others(tmp_path: Path) -> None:
    connection = fixture_catalog(tmp_path / "catalog.sqlite")
    removed = doc_id_of(connection, "甲县")
    connection.execute("DELETE FROM documents WHERE doc_id = ?", (removed,))
    assert corpus_phrase_counts(connection, [IN_THREE_DOCUMENTS]) == {IN_THREE_DOCUMENTS: (2, 2)}
    assert IN_THREE_DOCUMENTS not in mined(connection)
    assert SERIES_IN_TWO_DOCUMENTS not in mined(connection)

    rebuilt = open_catalog(tmp_path / "rebuilt.sqlite")
    add_documents(rebuilt, [item for item in ingest_paths([FIXTURES]).documents if item[0].doc_id != removed])
    assert statistics(connection) == statistics(rebuilt)
    assert mine_phrases(connection) == mine_phrases(rebuilt)


def test_updating_a_document_again_replaces_its_statistics(tmp_path: Path) -> None:
    connection = fixture_catalog(tmp_path / "catalog.sqlite")
    before = statistics(connection)
    doc_id = doc_id_of(connection, "乙县")
    texts = [text for (text,) in connection.execute("SELECT text FROM chunks WHERE doc_id = ?", (doc_id,))]
    store_phrase_stats(connection, doc_id, phrase_tally(texts))
    assert statistics(connection) == before
    store_phrase_stats(connection, doc_id, phrase_tally(["只剩一句：推行飞地孵化器。"]))
    assert corpus_phrase_counts(connection, [IN_THREE_DOCUMENTS]) == {IN_THREE_DOCUMENTS: (3, 3)}
    assert corpus_phrase_counts(connection, ["深化放管服改革"]) == {}


def test_statistics_of_an_unknown_document_are_refused(catalog: sqlite3.Connection) -> None:
    with pytest.raises(UnknownDocument):
        store_phrase_stats(catalog, "no-such-document", phrase_tally(["推行飞地孵化器。"]))


@pytest.mark.parametrize(("min_docs", "limit"), [(0, 10), (2, 0)])
def test_mining_refuses_meaningless_limits(catalog: sqlite3.Connection, min_docs: int, limit: int) -> None:
    with pytest.raises(InvalidInput):
        mine_phrases(catalog, min_docs=min_docs, limit=limit)


def test_a_phrase_used_once_in_the_corpus_is_a_topic_phrase(catalog: sqlite3.Connection) -> None:
    passages = chunks_containing(catalog, "招商")
    phrases = {phrase.phrase: phrase for phrase in topic_phrases(catalog, passages, k=20)}
    assert corpus_phrase_counts(catalog, ["以商招商"]) == {"以商招商": (1, 1)}
    found = phrases["以商招商"]
    assert (found.count, found.doc_count) == (1, 1)
    (example,) = found.examples
    assert example.chunk_id in {chunk_id for chunk_id, _, _ in passages}
    assert "开展敲门招商、以商招商" in example.sentence


def test_topic_phrases_refuse_a_meaningless_k_and_accept_no_passages(catalog: sqlite3.Connection) -> None:
    with pytest.raises(InvalidInput):
        topic_phrases(catalog, chunks_containing(catalog, "招商"), k=0)
    assert topic_phrases(catalog, []) == []


# --- the shared corpus -----------------------------------------------------------------------------------

KNOWN_GOOD = [
    # Each occurs in a ../shared/corpus chunk that mentions 招商 (checked with grep).
    "精准招商",
    "以商招商",
    "产业链招商",
    "乡贤招商",
    "招商地图",
    "小分队招商",
    "园区招商",
    "“一把手”招商",
    "招商引资“一把手”工程",
    "飞地经济",
]
FRAGMENTS = [
    "商引资",
    "招商引",
    "资工作",
    "引资“",
    "招商引资“",
    "商招商",
    "链招商",
    "贤招商",
    "准招商",
    "商地图",
]


@pytest.mark.shared
@pytest.mark.slow
def test_topic_phrases_for_investment_attraction_are_real_formulations(corpus_index: Index) -> None:
    top = corpus_index.topic_phrases("招商引资", k=20)
    phrases = [phrase.phrase for phrase in top]
    assert len([phrase for phrase in KNOWN_GOOD if phrase in phrases]) >= 5, phrases
    assert [phrase for phrase in phrases if phrase in FRAGMENTS] == []
    for phrase in top:
        assert 1 <= len(phrase.examples) <= 3
        assert len({example.chunk_id for example in phrase.examples}) == len(phrase.examples)
        for example in phrase.examples:
            assert phrase.phrase in example.sentence
            passage = corpus_index.chunk(example.chunk_id, context=0).chunk
            assert passage.doc_id == example.doc_id
            assert example.sentence.strip("…") in passage.text


@pytest.mark.shared
@pytest.mark.slow
def test_mining_the_corpus_finds_fixed_formulations(corpus_index: Index) -> None:
    found = {phrase.phrase: phrase for phrase in corpus_index.mined_phrases(limit=5000)}
    for phrase, kind in [
        ("全面建成小康社会", "ngram"),
        ("转变政府职能", "ngram"),
        ("城镇新增就业", "ngram"),
        ("以经济建设为中心", "pattern"),
        ("以人民为中心", "pattern"),
        ("政治合格、军事过硬、作风优良、纪律严明、保障有力", "series"),
    ]:
        assert found[phrase].kind == kind
        assert found[phrase].doc_count >= 2


@pytest.fixture(scope="module")
def corpus_phrases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    """Phrase statistics of all of ../shared/corpus, without the model (ingest and count only)."""
    connection = open_catalog(tmp_path_factory.mktemp("corpus-phrases") / "catalog.sqlite")
    add_documents(connection, ingest_paths([shared_dir() / "corpus"]).documents)
    yield connection
    connection.close()


PROCEDURE_AND_FRAGMENTS = [
    "各位代表",
    "请予审议",
    "过去一年",
    "过去五年",
    "以县城为重要",
    "出台服务贸易",
    "拓展中间品贸易",
]


@pytest.mark.shared
@pytest.mark.slow
def test_corpus_mining_offers_no_procedure_and_no_fragments(corpus_phrases: sqlite3.Connection) -> None:
    found = {
        phrase.phrase: (phrase.doc_count, phrase.kind) for phrase in mine_phrases(corpus_phrases, limit=5000)
    }
    assert [phrase for phrase in PROCEDURE_AND_FRAGMENTS if phrase in found] == []
    assert found["以县城为重要载体"] == (2, "pattern")
    assert not any(is_excluded(phrase) for phrase in found)


@pytest.mark.shared
@pytest.mark.slow
def test_topic_phrases_of_trade_keep_items_not_their_verbs(corpus_phrases: sqlite3.Connection) -> None:
    top = [
        phrase.phrase
        for phrase in topic_phrases(corpus_phrases, chunks_containing(corpus_phrases, "服务贸易"))
    ]
    assert "中间品贸易" in top and "数字贸易" in top
    assert [phrase for phrase in top if phrase in PROCEDURE_AND_FRAGMENTS or is_excluded(phrase)] == []
