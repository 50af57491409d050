"""The 素材库 on the page in a real headless Chromium: add from a result, topic phrases, the bank panel."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_client import settings_for
from index_fixture import BuiltIndex
from live_server import serve_in_thread
from playwright.sync_api import Locator, Page, expect

from service.app import create_app

pytestmark = pytest.mark.slow

TOPIC = "招商引资"
MAX_PHRASE_CHARS = 200
SENTENCE_ENDS = "。！？；"


@pytest.fixture
def base_url(built_index: BuiltIndex, model_dir: Path, tmp_path: Path) -> Iterator[str]:
    """A server over the shared index with an empty bank of this test's own."""
    settings = settings_for(built_index.index_dir, model_dir, bank_file=tmp_path / "bank.sqlite")
    with serve_in_thread(create_app(settings, built_index.index)) as url:
        yield url


def search(page: Page, words: str) -> None:
    page.fill("#query", words)
    page.click("#search-button")
    expect(page.locator(".result").first).to_be_visible()
    expect(page.locator("#topics .chip").first).to_be_visible()


def bank_entries(page: Page) -> list[dict]:
    response = page.request.get("/bank")
    assert response.ok
    entries: list[dict] = response.json()["entries"]
    return entries


def one_line(text: str) -> str:
    return "".join(line.strip() for line in text.splitlines())


def first_match(passage: Locator) -> str:
    """The passage's first highlighted run; empty for a semantic hit with none."""
    marks = passage.locator("mark")
    return marks.first.inner_text() if marks.count() else ""


def assert_saved_from_passage(phrase: str, passage: str, first_match: str) -> None:
    """Without a selection the passage itself is saved, or where it is longer than a phrase may be, the
    whole sentence with its first highlighted match (the first sentence without one): never the query."""
    line = one_line(passage)
    if len(line) <= MAX_PHRASE_CHARS:
        assert phrase == line
        return
    assert phrase in line and first_match in phrase and phrase != first_match
    before, after = line.split(phrase, 1)
    assert first_match or not before, phrase
    assert (not before or before[-1] in SENTENCE_ENDS) and (not after or phrase[-1] in SENTENCE_ENDS), phrase


def test_add_a_phrase_from_a_result_with_one_click_and_see_it_in_the_bank(page: Page) -> None:
    search(page, TOPIC)
    first = page.locator(".result").first
    chunk_id = first.get_attribute("data-chunk-id")
    passage = first.locator(".passage").text_content() or ""
    first.get_by_role("button", name="加入素材库").click()
    expect(first.locator(".add-to-bank")).to_have_text("已加入素材库")
    expect(page.locator("#bank-count")).to_have_text("1")

    [entry] = bank_entries(page)
    assert entry["source_chunk_id"] == chunk_id
    assert entry["tags"] == [TOPIC]
    assert_saved_from_passage(entry["phrase"], passage, first_match(first.locator(".passage")))

    page.click("#open-bank")
    saved = page.locator("#bank .bank-entry")
    expect(saved).to_have_count(1)
    expect(saved.locator(".bank-phrase")).to_have_text(entry["phrase"])
    expect(saved.locator(".tag")).to_have_text([TOPIC])
    saved.get_by_role("button", name="查看出处").click()
    expect(page.locator("#reader .current")).to_have_attribute("data-chunk-id", chunk_id or "")


def test_the_selected_text_is_what_is_added(page: Page) -> None:
    search(page, TOPIC)
    first = page.locator(".result").first
    selected = first.locator(".passage").evaluate(
        """(passage) => {
            const first = passage.firstChild;
            const text = first.nodeType === Node.TEXT_NODE ? first : first.firstChild;
            const range = document.createRange();
            range.setStart(text, 0);
            range.setEnd(text, Math.min(8, text.length));
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return selection.toString();
        }"""
    )
    assert selected
    first.get_by_role("button", name="加入素材库").click()
    expect(first.locator(".add-to-bank")).to_have_text("已加入素材库")
    assert [entry["phrase"] for entry in bank_entries(page)] == [selected.strip()]


def test_a_phrase_already_in_the_bank_is_said_so(page: Page) -> None:
    search(page, TOPIC)
    first = page.locator(".result").first
    first.get_by_role("button", name="加入素材库").click()
    expect(first.locator(".add-to-bank")).to_have_text("已加入素材库")
    page.reload()
    expect(page.locator(".result").first).to_be_visible()  # the address kept the query
    page.locator(".result").first.get_by_role("button", name="加入素材库").click()
    expect(page.locator(".result").first.locator(".add-to-bank")).to_have_text("已在素材库中")
    assert len(bank_entries(page)) == 1


def test_topic_phrases_show_examples_that_open_in_context(page: Page) -> None:
    search(page, TOPIC)
    expect(page.locator("#topics summary")).to_contain_text("主题表达")
    chip = page.locator("#topics .chip").first
    phrase = chip.inner_text()
    chip.click()
    expect(chip).to_have_attribute("aria-pressed", "true")
    example = page.locator("#topics .examples-list li").first
    expect(example.locator("mark").first).to_have_text(phrase)
    chunk_id = example.get_attribute("data-chunk-id")
    example.get_by_role("button").click()
    reader = page.locator("#reader")
    expect(reader).to_be_visible()
    expect(reader.locator(".current")).to_have_attribute("data-chunk-id", chunk_id or "")
    expect(reader.locator(".current")).to_contain_text(phrase)
    page.keyboard.press("Escape")
    expect(reader).to_be_hidden()

    page.locator("#topics .topic-detail").get_by_role("button", name="加入素材库").click()
    expect(page.locator("#topics .topic-detail .add-to-bank")).to_have_text("已加入素材库")
    [entry] = bank_entries(page)
    assert (entry["phrase"], entry["tags"]) == (phrase, [TOPIC])


def test_bank_panel_filters_by_tag_deletes_and_exports(page: Page) -> None:
    for phrase, tags in [("精准招商", ["招商引资"]), ("以商招商", ["招商引资"]), ("苦干实干", ["作风"])]:
        assert page.request.post("/bank", data={"phrase": phrase, "tags": tags}).status == 201
    page.reload()
    expect(page.locator("#bank-count")).to_have_text("3")
    page.click("#open-bank")
    entries = page.locator("#bank .bank-entry .bank-phrase")
    expect(entries).to_have_text(["苦干实干", "以商招商", "精准招商"])

    page.select_option("#bank-tag", "招商引资")
    expect(entries).to_have_text(["以商招商", "精准招商"])
    expect(page.locator("#bank-meta")).to_have_text("2 / 3 条")

    remove = page.locator("#bank .bank-entry").first.get_by_role("button", name="删除")
    remove.click()
    expect(page.locator("#bank .bank-entry").first.locator(".remove")).to_have_text("确认删除")
    page.locator("#bank .bank-entry").first.locator(".remove").click()
    expect(entries).to_have_text(["精准招商"])
    assert [entry["phrase"] for entry in bank_entries(page)] == ["苦干实干", "精准招商"]

    href = page.get_by_role("link", name="CSV").get_attribute("href")
    exported = page.request.get(href or "")
    assert exported.headers["content-disposition"] == 'attachment; filename="phrasebank.csv"'
    assert "精准招商" in exported.text() and "以商招商" not in exported.text()
    page.keyboard.press("Escape")
    expect(page.locator("#bank")).to_be_hidden()


def test_every_result_saves_its_own_passage_not_the_query(page: Page) -> None:
    search(page, TOPIC)
    results = page.locator(".result")
    saved: dict[str, tuple[str, str]] = {}
    for i in range(results.count()):
        result = results.nth(i)
        passage = result.locator(".passage")
        saved[result.get_attribute("data-chunk-id") or ""] = (
            passage.text_content() or "",
            first_match(passage),
        )
        result.get_by_role("button", name="加入素材库").click()
        expect(result.locator(".add-to-bank")).to_have_text("已加入素材库")
    entries = bank_entries(page)
    assert {entry["source_chunk_id"] for entry in entries} == set(saved)
    for entry in entries:
        assert_saved_from_passage(entry["phrase"], *saved[entry["source_chunk_id"]])
    lengths = {len(one_line(passage)) > MAX_PHRASE_CHARS for passage, _ in saved.values()}
    assert lengths == {True, False}  # both rules were exercised: whole passages and sentences


def test_topic_examples_name_the_report_they_come_from(page: Page) -> None:
    search(page, TOPIC)
    page.locator("#topics .chip").first.click()
    examples = page.locator("#topics .examples-list li")
    expect(examples.first).to_be_visible()
    for i in range(examples.count()):
        example = examples.nth(i)
        chunk = page.request.get(f"/chunks/{example.get_attribute('data-chunk-id')}?context=0").json()
        title = chunk["document"]["title"]
        expect(example.locator(".example-source")).to_have_text(re.compile(f"^—— {re.escape(title)}"))
        if str(chunk["document"]["year"]) not in title:
            expect(example.locator(".example-source")).to_contain_text(f"{chunk['document']['year']}年")


def test_similar_paragraphs_open_in_context_and_go_into_the_bank(page: Page) -> None:
    search(page, TOPIC)
    page.locator(".result").first.get_by_role("button", name="查找相似").click()
    similar = page.locator(".similar-hit").first
    expect(similar).to_be_visible()
    chunk_id = similar.get_attribute("data-chunk-id")
    text = similar.locator(".passage").text_content() or ""

    similar.get_by_role("button", name="查看上下文").click()
    reader = page.locator("#reader")
    expect(reader.locator(".current")).to_have_attribute("data-chunk-id", chunk_id or "")
    page.keyboard.press("Escape")
    expect(reader).to_be_hidden()

    similar.get_by_role("button", name="加入素材库").click()
    expect(similar.locator(".add-to-bank")).to_have_text("已加入素材库")
    [entry] = bank_entries(page)
    assert entry["source_chunk_id"] == chunk_id
    assert entry["phrase"] in one_line(text) and entry["phrase"] != TOPIC
