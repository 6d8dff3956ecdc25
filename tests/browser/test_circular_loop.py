"""The circular's whole loop in a real browser: an editor submits in Wagtail's admin,
a reviewer approves there, a member of an addressed organisation acknowledges on the
site, and the author's dashboard counts one of three."""

import os

import pytest

from django.utils import translation

from wagtail.users.models import UserProfile

from docs_library.circulation.circulars import Acknowledgement
from docs_library.lifecycle.workflow import REVIEW_WORKFLOW_NAME, ensure_default_workflow
from home import roles
from tests.docs_library.lifecycle import days, draft, library_of
from tests.factories import PrimaryFactory, RegionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_to_admin(page, username, password):
    page.context.clear_cookies()
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def sign_in_to_site(page, username, password):
    page.context.clear_cookies()
    page.goto("/kk/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def open_action_menu(page):
    """The footer's "more actions" toggle of Wagtail's page editor."""
    page.locator("footer").get_by_role("button", name="More actions").click()


def admin_in_english(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()


def test_submit_approve_acknowledge_and_count(page, home, tmp_path):
    ensure_default_workflow()
    region = RegionFactory(parent=home, title="Қарағанды облысы")
    addressed = [PrimaryFactory(parent=region, title=f"«Еңбек» БПҰ {n}") for n in range(3)]
    editor = UserFactory(username="karaganda.editor", password="editor-pass")
    reviewer = UserFactory(username="karaganda.reviewer", password="reviewer-pass")
    member = UserFactory(username="enbek.member", first_name="Меруерт", password="member-pass")
    roles.grant(roles.EDITOR, editor, region)
    roles.grant(roles.REVIEWER, reviewer, region)
    roles.grant(roles.READER, member, addressed[0])
    admin_in_english(editor)
    admin_in_english(reviewer)
    record = draft(
        library_of(region, title="Облыс құжаттары"),
        title="Есеп беру мерзімдері туралы циркуляр",
        document_type="circular",
        addressing="level",
        addressed_level="primary",
        acknowledgement_required=True,
        response_deadline=days(14),
    )
    record.owner = editor
    record.save()
    shots = os.environ.get("SANDYQ_SCREENSHOTS", tmp_path)

    # The editor submits the draft for review in Wagtail's page editor.
    sign_in_to_admin(page, "karaganda.editor", "editor-pass")
    page.goto(f"/admin/pages/{record.pk}/edit/")
    open_action_menu(page)
    page.get_by_role("button", name=f"Submit to {REVIEW_WORKFLOW_NAME}").click()
    page.wait_for_load_state()
    record.refresh_from_db()
    assert record.workflow_in_progress

    # The region's reviewer approves it there; it is published and delivered.
    sign_in_to_admin(page, "karaganda.reviewer", "reviewer-pass")
    page.goto(f"/admin/pages/{record.pk}/edit/")
    open_action_menu(page)
    page.get_by_role("button", name="Approve and Publish", exact=True).click()
    page.wait_for_load_state()
    page.screenshot(path=f"{shots}/circular-approved.png", full_page=True)
    record.refresh_from_db()
    assert record.live
    assert record.distributions.count() == 3

    # A member of an addressed primary organisation finds it and acknowledges it.
    sign_in_to_site(page, "enbek.member", "member-pass")
    page.goto("/kk/circulars/")
    page.get_by_role("link", name=addressed[0].title).click()
    page.get_by_role("link", name=record.title).click()
    page.get_by_role("button", name="Таныстым").click()
    page.wait_for_load_state()
    assert Acknowledgement.objects.filter(user=member, record=record).count() == 1
    assert page.locator("[data-acknowledged]").count() == 1
    page.screenshot(path=f"{shots}/circular-acknowledged.png", full_page=True)

    # The author's dashboard counts one organisation of three.
    sign_in_to_site(page, "karaganda.editor", "editor-pass")
    with translation.override("kk"):
        page.goto(record.get_url())
    page.get_by_role("link", name="Кім танысты").click()
    assert page.locator("[data-ratio]").inner_text().split() == ["1", "/", "3"]
    row = page.locator(f"tr[data-organisation='{addressed[0].pk}']")
    assert row.get_attribute("data-status") == "acknowledged"
    assert "Меруерт" in row.inner_text()
    page.screenshot(path=f"{shots}/circular-dashboard.png", full_page=True)
