"""Tests: fast hashing, memory cache and mail, tasks at once, files in a temp folder."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

SANDYQ_ENVIRONMENT = "test"
DEBUG = False
SECRET_KEY = "sandyq-tests-only"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Off so that the suite's force_login reaches the admin; tests of it turn it on.
SANDYQ_2FA_REQUIRED = False
# Off unless a test turns it on (tests/home/test_page_cache.py): other tests change
# rows behind the signals and read the page again.
SANDYQ_PAGE_CACHE_SECONDS = 0
# Off unless a test turns it on (tests/search/test_kept_answers.py): a heavy query one
# test asked would otherwise be answered again after another test's changes.
SANDYQ_SEARCH_REFRESHED_QUERIES = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
_FILES = Path(os.environ.get("SANDYQ_TEST_FILES", tempfile.mkdtemp(prefix="sandyq-test-")))
MEDIA_ROOT = _FILES / "media"
STATIC_ROOT = _FILES / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
PRIVATE_MEDIA_ROOT = _FILES / "private"
STORAGES["private"]["OPTIONS"]["location"] = PRIVATE_MEDIA_ROOT  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory, so that tests with several threads wait
    # for SQLite's write lock the way the real site does instead of failing.
    DATABASES["default"]["TEST"] = {"NAME": str(_FILES / "test.sqlite3")}  # noqa: F405
elif os.environ.get("SANDYQ_TEST_DATABASE"):
    # Two PostgreSQL runs on one server must not share (and drop) one test database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["SANDYQ_TEST_DATABASE"]}  # noqa: F405
WAGTAILSEARCH_BACKENDS = {  # noqa: F405
    "default": {"BACKEND": "wagtail.search.backends.database", "AUTO_UPDATE": True}
}
if ELASTICSEARCH_URL:  # noqa: F405 - the live Elasticsearch tests use their own backend
    WAGTAILSEARCH_BACKENDS["elasticsearch"] = {
        "BACKEND": "search.backends",
        "URLS": [ELASTICSEARCH_URL],  # noqa: F405
        "INDEX_PREFIX": "test_sandyq_",
        "AUTO_UPDATE": False,
    }
