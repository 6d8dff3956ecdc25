"""An administrator enrols a second factor in a real browser, then signs in with a
code from the app and once with a recovery code; no page asks another host."""

import base64
import re
import time
from urllib.parse import urlsplit

import pytest
from django_otp.oath import hotp

from home import two_factor
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTLESS = ("data", "blob", "about")


class App:
    """What an authenticator app does with the secret it was given."""

    def __init__(self, secret: str):
        self.key = base64.b32decode(secret.replace(" ", ""))
        self.last = -1

    def code(self) -> str:
        # A code is accepted once: after one, the app's next code is the next step's.
        self.last = max(self.last + 1, int(time.time()) // 30)
        return f"{hotp(self.key, self.last):06d}"


def sign_in(page, password):
    page.goto("/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def sign_out(page):
    page.goto("/kk/")
    page.locator("form[action$='/accounts/logout/'] button").click()
    page.wait_for_load_state()


def test_an_admin_enrols_then_signs_in_with_a_code_and_with_a_recovery_code(
    page, home, settings, live_server
):
    settings.SANDYQ_2FA_REQUIRED = True
    admin = UserFactory(username="admin", password="admin-pass", is_superuser=True, is_staff=True)
    site = urlsplit(live_server.url).netloc
    foreign = []
    page.on(
        "request",
        lambda request: (
            foreign.append(request.url)
            if urlsplit(request.url).scheme not in HOSTLESS and urlsplit(request.url).netloc != site
            else None
        ),
    )

    # The password alone leads to enrolment, not the admin.
    sign_in(page, "admin-pass")
    page.wait_for_url("**/kk/accounts/two-factor/enrol/**")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert "Екі қадамды кіруді баптау" in page.locator("h1").inner_text()
    assert page.locator(".qr-code svg path").count() == 1
    app = App(page.locator("[data-secret]").inner_text())
    page.fill("input[name=code]", app.code())
    page.locator("main form.form button[type=submit]").click()

    page.wait_for_url("**/two-factor/recovery-codes/**")
    codes = [code.strip() for code in page.locator(".recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{8}", code) for code in codes)
    page.locator("main a.button").click()
    page.wait_for_url("**/admin/")
    assert page.locator("#wagtail-sidebar").count() == 1  # the admin itself, signed in

    # Signed out and in again: a code from the app after the password.
    sign_out(page)
    sign_in(page, "admin-pass")
    page.wait_for_url("**/kk/accounts/two-factor/verify/**")
    assert "алты таңбалы кодты" in page.locator("main").inner_text()
    page.fill("input[name=code]", app.code())
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url("**/admin/")
    assert page.locator("#wagtail-sidebar").count() == 1

    # And once with a recovery code instead, which is then used up.
    sign_out(page)
    sign_in(page, "admin-pass")
    page.wait_for_url("**/two-factor/verify/**")
    page.get_by_role("link", name=re.compile("Қалпына келтіру кодын қолданыңыз")).click()
    page.wait_for_url("**method=recovery**")
    page.fill("input[name=code]", codes[0])
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url("**/admin/")
    assert "қалпына келтіру кодымен кірдіңіз" in page.locator("body").inner_text()
    assert two_factor.recovery_codes_left(admin) == 9

    assert foreign == [], f"requests to other hosts: {foreign}"
