"""Two-step sign-in: who must enrol, enrolment, the code after the password,
recovery codes used once, turning it off with the password, in kk/ru/en."""

import re
import time

import pytest
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.urls import reverse
from django.utils import translation

from home import roles, two_factor
from tests.factories import UserFactory

PASSWORD = "right-password"  # noqa: S105


@pytest.fixture(autouse=True)
def required(settings):
    settings.SANDYQ_2FA_REQUIRED = True
    # A wrong code makes a device wait a second or more before the next one;
    # tests that type the right code just after a wrong one leave that out
    # (test_wrong_codes_are_slowed_down puts it back).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def manager(tree):
    """A Manager of a region who is not a superuser."""
    user = UserFactory(username="manager", password=PASSWORD)
    roles.grant(roles.MANAGER, user, tree["region"])
    return user


@pytest.fixture
def superuser(home):
    return UserFactory(username="root", password=PASSWORD, is_superuser=True, is_staff=True)


@pytest.fixture
def editor(tree):
    user = UserFactory(username="editor", password=PASSWORD)
    roles.grant(roles.EDITOR, user, tree["region"])
    return user


def url(name, language="en"):
    with translation.override(language):
        return reverse(name)


def next_code(device) -> str:
    """The code an app would show now, or the next one if now's was used already."""
    device.refresh_from_db()
    counter = max(device.last_t + 1, int(time.time()) // device.step)
    return f"{hotp(device.bin_key, counter):06d}"


def enrol(client, user) -> tuple[TOTPDevice, list[str]]:
    """Sign in, enrol through the pages, and return the device and the recovery codes."""
    client.get(url("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=user)
    response = client.post(url("two_factor_enrol"), {"code": next_code(device)})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    return device, codes


def sign_in(client, user, path="/admin/login/"):
    response = client.post(path, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


# --- who must have a second factor -------------------------------------------------


def test_roles_name_who_must_use_a_second_factor(manager, superuser, editor):
    assert roles.must_use_second_factor(manager)
    assert roles.must_use_second_factor(superuser)
    assert not roles.must_use_second_factor(editor)


@pytest.mark.parametrize("kind", ["manager", "superuser"])
def test_a_manager_or_superuser_without_a_device_is_sent_to_enrol(client, request, kind):
    user = request.getfixturevalue(kind)
    sign_in(client, user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(url("two_factor_enrol", "kk"))
    assert "next=%2Fadmin%2F" in response["Location"]
    # The site's other pages wait as well; signing out does not.
    assert client.get(url("circulars:index")).status_code == 302
    assert client.post(url("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_plain_editor_reaches_the_admin_with_the_password_alone(client, editor):
    sign_in(client, editor)
    assert client.get("/admin/").status_code == 200
    account = client.get("/admin/account/").content.decode()
    assert url("two_factor", "kk") in account  # may enrol from the account page


def test_the_setting_off_requires_no_enrolment(client, manager, settings):
    settings.SANDYQ_2FA_REQUIRED = False
    sign_in(client, manager)
    assert client.get("/admin/").status_code == 200


# --- enrolment ------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_secret_then_recovery_codes_once(client, manager):
    sign_in(client, manager)
    page = client.get(url("two_factor_enrol")).content.decode()
    assert "<svg" in page and "<path" in page  # drawn here, not fetched from another host
    assert "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    assert two_factor.secret_of(device) in page

    wrong = client.post(url("two_factor_enrol"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "This code is not right" in wrong.content.decode()

    response = client.post(url("two_factor_enrol"), {"code": next_code(device), "next": "/admin/"})
    assert response.status_code == 302
    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
    assert len(codes) == 10
    assert 'href="/admin/"' in codes_page
    # Shown once: the page does not show them again, nor the secret.
    assert client.get(url("two_factor_codes")).status_code == 302
    assert client.get(url("two_factor_enrol")).status_code == 302
    assert two_factor.secret_of(device) not in client.get(url("two_factor")).content.decode()
    # The session that enrolled goes on into the admin.
    assert client.get("/admin/").status_code == 200


def test_a_plain_editor_may_enrol_from_the_settings_page(client, editor):
    client.force_login(editor)
    page = client.get(url("two_factor")).content.decode()
    assert "Two-step sign-in is off" in page
    _device, codes = enrol(client, editor)
    assert TOTPDevice.objects.get(user=editor).confirmed
    assert len(codes) == 10
    assert "Two-step sign-in is on" in client.get(url("two_factor")).content.decode()


# --- the code after the password ------------------------------------------------------


@pytest.fixture
def enrolled(client, manager):
    client.force_login(manager)
    device, codes = enrol(client, manager)
    client.logout()
    return device, codes


def test_after_the_password_a_device_holder_gives_a_code(client, manager, enrolled):
    device, _codes = enrolled
    sign_in(client, manager)
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    verify_url = response["Location"]
    assert verify_url.startswith(url("two_factor_verify", "kk"))

    wrong = client.post(verify_url, {"code": "123456"})
    assert "Бұл код дұрыс емес" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302

    response = client.post(verify_url, {"code": next_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/pages/"
    assert client.get("/admin/").status_code == 200


def test_the_site_sign_in_asks_for_the_code_too(client, manager, enrolled):
    device, _codes = enrolled
    response = client.post(
        url("login"), {"username": "manager", "password": PASSWORD, "next": url("circulars:index")}
    )
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(url("two_factor_verify"))
    response = client.post(response["Location"], {"code": next_code(device)})
    assert client.get(response["Location"]).status_code == 200


def test_a_recovery_code_opens_a_session_once(client, manager, enrolled):
    _device, codes = enrolled
    sign_in(client, manager)
    recovery = url("two_factor_verify") + "?method=recovery&next=/admin/"
    response = client.post(recovery, {"code": codes[0].upper(), "method": "recovery"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert two_factor.recovery_codes_left(manager) == 9

    client.logout()
    sign_in(client, manager)
    again = client.post(recovery, {"code": codes[0], "method": "recovery"})
    assert again.status_code == 200
    assert "not right or was already used" in again.content.decode()
    assert client.get("/admin/").status_code == 302


def test_wrong_codes_are_slowed_down(client, manager, enrolled, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device, _codes = enrolled
    sign_in(client, manager)
    for _ in range(3):
        client.post(url("two_factor_verify"), {"code": "000000"})
    # Even the right code waits while the device is throttled.
    response = client.post(url("two_factor_verify"), {"code": next_code(device)})
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_the_next_address_never_leaves_the_site(client, manager, enrolled):
    device, _codes = enrolled
    sign_in(client, manager)
    response = client.post(
        url("two_factor_verify"), {"code": next_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


# --- turning it off -----------------------------------------------------------------


def test_turning_it_off_needs_the_password(client, editor):
    client.force_login(editor)
    enrol(client, editor)
    client.post(url("two_factor_disable"), {"off-password": "wrong"})
    assert two_factor.has_second_factor(editor)
    client.post(url("two_factor_disable"), {"off-password": PASSWORD})
    assert not two_factor.has_second_factor(editor)
    client.logout()
    sign_in(client, editor)
    assert client.get("/admin/").status_code == 200  # no code asked any more


def test_an_unverified_session_cannot_turn_it_off(client, manager, enrolled):
    sign_in(client, manager)
    client.post(url("two_factor_disable"), {"off-password": PASSWORD})
    assert two_factor.has_second_factor(manager)


def test_new_recovery_codes_replace_the_old_ones(client, editor):
    client.force_login(editor)
    _device, old = enrol(client, editor)
    response = client.post(url("two_factor_new_codes"), {"codes-password": PASSWORD})
    page = client.get(response["Location"]).content.decode()
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(new) == 10 and not set(new) & set(old)


# --- languages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, words",
    [
        ("kk", ["Екі қадамды кіруді баптау", "Құпия кілт", "аутентификатор"]),
        ("ru", ["Настроить двухэтапный вход", "Секретный ключ", "приложение-аутентификатор"]),
        ("en", ["Set up two-step sign-in", "Secret key", "authenticator app"]),
    ],
)
def test_enrolment_speaks_the_language_of_the_address(client, manager, language, words):
    sign_in(client, manager)
    page = client.get(url("two_factor_enrol", language)).content.decode()
    assert f'lang="{language}"' in page
    for word in words:
        assert word in page


def test_verification_and_recovery_pages_in_kazakh(client, manager, enrolled):
    sign_in(client, manager)
    page = client.get(url("two_factor_verify", "kk")).content.decode()
    assert "алты таңбалы кодты" in page
    assert "Қалпына келтіру кодын қолданыңыз" in page
    page = client.get(url("two_factor_verify", "kk") + "?method=recovery").content.decode()
    assert "Қалпына келтіру коды" in page


def test_the_reset_command_lets_a_user_enrol_again(client, manager, enrolled):
    from django.core.management import call_command

    call_command("two_factor_reset", "manager")
    assert not two_factor.has_second_factor(manager)
    sign_in(client, manager)
    response = client.get("/admin/")
    assert response["Location"].startswith(url("two_factor_enrol", "kk"))  # must enrol anew


def test_giving_the_code_changes_the_session_key(client, manager, enrolled):
    device, _codes = enrolled
    sign_in(client, manager)
    before = client.session.session_key
    client.post(url("two_factor_verify"), {"code": next_code(device)})
    assert client.session.session_key != before
    assert client.get("/admin/").status_code == 200
