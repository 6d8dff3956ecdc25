"""Playwright driving Debian's Chromium (never a browser Playwright downloads)."""

import os

import pytest

from tests.conftest import require_binary

# Django's live server runs in a thread; Playwright's sync API runs an event loop
# in this one, which Django would otherwise take for an async context.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium_path():
    return require_binary("chromium", "chromium")


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="kk-KZ")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
