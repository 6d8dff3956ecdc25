"""The execution discipline report on a 375 px phone, in Kazakh, Russian and English:
nothing scrolls sideways, and the chart is drawn by the server (no script)."""

from urllib.parse import urlparse

import pytest

from docs_library.circulation import assignments
from home import roles
from tests.browser.conftest import sign_in
from tests.browser.test_phones import PHONE, assert_fits, phone, shots  # noqa: F401
from tests.docs_library.lifecycle import days
from tests.factories import PrimaryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_discipline_report_fits_a_phone(phone, party, shots, live_server):  # noqa: F811
    region = party["region"]
    PrimaryFactory(
        parent=party["district"],
        title="«Қызылжар ауданының Жаңатұрмыс ауылы» бастауыш партия ұйымы",
    )
    manager = UserFactory(username="phone.manager", password="manager-pass")
    roles.grant(roles.MANAGER, manager, region)
    assignments.issue(
        party["circular"],
        manager,
        text="Бастауыш ұйымдарда жиналыс өткізу",
        deadline=days(7),
        executors=[party["primary"]],
    )
    hosts = set()
    phone.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    sign_in(phone, "phone.manager", "manager-pass")
    for language in ("kk", "ru", "en"):
        url = f"/{language}/circulars/discipline/{region.pk}/"
        assert_fits(phone, url, f"discipline-{language}", shots)
        assert phone.locator("svg[data-chart]").is_visible()
        assert phone.locator("[data-formula]").is_visible()
        assert phone.locator("main script").count() == 0
        box = phone.locator("svg[data-chart]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert_fits(
        phone,
        f"/kk/circulars/discipline/{region.pk}/?period=year&year=2026&show=assignments-received",
        "discipline-documents",
        shots,
    )
    assert hosts == {urlparse(live_server.url).netloc}  # no page calls another host
