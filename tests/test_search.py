"""The searcher over a real index: ranking per mode, filters, paging, collapsing, highlights, context."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from index_fixture import REPORTS, BuiltIndex

from indexer.errors import InvalidInput, UnknownChunk
from indexer.index import Index
from indexer.ingest.pipeline import ingest_paths
from indexer.records import Filters, Hit
from indexer.search import searcher
from indexer.search.highlight import MAX_LONG_QUERY_SPANS, highlight_spans
from indexer.search.searcher import SearchOptions, fuse, keyword_weight, min_max


def top(index: Index, query: str, **options: object) -> list[str]:
    return [hit.chunk.text for hit in index.search(query, SearchOptions(**options)).hits]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "query", "expected"),
    [
        ("keyword", "安全生产责任制", "必须持之以恒抓好安全生产"),
        ("semantic", "农民的承包地确权和集体产权改革", "扎实推进农村改革发展"),
        ("hybrid", "一带一路 互联互通", "推动高质量共建“一带一路”"),
        ("hybrid", "存款保险制度和银行改革", "加快金融体制改革"),
    ],
)
def test_each_mode_puts_the_right_passage_first(
    built_index: BuiltIndex, mode: str, query: str, expected: str
) -> None:
    assert expected in top(built_index.index, query, mode=mode, k=3)[0]


def test_hybrid_spreads_over_reports_and_highlights_the_terms(built_index: BuiltIndex) -> None:
    page = built_index.index.search("对外开放", SearchOptions(k=10))
    assert len({hit.document.doc_id for hit in page.hits}) >= 3
    first = page.hits[0]
    assert "开放" in first.chunk.text
    assert first.highlights and all(
        first.chunk.text[s:e] in ("对外开放", "开放", "对外") for s, e in first.highlights
    )


def test_filters_restrict_years_types_and_documents(built_index: BuiltIndex) -> None:
    index = built_index.index
    recent = index.search("改革", SearchOptions(k=20, filters=Filters(year_from=2024)))
    assert recent.hits and {hit.document.year for hit in recent.hits} <= {2024, 2025}
    old = index.search("改革", SearchOptions(mode="semantic", k=20, filters=Filters(year_to=2010)))
    assert old.hits and {hit.document.year for hit in old.hits} == {2008}
    one = recent.hits[0].document.doc_id
    only = index.search("改革", SearchOptions(k=20, filters=Filters(doc_ids=(one,))))
    assert {hit.document.doc_id for hit in only.hits} == {one}
    without = index.search("改革", SearchOptions(k=20, filters=Filters(exclude_doc_ids=(one,))))
    assert one not in {hit.document.doc_id for hit in without.hits}
    none = index.search("改革", SearchOptions(k=20, filters=Filters(doc_types=("讲话",))))
    assert none.hits == [] and none.total == 0


def test_pages_follow_each_other(built_index: BuiltIndex) -> None:
    index = built_index.index
    whole = index.search("发展", SearchOptions(k=6))
    first = index.search("发展", SearchOptions(k=3))
    second = index.search("发展", SearchOptions(k=3, offset=3))
    ids = [hit.chunk.chunk_id for hit in first.hits + second.hits]
    assert ids == [hit.chunk.chunk_id for hit in whole.hits] and len(set(ids)) == 6
    assert whole.total >= 6


def test_more_is_exact_and_total_is_exact_without_more(built_index: BuiltIndex) -> None:
    index = built_index.index
    options = SearchOptions(mode="keyword", k=100)
    everything = index.search("金融体制改革", options)
    count = len(everything.hits)
    assert 2 <= count < 100 and not everything.more and everything.total == count
    exact = index.search("金融体制改革", replace(options, k=count))
    assert (exact.more, exact.total) == (False, count)
    short = index.search("金融体制改革", replace(options, k=count - 1))
    assert (short.more, short.total) == (True, count)


def test_per_document_cap(built_index: BuiltIndex) -> None:
    capped = built_index.index.search("改革开放", SearchOptions(k=5, per_document=1))
    documents = [hit.document.doc_id for hit in capped.hits]
    assert len(documents) == len(set(documents)) == 5


@pytest.mark.parametrize("window", [searcher.COLLAPSE_WINDOW, 1])
def test_near_duplicates_collapse_into_one_hit(
    writable_index: BuiltIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    """An exact copy and a near copy fold into the template; read one candidate at a time, every copy is
    judged against passages kept in earlier windows (all pairs at once) rather than one by one."""
    monkeypatch.setattr(searcher, "COLLAPSE_WINDOW", window)
    index = writable_index.index
    template = next(
        c for _, chunks in ingest_paths([REPORTS]).documents for c in chunks if "加快金融体制改革" in c.text
    )
    folder = tmp_path / "copies"
    folder.mkdir()
    (folder / "某市工作总结.txt").write_text(f"某市2024年工作总结\n\n{template.text}\n", encoding="utf-8")
    near = f"某县2024年工作总结\n\n{template.text}全县新设金融机构三家。\n"
    (folder / "某县工作总结.txt").write_text(near, encoding="utf-8")
    index.sync(ingest_paths([folder]))
    query = "加快金融体制改革 存款保险制度"
    collapsed = index.search(query, SearchOptions(mode="keyword", k=5))
    assert collapsed.hits[0].duplicates == 2
    assert sum("存款保险制度" in hit.chunk.text for hit in collapsed.hits) == 1
    expanded = index.search(query, SearchOptions(mode="keyword", k=5, dedupe=False))
    assert sum("存款保险制度" in hit.chunk.text for hit in expanded.hits) == 3


def test_context_brings_neighbouring_chunks(built_index: BuiltIndex) -> None:
    hit = built_index.index.search("存款保险制度", SearchOptions(k=1, context=1)).hits[0]
    assert [c.ordinal for c in hit.before] == [hit.chunk.ordinal - 1]
    assert [c.ordinal for c in hit.after] == [hit.chunk.ordinal + 1]
    assert hit.chunk.heading_path == ("（五）深化经济体制改革，提高对外开放水平",)


def test_similar_paragraphs_come_from_other_documents(built_index: BuiltIndex) -> None:
    index = built_index.index
    source = index.search("积极有效利用外资", SearchOptions(k=1)).hits[0]
    similar = index.similar(source.chunk.chunk_id, SearchOptions(k=5))
    assert similar.hits and all(hit.document.doc_id != source.document.doc_id for hit in similar.hits)
    assert any("外资" in hit.chunk.text or "开放" in hit.chunk.text for hit in similar.hits[:2])
    with pytest.raises(UnknownChunk):
        index.similar("0" * 16, SearchOptions())


def test_pasted_paragraph_finds_its_theme(built_index: BuiltIndex) -> None:
    draft = (
        "我市将持续扩大高水平对外开放，稳外贸稳外资，"
        "支持企业开拓多元化市场，优化跨境结算服务，促进跨境电商发展。"
    )
    assert "推动外贸质升量稳" in top(built_index.index, draft, k=3)[0]


GENERIC_WORDS = ("推动", "扩大", "持续", "积极", "加快", "发展", "建设")
DRAFT = (
    "我们要推动经济高质量发展，积极扩大有效投资，持续扩大内需，加快建设现代化产业体系，"
    "促进消费和就业，全面推进乡村振兴，优化营商环境，持续加大招商引资力度。"
)


def marked(hit: Hit) -> list[str]:
    return [hit.chunk.text[start:end] for start, end in hit.highlights]


def test_a_pasted_paragraph_highlights_its_distinctive_terms_only(built_index: BuiltIndex) -> None:
    hits = built_index.index.search(DRAFT, SearchOptions(k=10)).hits
    assert hits
    assert all(len(hit.highlights) <= MAX_LONG_QUERY_SPANS for hit in hits)
    spans = [text for hit in hits for text in marked(hit)]
    assert [text for text in spans if text in GENERIC_WORDS] == []
    assert {"内需", "就业", "营商环境", "乡村振兴", "消费"} & set(spans)
    # The same passages found by a few words mark those words wherever they occur.
    short = built_index.index.search("扩大内需", SearchOptions(k=5)).hits
    assert any("扩大" in marked(hit) or "扩大内需" in marked(hit) for hit in short)


def test_similar_paragraphs_mark_a_few_distinctive_spans(built_index: BuiltIndex) -> None:
    index = built_index.index
    source = max(
        index.search("推动", SearchOptions(k=20, mode="keyword")).hits, key=lambda hit: len(hit.chunk.text)
    )
    similar = index.similar(source.chunk.chunk_id, SearchOptions(k=5)).hits
    assert similar and all(len(hit.highlights) <= MAX_LONG_QUERY_SPANS for hit in similar)
    assert [text for hit in similar for text in marked(hit) if text in GENERIC_WORDS] == []


def test_highlight_spans_keep_the_heaviest_terms_in_text_order() -> None:
    weights = {"推动": 1.0, "甲乙": 2.0, "丙丁": 5.0, "戊己": 4.0}
    assert highlight_spans("推动。甲乙。丙丁。戊己", weights, max_spans=2) == ((6, 8), (9, 11))
    assert highlight_spans("推动。甲乙。丙丁。戊己", weights) == ((0, 2), (3, 5), (6, 8), (9, 11))
    # Overlapping and touching terms merge into one span.
    assert highlight_spans("推动甲乙，推动丙丁", {"推动": 1.0, "推动甲": 2.0, "丙丁": 1.0}) == (
        (0, 3),
        (5, 9),
    )


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_queries_are_refused(built_index: BuiltIndex, query: str) -> None:
    with pytest.raises(InvalidInput):
        built_index.index.search(query, SearchOptions())


def test_fusion_keeps_score_gaps_and_shifts_with_query_length() -> None:
    keyword = [(1, 10.0), (2, 9.0), (3, 1.0)]
    semantic = [(3, 0.9), (2, 0.8), (4, 0.1)]
    assert min_max(keyword) == {1: 1.0, 2: 8 / 9, 3: 0.0}
    assert [row for row, _ in fuse(keyword, semantic, 0.6)] == [2, 1, 3, 4]
    assert keyword_weight("招商引资") > keyword_weight("招商" * 30)


@pytest.mark.shared
@pytest.mark.slow
def test_investment_attraction_across_five_reports(corpus_index: Index) -> None:
    page = corpus_index.search("招商引资", SearchOptions(k=10))
    on_topic = [hit for hit in page.hits if "招商" in hit.chunk.text or "引资" in hit.chunk.text]
    assert len(on_topic) >= 8
    assert len({hit.document.doc_id for hit in on_topic}) >= 5
