"""Query analysis: a request is searched by its topic; topics and pasted paragraphs are searched as typed."""

from __future__ import annotations

import pytest
from index_fixture import BuiltIndex

from indexer.records import Mode
from indexer.search.query import AnalysedQuery, QueryKind, analyse
from indexer.search.searcher import SearchOptions


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("请问招商引资", "招商引资"),
        ("怎样写好数字经济这部分", "数字经济"),
        ("如何表述优化营商环境", "优化营商环境"),
        ("请帮我找一下乡村振兴方面的相关表述", "乡村振兴"),
        ("怎样扩大对外开放？", "扩大对外开放"),
        ("怎样 科技创新 创新驱动发展", "科技创新 创新驱动发展"),
    ],
)
def test_a_request_is_searched_by_its_topic(query: str, topic: str) -> None:
    assert analyse(query) == AnalysedQuery(topic, QueryKind.REQUEST)


@pytest.mark.parametrize(
    "query",
    [
        "招商引资",
        "科技创新 创新驱动发展",
        "党风廉政建设和政府自身建设",
        "新材料产业",  # 材料 inside the topic, not at its edge
        "中国特色社会主义",
        "怎样",  # request words alone: searched as typed
        "招商引资有哪些具体举措",  # the kind of passage asked for (举措) says what they are about
        "脱贫攻坚取得的成效",
    ],
)
def test_a_topic_is_searched_as_typed(query: str) -> None:
    assert analyse(query) == AnalysedQuery(query, QueryKind.TERM)


def test_a_pasted_paragraph_is_left_whole_even_when_it_asks() -> None:
    paragraph = (
        "如何推动外贸质升量稳？加强进出口信贷和出口信保支持，优化跨境结算、汇率风险管理等服务，"
        "支持企业稳订单拓市场。"
    )
    assert analyse(paragraph) == AnalysedQuery(paragraph, QueryKind.PASSAGE)


@pytest.mark.parametrize("mode", list(Mode))
def test_a_request_ranks_the_passages_of_its_topic(built_index: BuiltIndex, mode: Mode) -> None:
    def ranked(query: str) -> list[str]:
        page = built_index.index.search(query, SearchOptions(mode=mode, k=10))
        return [hit.chunk.chunk_id for hit in page.hits]

    assert ranked("请帮我找一下国有企业改革方面的相关表述") == ranked("国有企业改革")
    assert ranked("怎样写好对外开放这部分") == ranked("对外开放")
