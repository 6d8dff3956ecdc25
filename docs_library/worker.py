"""What the database task worker needs beyond django-tasks-db: tasks a dead worker held.

django-tasks-db 0.13 claims a task by marking it RUNNING with the worker's id
and never looks at it again. A worker killed in the middle of a task (SIGKILL,
the out-of-memory killer, a machine that lost power) leaves the task RUNNING
for ever, and the file it was reading "pending" for ever. So:

- each worker's id says where it runs (``host:pid:random``);
- ``recover_abandoned_tasks`` puts a RUNNING task back in the queue when the
  worker that claimed it is known to be dead (same host, no such process), or
  when it started longer ago than ``SANDYQ_TASK_STALE_AFTER`` (a worker on
  another machine, which this one cannot ask); after ``MAX_ATTEMPTS`` claims
  it gives up and marks the task failed, and a file it was reading failed
  with the reason, so that a file that kills whoever reads it cannot take
  the queue down with it;
- ``manage.py db_worker`` (Sandyq's, which replaces django-tasks-db's) runs it
  before it takes its first task; ``manage.py recover_tasks`` runs it alone
  (from cron, where workers run on several machines).

A task failed by its own exception is django-tasks-db's business, but a file
whose reading task failed so is marked failed too (``extraction_task_failed``).
"""

import datetime
import logging
import os
import socket

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from .files.tasks import extract_document_task, give_up_extraction
from .models import ExtractionFailure

logger = logging.getLogger("sandyq.worker")

#: A task claimed this many times by workers that died is given up.
MAX_ATTEMPTS = 3
#: A RUNNING task older than this is taken for abandoned whoever holds it, seconds.
#: Longer than any task runs: extraction stops itself at SANDYQ_EXTRACTION_TIMEOUT
#: plus 15 s, and the other tasks (indexing, mail, distribution) take seconds.
DEFAULT_STALE_AFTER = 60 * 60
EXTRACTION_TASK = extract_document_task.module_path


def new_worker_id() -> str:
    """``host:pid:random``, at most 64 characters as django-tasks-db allows."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(12)}"


def _worker_is_dead(worker_id: str) -> bool:
    """Whether the worker ``worker_id`` is known to be gone; False when it cannot tell."""
    host, _, rest = worker_id.partition(":")
    pid, _, _ = rest.partition(":")
    if host != socket.gethostname()[:40] or not pid.isdigit():
        return False  # another machine, or an id given by hand
    if int(pid) == os.getpid():
        # A restarted container's worker often gets its predecessor's pid; this
        # process has taken no task yet, so the holder was that predecessor.
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"db_worker" not in cmdline.read()  # the pid was reused by another program
    except OSError:
        return False


def recover_abandoned_tasks(*, stale_after: float | None = None) -> tuple[int, int]:
    """Requeue, or give up, the RUNNING tasks whose workers are gone; (requeued, given up)."""
    if stale_after is None:
        stale_after = getattr(settings, "SANDYQ_TASK_STALE_AFTER", DEFAULT_STALE_AFTER)
    stale_before = timezone.now() - datetime.timedelta(seconds=stale_after)
    requeued = given_up = 0
    for result in DBTaskResult.objects.running().order_by("started_at"):
        holder = result.worker_ids[-1] if result.worker_ids else ""
        dead = _worker_is_dead(holder)
        if not dead and (result.started_at is None or result.started_at > stale_before):
            continue
        # Only if nobody has claimed or finished it meanwhile.
        still_held = DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
        )
        with transaction.atomic():
            if len(result.worker_ids) >= MAX_ATTEMPTS:
                if still_held.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=timezone.now(),
                    exception_class_path="docs_library.worker.WorkerLost",
                    traceback=f"Abandoned by {len(result.worker_ids)} workers: "
                    + ", ".join(result.worker_ids),
                ):
                    given_up += 1
                    _give_up(result)
            elif still_held.update(status=TaskResultStatus.READY, started_at=None):
                requeued += 1
        logger.warning(
            "Task %s (%s) was left running by worker %s (%s): %s",
            result.pk,
            result.task_path,
            holder or "?",
            "dead" if dead else f"started {result.started_at:%Y-%m-%d %H:%M:%S}",
            "given up" if len(result.worker_ids) >= MAX_ATTEMPTS else "queued again",
        )
    return requeued, given_up


def _give_up(result: DBTaskResult) -> None:
    args = result.args_kwargs.get("args") or []
    if result.task_path == EXTRACTION_TASK and args:
        give_up_extraction(
            args[0],
            ExtractionFailure.WORKER_LOST,
            f"{len(result.worker_ids)} workers stopped while reading this file.",
        )


def extraction_task_failed(sender, task_result, **kwargs):
    """A reading task that raised leaves its file failed, not pending (``task_finished``)."""
    if (
        task_result.status != TaskResultStatus.FAILED
        or task_result.task.module_path != EXTRACTION_TASK
        or not task_result.args
    ):
        return
    errors = getattr(task_result, "errors", None) or []
    detail = errors[-1].exception_class_path if errors else ""
    give_up_extraction(task_result.args[0], ExtractionFailure.TASK_ERROR, detail)
