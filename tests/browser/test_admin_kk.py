"""A region's editor works in Wagtail's admin in Kazakh, in a real browser, and the
browser never asks any host but the site's own.

The editor signs in, searches documents, opens a record of their region, attaches
a file through the document chooser and saves a draft. Every page on the way is
read for English labels of Wagtail's, and every request the browser makes is
recorded. The checks of one page are subtests, so that a page in English (or a
failing search) is reported without hiding what the later steps find.
"""

import os
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from wagtail.users.models import UserProfile

from home import roles
from tests.docs_library import samples
from tests.docs_library.lifecycle import draft, library_of
from tests.factories import RegionFactory, UserFactory, library_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Wagtail's labels as its English catalogue words them, on the pages visited.
ENGLISH_LABELS = [
    "Dashboard",
    "Pages",
    "Documents",
    "Images",
    "Reports",
    "Search",
    "Help",
    "Sign in",
    "Forgotten password?",
    "Save draft",
    "Choose a document",
    "Latest documents",
    "Add a document",
    "Upload",
    "Title",
    "Collection",
]
# Schemes that carry no host (inline images, blobs, the empty frame).
HOSTLESS = ("data", "blob", "about")

DOCUMENT_TITLE = "Ұйымдастыру комитетінің хаттамасы"
OTHER_TITLE = "Облыстық филиалдың бюджеті"
SEARCH_WORD = "комитетінің"


def english_labels(page) -> list[str]:
    """Wagtail's English labels in the text the page renders (``innerText``: what
    is shown, and the screen-reader-only text that a clip hides from the eye)."""
    text = page.locator("body").inner_text()
    return [
        label
        for label in ENGLISH_LABELS
        if re.search(rf"(?<![\w-]){re.escape(label)}(?![\w-])", text)
    ]


def assert_no_english(page):
    found = english_labels(page)
    assert not found, f"English labels on {page.url}: {found}"


def record_requests(page, live_server):
    """Every URL the page asks for, and those that leave the live server."""
    site = urlsplit(live_server.url).netloc
    seen, foreign = [], []

    def on_request(request):
        seen.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme not in HOSTLESS and parts.netloc != site:
            foreign.append(request.url)

    page.on("request", on_request)
    return seen, foreign


def kazakh_editor(username, password, organisation, role=roles.EDITOR):
    user = UserFactory(username=username, first_name="Айгүл", password=password)
    roles.grant(role, user, organisation)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "kk"
    profile.save()
    return user


def sign_in_to_admin(page, username, password):
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def test_a_kazakh_editor_finds_attaches_and_saves_a_draft_offline(
    page, live_server, home, subtests, tmp_path
):
    region = RegionFactory(parent=home, title="Қарағанды облысы")
    library = library_of(region, title="Облыс құжаттары")
    record = draft(library, title="Облыс кеңесінің шешімі", access_level="organisation")
    kazakh_editor("karaganda.editor", "editor-pass", region)
    document = library_document(
        samples.kazakh_txt(),
        "Хаттама 12.05.2026.txt",
        title=DOCUMENT_TITLE,
        collection=roles.collection_for(library),
    )
    library_document(
        samples.kazakh_txt(),
        "Бюджет 2026.txt",
        title=OTHER_TITLE,
        collection=roles.collection_for(library),
    )
    requests, foreign = record_requests(page, live_server)
    shots = os.environ.get("SANDYQ_SCREENSHOTS", tmp_path)

    # Wagtail's sign-in page, in the language the browser asks for (kk-KZ).
    page.goto("/admin/login/")
    with subtests.test(msg="sign-in page in Kazakh"):
        assert_no_english(page)
    sign_in_to_admin(page, "karaganda.editor", "editor-pass")
    with subtests.test(msg="dashboard in Kazakh"):
        assert page.locator("html").get_attribute("lang") == "kk"
        assert_no_english(page)

    # The admin's document search finds the file in the region's collection.
    with subtests.test(msg="document search answers and finds the file"):
        response = page.goto(f"/admin/documents/?q={SEARCH_WORD}")
        assert response.status < 500, f"/admin/documents/?q= answered {response.status}"
        assert page.get_by_role("link", name=DOCUMENT_TITLE).count() >= 1
    with subtests.test(msg="document search in Kazakh"):
        assert_no_english(page)

    # The record's edit form; the file is chosen in the document chooser's modal.
    response = page.goto(f"/admin/pages/{record.pk}/edit/")
    assert response.status == 200
    chooser = page.locator("#id_main_file-chooser")
    chooser.locator(".unchosen [data-chooser-action-choose]").click()
    modal = page.locator(".modal")
    expect(modal.get_by_role("link", name=OTHER_TITLE)).to_be_visible()
    with subtests.test(msg="document chooser in Kazakh"):
        assert_no_english(page)
    # Searching in the chooser leaves the one file that matches.
    modal.locator("input[name=q]").fill(SEARCH_WORD)
    expect(modal.get_by_role("link", name=OTHER_TITLE)).to_have_count(0)
    modal.get_by_role("link", name=DOCUMENT_TITLE).click()
    page.wait_for_function(
        "() => !document.querySelector('#id_main_file-chooser').classList.contains('blank')"
    )
    assert page.locator("#id_main_file").input_value() == str(document.pk)
    assert chooser.locator("[data-chooser-title]").inner_text().strip() == DOCUMENT_TITLE
    with subtests.test(msg="edit form in Kazakh"):
        assert_no_english(page)

    page.locator("footer button.action-save").click()
    page.wait_for_load_state()
    success = page.locator(".messages .success")
    expect(success.first).to_be_visible()
    assert success.first.inner_text().strip()
    page.screenshot(path=f"{shots}/admin-kk-draft-saved.png")
    record.refresh_from_db()
    assert record.get_latest_revision().content["main_file"] == document.pk
    assert not record.live
    with subtests.test(msg="saved draft in Kazakh"):
        assert_no_english(page)
        assert success.first.inner_text().strip() != f"Page '{record.title}' has been updated."

    assert requests, "no request was recorded"
    assert foreign == [], f"the browser asked another host: {foreign}"


def test_a_superuser_dashboard_and_the_site_ask_no_other_host(page, live_server, home):
    """The release check and the avatars are the superuser's admin's calls out."""
    UserFactory(
        username="root.admin",
        email="root@example.kz",
        password="admin-pass",
        is_superuser=True,
        is_staff=True,
    )
    RegionFactory(parent=home, title="Қарағанды облысы")
    requests, foreign = record_requests(page, live_server)

    sign_in_to_admin(page, "root.admin", "admin-pass")
    page.wait_for_load_state("networkidle")
    page.goto("/admin/account/")
    page.wait_for_load_state("networkidle")
    avatars = [image.get_attribute("src") for image in page.locator(".avatar img").all()]
    assert avatars
    assert all(src.startswith("/static/") for src in avatars), avatars  # Wagtail's default
    for url in ("/kk/", "/ru/қарағанды-облысы/", "/kk/search/?q=шешім"):
        page.goto(url)
        page.wait_for_load_state("networkidle")

    assert requests
    assert foreign == [], f"the browser asked another host: {foreign}"
