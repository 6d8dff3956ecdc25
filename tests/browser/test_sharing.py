"""A regional Manager shares a district through the Sharing view, in a real browser."""

import pytest

from django.contrib.auth import get_user_model

from wagtail.users.models import UserProfile

from home import roles
from tests.factories import DistrictFactory, PrimaryFactory, RegionFactory, UserFactory

User = get_user_model()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_to_admin(page, username, password):
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def test_a_manager_grants_editor_on_a_district_and_the_editor_can_edit_it(page, home):
    region = RegionFactory(parent=home, title="Қарағанды облысы")
    district = DistrictFactory(parent=region, title="Абай ауданы")
    PrimaryFactory(parent=district, title="«Болашақ» БПҰ")
    manager = UserFactory(username="region.manager", password="manager-pass")
    UserFactory(username="district.editor", first_name="Әлия", password="editor-pass")
    roles.grant(roles.MANAGER, manager, region)
    for user in User.objects.all():  # the steps below read Wagtail's English labels
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = "en"
        profile.save()

    sign_in_to_admin(page, "region.manager", "manager-pass")
    page.goto(f"/admin/pages/{district.pk}/")
    page.get_by_role("button", name="Actions").first.click()  # the page's "⋯" menu
    page.get_by_role("link", name="Sharing").first.click()
    page.fill("#sharing-search", "district.editor")
    page.press("#sharing-search", "Enter")
    page.wait_for_url("**q=district.editor*")
    row = page.locator("tr", has_text="district.editor")
    row.locator("select[name=role]").select_option("editor")
    row.get_by_role("button").click()
    assert page.locator(".messages").inner_text().strip() != ""
    granted = page.locator("section", has=page.locator("#local-heading"))
    assert "Әлия" in granted.inner_text()

    page.context.clear_cookies()
    sign_in_to_admin(page, "district.editor", "editor-pass")
    page.goto(f"/admin/pages/{district.pk}/edit/")
    title = page.locator("input[name=title]")
    assert title.input_value() == "Абай ауданы"
    page.fill("input[name=short_name]", "Абай АФ")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    district.refresh_from_db()
    assert district.get_latest_revision().content["short_name"] == "Абай АФ"

    page.goto(f"/admin/pages/{region.pk}/edit/")
    assert page.locator("input[name=title]").count() == 0  # not above the grant
