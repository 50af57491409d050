"""The API docs pages in a real headless Chromium with every request off this machine refused: they must
render from the server's own files (a CDN-loaded Swagger UI is a blank page without internet)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from api_client import settings_for
from index_fixture import BuiltIndex
from live_server import TIMEOUT_MS, serve_in_thread
from playwright.sync_api import Browser, Page, Route, expect

from service.app import create_app

pytestmark = pytest.mark.slow

LOOPBACK = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def base_url(built_index: BuiltIndex, model_dir: Path) -> Iterator[str]:
    app = create_app(settings_for(built_index.index_dir, model_dir), built_index.index)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def refused() -> list[tuple[str, str]]:
    """(resource type, address) of each request the page made off this machine (each was refused)."""
    return []


@pytest.fixture
def offline_page(browser: Browser, base_url: str, refused: list[tuple[str, str]]) -> Iterator[Page]:
    """A tab that reaches only the test server: any other request is aborted and recorded."""
    context = browser.new_context(base_url=base_url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            refused.append((route.request.resource_type, route.request.url))
            route.abort("internetdisconnected")

    context.route("**/*", only_loopback)
    yield context.new_page()
    context.close()


def test_swagger_ui_renders_the_operations_offline(
    offline_page: Page, refused: list[tuple[str, str]]
) -> None:
    offline_page.goto("/docs")
    search = offline_page.locator(".opblock-get", has=offline_page.locator("[data-path='/search']"))
    expect(search).to_be_visible()
    expect(offline_page.locator(".opblock-post [data-path='/documents']")).to_be_visible()
    search.locator(".opblock-summary").click()
    expect(search.locator(".parameters-container")).to_contain_text("year_from")
    assert refused == []


def test_redoc_renders_the_operations_offline(offline_page: Page, refused: list[tuple[str, str]]) -> None:
    offline_page.goto("/redoc")
    search = offline_page.locator("[data-section-id='tag/search/operation/search_search_get']")
    expect(search.locator("h2")).to_have_text("Search passages")
    expect(search).to_contain_text("year_from")
    # ReDoc always asks its CDN for the Redocly logo in the menu; without it the logo is simply not shown.
    assert {kind for kind, _ in refused} <= {"image"}, refused
