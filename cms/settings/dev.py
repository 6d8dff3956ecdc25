"""Local development: debug on, mail to the console, tasks at once."""

from .base import *  # noqa: F403

SANDYQ_ENVIRONMENT = "development"
DEBUG = True
SECRET_KEY = "django-insecure-sandyq-dev-only"  # noqa: S105 - never used outside dev
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise looks there
