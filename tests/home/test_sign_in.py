"""Failed sign-ins lock a user name and address out, on the site and in the admin,
counted in the database so that every process (and a restarted one) agrees."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import UserFactory
from tests.home.sign_in_process import redis_settings

ROOT = Path(__file__).resolve().parents[2]
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def site_login(language="en"):
    with translation.override(language):
        return reverse("login")


def test_the_site_locks_out_after_repeated_failures(db, client, limit):
    UserFactory(username="member", password="right-password")
    url = site_login()
    for _ in range(limit):
        client.post(url, {"username": "member", "password": "wrong"})
    response = client.post(url, {"username": "member", "password": "right-password"})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(db, client, limit):
    UserFactory(username="member", password="right-password")
    url = site_login()
    for _ in range(limit - 1):
        response = client.post(url, {"username": "member", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post(url, {"username": "member", "password": "right-password"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(
    "language, words",
    [
        ("kk", ["Сәтсіз әрекеттер тым көп", "әкімшіден"]),
        ("ru", ["Слишком много неудачных попыток", "администратор"]),
    ],
)
def test_the_lock_out_page_speaks_the_language_of_the_address(db, client, limit, language, words):
    UserFactory(username="member", password="right-password")
    url = site_login(language)
    for _ in range(limit + 1):
        response = client.post(url, {"username": "member", "password": "wrong"})
    assert response.status_code == 429
    page = response.content.decode()
    assert f'lang="{language}"' in page
    for word in words:
        assert word in page


def test_the_admin_and_the_site_count_the_same_failures(db, client, limit):
    UserFactory(username="editor", password="right-password", is_staff=True)
    for _ in range(limit - 1):
        client.post(site_login(), {"username": "editor", "password": "wrong"})
    response = client.post(ADMIN_LOGIN, {"username": "editor", "password": "wrong"})
    assert response.status_code == 429
    response = client.post(ADMIN_LOGIN, {"username": "editor", "password": "right-password"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_another_address_and_another_user_name_are_not_locked(db, client, limit):
    UserFactory(username="member", password="right-password")
    UserFactory(username="neighbour", password="other-password")
    url = site_login()
    for _ in range(limit):
        client.post(url, {"username": "member", "password": "wrong"})
    # The same office, another person: their own name still works.
    response = client.post(url, {"username": "neighbour", "password": "other-password"})
    assert response.status_code == 302
    client.logout()
    # The same person from another address: a stranger's guesses lock no one out.
    response = client.post(
        url, {"username": "member", "password": "right-password"}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302


def test_the_unlock_command_lets_the_user_in_again(db, client, limit):
    UserFactory(username="member", password="right-password")
    url = site_login()
    for _ in range(limit):
        client.post(url, {"username": "member", "password": "wrong"})
    assert client.post(url, {"username": "member", "password": "right-password"}).status_code == 429
    call_command("axes_reset_username", "member")
    response = client.post(url, {"username": "member", "password": "right-password"})
    assert response.status_code == 302


def test_the_lock_out_ends_after_the_cool_off(db, client, limit, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    UserFactory(username="member", password="right-password")
    url = site_login()
    for _ in range(limit):
        client.post(url, {"username": "member", "password": "wrong"})
    assert client.post(url, {"username": "member", "password": "right-password"}).status_code == 429
    # The failures happened longer ago than the window.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )
    response = client.post(url, {"username": "member", "password": "right-password"})
    assert response.status_code == 302


def test_an_attempt_while_locked_starts_the_wait_again(db, client, limit, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    UserFactory(username="member", password="right-password")
    url = site_login()
    for _ in range(limit):
        client.post(url, {"username": "member", "password": "wrong"})
    # Almost through the wait...
    nearly = AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=nearly + timedelta(seconds=60))
    assert client.post(url, {"username": "member", "password": "right-password"}).status_code == 429
    # ...and the attempt made it start again: a minute later it is still locked.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(seconds=60)
    )
    assert client.post(url, {"username": "member", "password": "right-password"}).status_code == 429


# --- several processes -------------------------------------------------------


def database_url() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{settings_dict['USER']}{password}@{host}:{port}/{settings_dict['NAME']}"


def sign_in_elsewhere(tmp_path, username, password, attempts, path, limit, redis=""):
    """Sign in from a new OS process that shares only the database (or Redis) with this one."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "SANDYQ_TEST_FILES": str(tmp_path),
        "LOGIN_FAILURE_LIMIT": str(limit),
        "SIGN_IN_REDIS": redis,
    }
    env.pop("SANDYQ_TEST_DATABASE", None)
    command = [sys.executable, "-m", "tests.home.sign_in_process"]
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [*command, username, password, str(attempts), path],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def redis_store():
    """A Redis to share failures through, with a key prefix of this run's own."""
    location = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(location, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 - any failure means no Redis here
        pytest.skip(f"no Redis at {location} ({error}); the database store is tested instead")
    return f"{location}|sandyq-test-{uuid.uuid4().hex}"


@pytest.mark.parametrize("store", ["database", "redis"])
@pytest.mark.django_db(transaction=True)
def test_failures_in_one_process_lock_the_user_out_in_another_and_after_a_restart(
    home, tmp_path, settings, store
):
    redis = redis_store() if store == "redis" else ""
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="member", password="right-password")
    url = site_login()

    first = sign_in_elsewhere(tmp_path, "member", "wrong", 2, url, 3, redis)
    assert first["statuses"] == [200, 200]  # two failures: the form again

    # A second process (a second gunicorn worker) knows of them: one more
    # failure through the admin's form locks the name out there.
    second = sign_in_elsewhere(tmp_path, "member", "wrong", 1, ADMIN_LOGIN, 3, redis)
    assert second["statuses"] == [429]

    # A process started afterwards (the server restarted) still refuses the
    # right password, and so does this one.
    third = sign_in_elsewhere(tmp_path, "member", "right-password", 1, url, 3, redis)
    assert third["statuses"] == [429]
    assert not third["signed_in"]
    assert "Too many failed attempts" in third["body"]
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.exists() == (store == "database")  # kept where configured
    if redis:
        settings.CACHES = redis_settings(redis)["CACHES"]
        settings.AXES_HANDLER = redis_settings(redis)["AXES_HANDLER"]
    response = Client().post(url, {"username": "member", "password": "right-password"})
    assert response.status_code == 429


def test_behind_a_proxy_visitors_are_told_apart_and_cannot_forge_their_address(
    db, client, limit, settings
):
    settings.SANDYQ_TRUSTED_PROXIES = 1
    UserFactory(username="member", password="right-password")
    url = site_login()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(limit):
        client.post(
            url,
            {"username": "member", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.7",
            **proxy,
        )
    # The guesser, even sending a made-up address of its own first, stays locked out.
    forged = client.post(
        url,
        {"username": "member", "password": "right-password"},
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",
        **proxy,
    )
    assert forged.status_code == 429
    # The member, at home behind the same proxy, signs in.
    response = client.post(
        url,
        {"username": "member", "password": "right-password"},
        HTTP_X_FORWARDED_FOR="192.0.2.44",
        **proxy,
    )
    assert response.status_code == 302
