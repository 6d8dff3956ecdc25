"""Playwright driving Debian's Chromium (never a browser Playwright downloads)."""

import datetime
import os

import pytest

from django.utils import translation

from home import roles
from tests.conftest import require_binary
from tests.docs_library.lifecycle import circular, days, library_of
from tests.factories import (
    AnnouncementFactory,
    AnnouncementIndexFactory,
    DistrictFactory,
    DocumentPageFactory,
    RegionFactory,
    UserFactory,
)

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


LONG_REGIONS = [
    "Солтүстік Қазақстан облысы",
    "Шығыс Қазақстан облысы",
    "Батыс Қазақстан облысы",
    "Алматы қаласы",
]


@pytest.fixture
def party(tree):
    """A region with a library, a circular to its primary organisations and announcements."""
    region, primary = tree["region"], tree["primary"]
    for title in LONG_REGIONS:
        RegionFactory(parent=tree["home"], title=title)
    for number in range(3):
        DistrictFactory(parent=region, title=f"Жаңаарқа ауданы {number}")
    library = library_of(region, title="Облыстық кеңестің шешімдері мен хаттамалары")
    for number in range(4):
        DocumentPageFactory(
            parent=library,
            title=f"Бастауыш партия ұйымдарының есеп беру-сайлау жиналыстары туралы шешім {number}",
            registration_number=f"02-Ш/2026-{number:04d}",
            document_date=datetime.date(2026, 4, 12),
        )
    record = circular(
        library,
        addressing="level",
        level="primary",
        title="Есеп беру мерзімдері және құжат айналымына көшу туралы циркуляр",
        registration_number="02-Ц/2026-0007",
        deadline=days(14),
    )
    index = AnnouncementIndexFactory(parent=region, title="Облыс жаңалықтары")
    library_of(tree["home"], title="Орталық аппараттың құжаттары")  # in the main menu
    AnnouncementIndexFactory(parent=tree["home"], title="Партия жаңалықтары")
    announcement = AnnouncementFactory(
        parent=index, title="Қағазбастылықтан құтылу жолы: облыстық семинар"
    )
    member = UserFactory(username="phone.member", first_name="Меруерт", password="member-pass")
    editor = UserFactory(username="phone.editor", password="editor-pass")
    roles.grant(roles.READER, member, primary)
    roles.grant(roles.EDITOR, editor, region)
    return {
        **tree,
        "library": library,
        "record": library.get_children().live().first(),
        "circular": record,
        "index": index,
        "announcement": announcement,
    }


def sign_in(page, username, password):
    page.context.clear_cookies()
    page.goto("/kk/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def url_of(page_model):
    with translation.override("kk"):
        return page_model.get_url()
