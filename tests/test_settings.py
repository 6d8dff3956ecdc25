"""Settings: secure by default, production configured from the environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, env_overrides=None):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "DATABASE_URL",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "ELASTICSEARCH_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests set it for their own process
        )
    }
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "cms.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-" + "x7Qp9" * 10,
    "ALLOWED_HOSTS": "sandyq.example.kz",
    "DATABASE_URL": "postgres://sandyq@127.0.0.1:5432/sandyq",
}


def test_production_settings_pass_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_its_environment(missing):
    env = {**PRODUCTION, missing: ""}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_base_settings_are_secure_by_default():
    from cms.settings import base

    assert base.DEBUG is False
    assert os.environ.get("SECRET_KEY", "") == base.SECRET_KEY
    assert base.SECURE_CONTENT_TYPE_NOSNIFF is True
    assert "guardian.backends.ObjectPermissionBackend" in base.AUTHENTICATION_BACKENDS
    assert base.LANGUAGE_CODE == "kk"


def test_search_backend_follows_elasticsearch_url():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.WAGTAILSEARCH_BACKENDS['default']['BACKEND'])"
    )
    dev = {"DJANGO_SETTINGS_MODULE": "cms.settings.dev"}
    default = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **dev, "ELASTICSEARCH_URL": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert default.stdout.strip() == "wagtail.search.backends.database"
    elastic = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **dev, "ELASTICSEARCH_URL": "http://127.0.0.1:9200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert elastic.stdout.strip() == "search.backends"
