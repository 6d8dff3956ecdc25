"""Every kind of public and member page on a 375 px phone: nothing scrolls sideways,
and the one action a primary organisation's secretary comes for, «Таныстым», is
on the screen and first on its row."""

import os

import pytest

from docs_library.circulation.circulars import Acknowledgement
from docs_library.models import JournalEntry
from tests.browser.conftest import sign_in, url_of
from tests.docs_library.lifecycle import days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


@pytest.fixture
def shots(tmp_path):
    return os.environ.get("SANDYQ_SCREENSHOTS", tmp_path)


def assert_fits(page, url, name, shots):
    page.goto(url)
    page.screenshot(path=f"{shots}/phone-{name}.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} ({url}) is {width} px wide"


def test_public_pages_fit_a_phone(phone, party, shots):
    for name, url in [
        ("home", "/kk/"),
        ("region", url_of(party["region"])),
        ("primary", url_of(party["primary"])),
        ("district", url_of(party["district"])),
        ("library", url_of(party["library"])),
        ("record", url_of(party["record"])),
        ("announcements", url_of(party["index"])),
        ("announcement", url_of(party["announcement"])),
        ("sign-in", "/kk/accounts/login/"),
        ("search", "/kk/search/?q=шешім"),
    ]:
        assert_fits(phone, url, name, shots)

    # The regions menu opens inside the screen.
    phone.goto("/kk/")
    phone.locator(".regions-menu summary").click()
    menu = phone.locator(".regions-menu ul")
    assert menu.is_visible()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=f"{shots}/phone-regions-menu.png")


def test_search_filters_fold_away_on_a_phone_and_open_without_javascript(
    browser, live_server, party, shots
):
    context = browser.new_context(
        base_url=live_server.url, locale="kk-KZ", viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    try:
        assert_fits(page, "/kk/search/?q=шешім", "search-nojs", shots)
        facets = page.locator("details.search-facets")
        assert facets.count() == 1
        first_result = page.locator(".search-result").first
        assert first_result.bounding_box()["y"] < PHONE["height"]  # not pushed below the fold
        assert not page.locator('[data-facet="type"]').is_visible()
        facets.locator("summary").click()
        assert page.locator('[data-facet="type"]').is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=f"{shots}/phone-search-filters-open.png", full_page=True)
    finally:
        context.close()


def test_a_member_acknowledges_a_circular_on_a_phone(phone, party, shots):
    record, primary = party["circular"], party["primary"]
    sign_in(phone, "phone.member", "member-pass")
    assert_fits(phone, "/kk/circulars/", "circulars", shots)
    assert_fits(phone, f"/kk/circulars/inbox/{primary.pk}/", "inbox", shots)

    row = phone.locator(f"[data-record='{record.pk}']")
    button = row.get_by_role("button", name="Таныстым")
    comment = row.get_by_role("textbox")
    for control in (button, comment):
        assert control.is_visible()
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # First on the row: above the circular's title and the other details.
    title = row.get_by_role("link", name=record.title)
    assert button.bounding_box()["y"] < title.bounding_box()["y"]
    assert comment.bounding_box()["y"] < title.bounding_box()["y"]

    comment.fill("Танысып шықтық")
    button.click()
    phone.wait_for_load_state()
    assert Acknowledgement.objects.filter(record=record).count() == 1
    assert_fits(phone, f"/kk/circulars/inbox/{primary.pk}/", "inbox-acknowledged", shots)
    assert_fits(phone, url_of(record), "circular-record", shots)


def test_the_authors_dashboard_fits_a_phone(phone, party, shots):
    sign_in(phone, "phone.editor", "editor-pass")
    assert_fits(phone, f"/kk/circulars/sent/{party['circular'].pk}/", "dashboard", shots)
    assert_fits(phone, "/kk/search/archive/?q=шешім", "archive-search", shots)
    assert_fits(phone, "/kk/circulars/mail/", "mail-settings", shots)


def test_wide_screens_keep_the_filters_open_and_the_tables_whole(phone, party, shots):
    phone.set_viewport_size({"width": 1280, "height": 900})
    phone.goto("/kk/search/?q=шешім")
    assert phone.locator('[data-facet="type"]').is_visible()
    phone.screenshot(path=f"{shots}/wide-search.png", full_page=True)
    sign_in(phone, "phone.member", "member-pass")
    phone.goto(f"/kk/circulars/inbox/{party['primary'].pk}/")
    assert phone.locator("table.circulars thead").is_visible()
    phone.screenshot(path=f"{shots}/wide-inbox.png", full_page=True)


def test_the_assignment_loop_fits_a_phone(phone, party, shots):
    """Issue, report and decide on a 375 px screen."""
    from docs_library.models import Execution, ExecutionState

    primary = party["primary"]
    sign_in(phone, "phone.editor", "editor-pass")
    assert_fits(phone, url_of(party["circular"]), "record-with-assignments", shots)
    assert_fits(phone, f"/kk/circulars/assign/{party['circular'].pk}/", "assignment-issue", shots)
    phone.fill("textarea[name=text]", "Бастауыш ұйымдарда жиналыс өткізіп, хаттаманы жіберу")
    phone.fill("input[name=deadline]", days(7).isoformat())
    phone.check(f"input[name=executors][value='{primary.pk}']")
    phone.locator("main button[type=submit]").click()
    phone.wait_for_load_state()
    execution = Execution.objects.get(organisation=primary)
    assert_fits(phone, f"/kk/circulars/assignments/{execution.assignment_id}/", "assignment", shots)

    sign_in(phone, "phone.member", "member-pass")
    assert_fits(phone, f"/kk/circulars/inbox/{primary.pk}/", "inbox-to-execute", shots)
    assert phone.locator(f"[data-execution='{execution.pk}']").is_visible()
    assert_fits(phone, f"/kk/circulars/executions/{execution.pk}/", "execution", shots)
    phone.fill("textarea[name=report]", "Жиналыс 12 сәуірде өтті, хаттама қоса беріледі")
    phone.get_by_role("button", name="Есепті жіберу").click()
    phone.wait_for_load_state()
    execution.refresh_from_db()
    assert execution.state == ExecutionState.REPORTED

    sign_in(phone, "phone.editor", "editor-pass")
    assert_fits(
        phone, f"/kk/circulars/assignments/{execution.assignment_id}/", "assignment-reported", shots
    )
    row = phone.locator(f"[data-execution='{execution.pk}']")
    accept = row.get_by_role("button", name="Қабылдау")
    box = accept.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    accept.click()
    phone.wait_for_load_state()
    execution.refresh_from_db()
    assert execution.state == ExecutionState.ACCEPTED
    assert_fits(phone, "/kk/circulars/", "circulars-with-assignments", shots)


def test_the_registration_journal_fits_a_phone(phone, party, shots):
    region = party["region"]
    sign_in(phone, "phone.editor", "editor-pass")
    assert_fits(phone, f"/kk/circulars/journals/{region.pk}/register/", "journal-register", shots)
    phone.select_option("select[name=kind]", "incoming")
    phone.fill("input[name=title]", "Облыс әкімдігінің сайлау учаскелері туралы ұзақ атаулы хаты")
    phone.fill("input[name=correspondent_name]", "Қарағанды облысының әкімдігі")
    phone.fill("input[name=correspondent_number]", "01-17/2231")
    phone.locator("main button[type=submit]").click()
    phone.wait_for_load_state()
    assert JournalEntry.objects.filter(organisation=region, source="by_hand").count() == 1
    assert_fits(phone, f"/kk/circulars/journals/{region.pk}/", "journal", shots)
    # The outgoing circular and the letter, each a card with its number first.
    assert phone.locator("table.journal tbody tr").count() == 2
    number = phone.locator("table.journal tbody tr").first.locator(".journal__number")
    assert number.bounding_box()["x"] >= 0
    assert_fits(phone, f"/kk/circulars/journals/{region.pk}/print/", "journal-print", shots)
