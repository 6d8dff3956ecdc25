"""The production task worker, as a process of its own: ``manage.py db_worker``.

Every other test runs tasks at once in the test process. Here the test
process queues them in the database (``django_tasks_db``, as production
does) through the admin, as an editor of an organisation, and a separate
``db_worker`` process on the test database does the work: reading the file,
indexing the record, sending the review mail (written to files by the
worker). The second test kills the worker with SIGKILL in the middle of an
OCR and shows that the next worker finishes the file by itself.
"""

import email
import os
import signal
import subprocess
import sys
import time
from email.policy import default as default_policy
from pathlib import Path

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.urls import reverse
from django.utils import translation

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from docs_library import worker
from docs_library.files.tasks import extract_document_task
from docs_library.lifecycle import workflow
from docs_library.models import DocumentPage, ExtractionFailure, ExtractionStatus, LibraryDocument
from home import roles
from search import service as search_service
from tests.conftest import require_binary
from tests.docs_library import samples
from tests.docs_library.lifecycle import library_of, person
from tests.factories import upload

pytestmark = pytest.mark.django_db(transaction=True)

#: Generous: the machine running the tests may be busy with other work.
WORKER_DEADLINE = 240


def run_worker(start):
    """A worker that does every queued task (and those they queue), then exits."""
    process = start("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    try:
        code = process.wait(timeout=WORKER_DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the worker did not finish: {process.log.read_text()[-3000:]}")
    assert code == 0, process.log.read_text()[-3000:]
    return process


def mails(mail_dir):
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        # The file backend writes each message followed by a line of dashes.
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                messages.append(email.message_from_bytes(raw, policy=default_policy))
    return messages


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (name) state ppid ...": the name may hold spaces and brackets.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def found(user, words):
    return [result.page_id for result in search_service.search(user, words).results]


@pytest.fixture
def district(tree):
    workflow.ensure_default_workflow()  # a flushed database has lost the migration's rows
    return tree["district"]


def upload_in_admin(client, organisation, data, name):
    response = client.post(
        reverse("wagtaildocs:add"),
        {"title": name, "file": upload(data, name), "collection": organisation.collection_id},
    )
    assert response.status_code == 302, response.context["form"].errors
    return LibraryDocument.objects.get(original_filename=name)


def test_the_worker_reads_the_file_indexes_the_record_and_sends_the_mail(
    client, queue, start, mail_dir, district
):
    library = library_of(district, default_access_level="organisation")
    editor = person(roles.EDITOR, district, username="editor", email="editor@example.kz")
    reviewer = person(roles.REVIEWER, district, username="reviewer", email="reviewer@example.kz")
    client.force_login(editor)

    # The editor uploads a file and submits a record showing it for review.
    document = upload_in_admin(client, district, samples.kazakh_pdf(), "Шешім.pdf")
    response = client.post(
        reverse("wagtailadmin_pages:add", args=["docs_library", "documentpage", library.pk]),
        nested_form_data(
            {
                "title": "Аудандық кеңес шешімі",
                "slug": "шешім",
                "document_type": "decision",
                "access_level": "organisation",
                "registration_number": "",
                "document_date": "2026-04-02",
                "language": "kk",
                "summary": "",
                "main_file": document.pk,
                "attachments": inline_formset([]),
                "addressees": inline_formset([]),
                "body": rich_text("<p>Шешім</p>"),
                "keywords": "",
                "addressing": "",
                "addressed_level": "",
                "response_deadline": "",
                "action-submit": "submit",
            }
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    record = DocumentPage.objects.get()

    # The request only queued the work.
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.PENDING
    assert DBTaskResult.objects.filter(task_path=extract_document_task.module_path).exists()
    assert not mails(mail_dir)

    run_worker(start)

    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.DONE
    assert "Қаһарман еңбегі" in document.extracted_text
    assert document.preview  # drawn by the worker's extraction child
    assert document.preview.storage.exists(document.preview.name)
    (mail,) = mails(mail_dir)
    assert mail["To"] == "reviewer@example.kz"
    assert "Аудандық кеңес шешімі" in mail.get_body().get_content()

    # The reviewer approves; the worker indexes the published record with its file's text.
    client.force_login(reviewer)
    record.refresh_from_db()
    task_state = record.current_workflow_task_state
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[record.pk, "approve", task_state.pk])
    )
    assert response.status_code == 302
    assert found(reviewer, "Қаһарман") == []  # a word only the file holds

    run_worker(start)

    assert found(reviewer, "Қаһарман") == [record.pk]
    assert {message["To"] for message in mails(mail_dir)} == {
        "reviewer@example.kz",
        "editor@example.kz",  # told the record was approved
    }
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {
        TaskResultStatus.SUCCESSFUL
    }


def test_a_file_left_half_read_by_a_killed_worker_is_read_by_the_next(
    client, queue, start, district
):
    require_binary("tesseract", "tesseract-ocr")
    editor = person(roles.EDITOR, district, username="editor")
    client.force_login(editor)
    # 20 scanned pages: several seconds of OCR, time enough to kill the worker mid-way.
    document = upload_in_admin(client, district, samples.scan_tiff(pages=20), "Скан.tiff")
    task = DBTaskResult.objects.get(task_path=extract_document_task.module_path)

    first = start("db_worker", "--no-startup-delay", "--interval", "0.2")
    deadline = time.monotonic() + WORKER_DEADLINE
    while not children_of(first.pid):  # the child reading the file
        assert first.poll() is None, first.log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the worker never started reading the file"
        time.sleep(0.05)
    reader = children_of(first.pid)[0]
    os.kill(first.pid, signal.SIGKILL)
    first.wait()

    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING  # as django-tasks-db leaves it
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.PENDING
    # The orphaned reader does not go on for nobody: the kernel kills it with its worker.
    while alive(reader):
        assert time.monotonic() < deadline, "the reading child outlived its worker"
        time.sleep(0.05)

    run_worker(start)

    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.OCR, document.extraction_error
    assert document.page_count == 20
    assert "ҚАУЛЫ" in document.extracted_text
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert len(task.worker_ids) == 2  # claimed by the killed worker, then by the next


def test_a_task_dead_workers_keep_leaving_is_given_up_and_the_file_says_why(queue, district):
    document = LibraryDocument.from_upload(upload(samples.kazakh_pdf(), "Шешім.pdf"))
    task = DBTaskResult.objects.get(task_path=extract_document_task.module_path)
    # A process of this host that has ended: its pid names no worker any more.
    gone = subprocess.Popen([sys.executable, "-c", ""])  # noqa: S603
    gone.wait()
    dead = f"{worker.new_worker_id().split(':')[0]}:{gone.pid}:x"
    elsewhere = "another-host:1:x"  # a worker this host cannot ask about, started just now

    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.RUNNING, started_at=task.enqueued_at, worker_ids=[elsewhere]
    )
    assert worker.recover_abandoned_tasks() == (0, 0)  # it may still be working
    assert worker.recover_abandoned_tasks(stale_after=0) == (1, 0)  # not after the limit
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY

    # A restarted container's worker gets its predecessor's pid: the holder is that one.
    predecessor = f"{dead.split(':')[0]}:{os.getpid()}:earlier"
    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.RUNNING, started_at=task.enqueued_at, worker_ids=[predecessor]
    )
    assert worker.recover_abandoned_tasks() == (1, 0)

    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.RUNNING,
        started_at=task.enqueued_at,
        worker_ids=[dead] * worker.MAX_ATTEMPTS,
    )
    assert worker.recover_abandoned_tasks() == (0, 1)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    document.refresh_from_db()
    assert document.extraction_status == ExtractionStatus.FAILED
    assert document.extraction_failure == ExtractionFailure.WORKER_LOST
    with translation.override("ru"):
        assert "фоновый обработчик" in document.get_extraction_failure_display().lower()
