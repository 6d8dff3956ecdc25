"""Settings of the processes that tests start beside themselves: a task worker, a web server.

The test settings, on the test run's own database and files (the parent passes
``SANDYQ_TEST_FILES`` and ``SANDYQ_PROCESS_DATABASE``), with the production
task queue (``django_tasks_db``) and mail written to files the test reads
(``SANDYQ_PROCESS_MAIL``).
"""

import os

from cms.settings.test import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["SANDYQ_PROCESS_DATABASE"]  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["SANDYQ_PROCESS_MAIL"]
if os.environ.get("SANDYQ_PROCESS_STORAGE"):
    STORAGES["private"]["BACKEND"] = os.environ["SANDYQ_PROCESS_STORAGE"]  # noqa: F405
