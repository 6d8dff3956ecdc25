import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from django.conf import settings
from django.db import connection

from tests.factories import LibraryFactory


@pytest.fixture
def library(tree):
    return LibraryFactory(parent=tree["primary"], title="Хаттамалар")


@pytest.fixture
def admin_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="admin.user", is_superuser=True, is_staff=True)


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue(settings):
    """Tasks go to the database queue, as in production, not run at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def start(tmp_path, mail_dir):
    """Start ``manage.py <args>`` (or ``command``) as a process of its own on the test
    database and files, with the database task queue and mail written to ``mail_dir``."""
    started = []

    def start(*args, command=None, **env):
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.process_settings",
            "SANDYQ_TEST_FILES": str(Path(settings.PRIVATE_MEDIA_ROOT).parent),
            "SANDYQ_PROCESS_DATABASE": str(connection.settings_dict["NAME"]),
            "SANDYQ_PROCESS_MAIL": str(mail_dir),
            **env,
        }
        log = tmp_path / f"{(command or args)[0].rsplit('/', 1)[-1]}-{len(started)}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(  # noqa: S603 - our own manage.py
                command or [sys.executable, str(ROOT / "manage.py"), *args],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed with it
            )
        process.log = log
        started.append(process)
        return process

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError):  # the group, a server's workers too
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
