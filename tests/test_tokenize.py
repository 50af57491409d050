"""Word segmentation shared by the keyword index, queries and phrase mining (indexer/tokenize.py)."""

from __future__ import annotations

import pytest

from indexer.text.rules import rule_lines
from indexer.text.tokenize import cut_words, stopwords, tokenize_for_search

USER_TERMS = [line.split()[0] for line in rule_lines("userdict.txt")]


@pytest.mark.parametrize(
    ("text", "present"),
    [
        ("深化放管服改革，优化营商环境", ["深化", "放管服改革", "优化", "营商环境"]),
        ("招商引资", ["招商引资", "招商", "引资"]),
        ("开展以商招商、精准招商", ["以商招商", "精准招商", "招商", "开展"]),
        ("坚持稳中求进工作总基调", ["稳中求进", "工作", "基调"]),
        ("加快发展新质生产力", ["新质生产力", "加快"]),
        ("2024年gdp增长5%", ["2024", "gdp", "增长", "5"]),
    ],
)
def test_search_terms_include_words_and_their_parts(text: str, present: list[str]) -> None:
    terms = tokenize_for_search(text)
    assert [term for term in present if term not in terms] == []


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("我们的工作和任务", ["我们", "的", "和"]),
        ("坚持稳中求进，推动高质量发展。", ["，", "。"]),
        ("产业链 招商\n地图", [" ", "\n"]),
    ],
)
def test_search_terms_drop_stopwords_punctuation_and_blanks(text: str, absent: list[str]) -> None:
    assert set(absent).isdisjoint(tokenize_for_search(text))


@pytest.mark.parametrize("text", ["", "，。、！？……", "   \n\t"])
def test_text_without_words_gives_no_terms(text: str) -> None:
    assert tokenize_for_search(text) == []


@pytest.mark.parametrize(
    ("query", "passage"),
    [
        ("营商环境", "持续优化营商环境，深化放管服改革。"),
        ("乡村振兴", "全面推进乡村振兴，加快建设农业强国。"),
        ("招商", "常态化开展“一把手”招商、小分队招商、产业链招商、以商招商。"),
        ("招商引资", "坚持招商引资“一把手”工程，借助开发区平台建设。"),
    ],
)
def test_query_terms_are_found_among_the_terms_of_a_passage_that_uses_them(query: str, passage: str) -> None:
    passage_terms = set(tokenize_for_search(passage))
    assert set(tokenize_for_search(query)) <= passage_terms


@pytest.mark.parametrize("term", USER_TERMS)
def test_every_user_dictionary_term_is_kept_whole(term: str) -> None:
    assert cut_words(term) == [term]
    assert term in tokenize_for_search(term)


def test_user_dictionary_and_stopwords_are_real_lists() -> None:
    assert len(USER_TERMS) >= 150
    assert len(set(USER_TERMS)) == len(USER_TERMS)
    assert {"的", "和", "我们"} <= stopwords()
    # Verbs that formulations are built from are not stopwords.
    assert {"加强", "推进", "坚持", "优化", "深化"}.isdisjoint(stopwords())


@pytest.mark.parametrize(
    "text",
    ["常态化开展“一把手”招商、小分队招商。\n二是 项目建设成效显著 2024年", "ＡＢＣ１２３，全角", ""],
)
def test_cut_words_covers_the_text_exactly(text: str) -> None:
    assert "".join(cut_words(text)) == text
