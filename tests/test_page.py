"""The page for writers in a real headless Chromium (Debian's package, driven by playwright)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_client import settings_for
from index_fixture import BuiltIndex
from live_server import serve_in_thread
from playwright.sync_api import Page, expect

from service.app import create_app

pytestmark = pytest.mark.slow

PASTED = "加大招商引资力度，积极承接产业转移，推动一批重大项目落地见效，持续优化外商投资环境。"


@pytest.fixture(scope="module")
def base_url(built_index: BuiltIndex, model_dir: Path) -> Iterator[str]:
    app = create_app(settings_for(built_index.index_dir, model_dir), built_index.index)
    with serve_in_thread(app) as url:
        yield url


def search(page: Page, words: str) -> None:
    page.fill("#query", words)
    page.click("#search-button")
    expect(page.locator(".result").first).to_be_visible()


def test_search_shows_highlighted_results_with_their_source(page: Page) -> None:
    search(page, "招商引资")
    first = page.locator(".result").first
    expect(first.locator("mark", has_text="招商引资").first).to_be_visible()
    expect(first.locator(".source .title")).to_contain_text("政府工作报告")
    expect(first.locator(".source .meta")).to_contain_text("年")
    assert "q=" in page.url


def test_hit_count_line_says_what_the_server_knows(page: Page) -> None:
    # Hybrid search always has more candidates past the first page: the line says so, the pager turns.
    search(page, "招商引资")
    expect(page.locator("#summary")).to_have_text("第 1–10 个段落，后面还有")
    page.click("#next-page")
    expect(page.locator("#summary")).to_contain_text("第 11–")
    expect(page.locator("#previous-page")).to_be_enabled()
    # Keyword search for a rare term ends on the first page: the line gives the exact count, no pager.
    page.get_by_role("radiogroup", name="检索方式").get_by_text("关键词").click()
    search(page, "跨境电商")
    expect(page.locator("#summary")).to_have_text(re.compile(r"^共 \d 个段落$"))
    expect(page.locator("#pager")).to_be_hidden()


def test_find_similar_shows_paragraphs_from_other_reports(page: Page) -> None:
    search(page, "招商引资")
    first = page.locator(".result").first
    source = first.get_attribute("data-doc-id")
    first.get_by_role("button", name="查找相似").click()
    similar = first.locator(".similar-hit")
    expect(similar.first).to_be_visible()
    others = {similar.nth(i).get_attribute("data-doc-id") for i in range(similar.count())}
    assert others and source not in others
    expect(first.locator(".similar-results h3")).to_have_text("其他报告中的相似段落")


def test_document_view_shows_the_passage_in_context(page: Page) -> None:
    search(page, "招商引资")
    first = page.locator(".result").first
    passage = first.locator(".passage").inner_text()
    first.get_by_role("button", name="查看上下文").click()
    reader = page.locator("#reader")
    expect(reader).to_be_visible()
    expect(reader.locator(".current")).to_contain_text(passage.split("。")[0])
    assert reader.locator(".reader-body .chunk").count() > 1
    page.keyboard.press("Escape")
    expect(reader).to_be_hidden()


def test_pasted_paragraph_and_filters(page: Page) -> None:
    page.get_by_role("button", name="粘贴一段文字查找").click()
    page.fill(
        "#paste", "加大招商引资力度，积极承接产业转移，推动一批重大项目落地见效，持续优化外商投资环境。"
    )
    page.fill("#year-from", "2020")
    page.click("#paste-button")
    results = page.locator(".result")
    expect(results.first).to_be_visible()
    years = [int(text.split("年")[0]) for text in results.locator(".source .meta").all_inner_texts()]
    assert years and min(years) >= 2020


def test_a_failed_search_says_why(page: Page) -> None:
    page.fill("#year-from", "2030")
    page.fill("#year-to", "2020")
    page.fill("#query", "招商引资")
    page.click("#search-button")
    expect(page.locator("#notice")).to_contain_text("year_to")
