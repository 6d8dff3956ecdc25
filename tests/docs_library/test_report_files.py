"""Files sent with a report: each a record of the executor's library, as open as the
assignment's record, seen by whom the access policy lets see it; a broken upload
saves nothing."""

# The ``party`` fixture of test_assignments is imported; tests name it as their argument.
# ruff: noqa: F811

from pathlib import Path
from unittest import mock

import pytest

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from wagtail.models import PageLogEntry

from docs_library import access
from docs_library.circulation import assignments, report_files
from docs_library.models import (
    DocumentLibraryPage,
    DocumentPage,
    ExecutionState,
    JournalEntry,
    LibraryDocument,
    ReportFile,
)
from home import roles
from tests.docs_library import samples
from tests.docs_library.lifecycle import days, library_of, person, publish
from tests.docs_library.test_assignments import issue, party  # noqa: F401
from tests.factories import DocumentPageFactory, upload

SECRET = "FILETOKEN4471"


def pdf(name="Хаттама.pdf"):
    return upload(samples.kazakh_pdf(text=f"Жиналыс хаттамасы {SECRET}"), name)


def stored_files() -> set[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


@pytest.fixture
def sent(party):
    """An assignment to a primary organisation with a library, and one of its readers."""
    executor = party["primaries"][0]
    party["library"] = library_of(executor, title="Хаттамалар")
    party["execution"] = issue(party, executors=[executor]).executions.get()
    party["member"] = person(roles.READER, executor, username="primary.member")
    return party


def test_a_file_becomes_a_record_of_the_executors_library_as_open_as_the_assignments(sent):
    execution = sent["execution"]
    assignments.report(execution, sent["member"], "Жиналыс өтті", [pdf()])
    link = ReportFile.objects.get(execution=execution)
    record = DocumentPage.objects.get(pk=link.record_id)
    assert record.get_parent().pk == sent["library"].pk
    assert record.organisation_id == sent["primaries"][0].pk
    assert (record.live, record.document_type) == (True, "report")
    assert record.access_level == sent["record"].access_level == "organisation"
    assert record.owner_id == sent["member"].pk
    document = record.main_file
    assert document.filename == "Хаттама.pdf"
    assert SECRET in document.extracted_text  # read by the extraction task
    entry = PageLogEntry.objects.get(page=sent["record"], action="sandyq.execution_report")
    assert entry.data["files"] == [record.pk]
    assert PageLogEntry.objects.filter(page=record, action="wagtail.publish").exists()


@pytest.mark.parametrize("level", ["public", "members"])
def test_the_files_level_follows_the_records(party, level):
    record = publish(
        DocumentPageFactory(
            parent=library_of(party["karaganda"], slug=level),
            live=False,
            access_level=level,
            owner=party["author"],
        )
    )
    party["record"] = record
    executor = party["primaries"][0]
    execution = issue(party, executors=[executor]).executions.get()
    assignments.report(execution, person(roles.READER, executor), "Өтті", [pdf()])
    made = DocumentPage.objects.get(pk=ReportFile.objects.get().record_id)
    assert made.access_level == level


@pytest.mark.parametrize(
    ("role", "where", "sees"),
    [
        (roles.READER, "karaganda", True),  # the issuing organisation
        (roles.MANAGER, "karaganda", True),
        (roles.CONTRIBUTOR, "district", True),  # above the executor, as for its own records
        (roles.EDITOR, "primaries", False),  # the executor's sibling (index 1)
        (roles.EDITOR, "akmola", False),  # a sibling region
        (roles.READER, "elsewhere", False),
    ],
)
def test_who_sees_a_report_file_by_role_and_place(sent, role, where, sees):
    assignments.report(sent["execution"], sent["member"], "Өтті", [pdf()])
    made = DocumentPage.objects.get(pk=ReportFile.objects.get().record_id)
    page = sent[where][1] if where == "primaries" else sent[where]
    user = person(role, page)
    assert access.can_view(user, made) is sees
    assert access.can_view(user, made.main_file) is sees
    assert access.can_view(sent["member"], made)  # who sent it


def test_the_author_sees_the_files_across_a_block_and_a_sibling_never(sent, client):
    roles.set_inheritance_blocked(sent["district"], True)
    assignments.report(sent["execution"], sent["member"], "Өтті", [pdf()])
    made = DocumentPage.objects.get(pk=ReportFile.objects.get().record_id)
    assert access.can_view(sent["author"], made)  # opened to the issuing organisation
    assert not access.can_view(person(roles.READER, sent["primaries"][1]), made)
    client.force_login(sent["author"])
    url = reverse("circulars:assignment", args=[sent["execution"].assignment_id])
    page = client.get(url).content.decode()
    assert f'data-report-file="{made.pk}"' in page
    assert client.get(made.main_file.url).status_code == 200
    client.force_login(person(roles.READER, sent["primaries"][1]))
    assert client.get(made.main_file.url).status_code == 404
    assert client.get(made.url).status_code == 404
    client.logout()
    response = client.get(made.main_file.url)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_decider_who_may_no_longer_read_a_file_does_not_see_it_listed(sent, client):
    assignments.report(sent["execution"], sent["member"], "Өтті", [pdf()])
    made = DocumentPage.objects.get(pk=ReportFile.objects.get().record_id)
    DocumentPage.objects.filter(pk=made.pk).update(access_level="restricted")
    access.refresh_tokens([DocumentPage.objects.get(pk=made.pk)])
    editor = person(roles.EDITOR, sent["karaganda"])  # may decide, not see restricted records
    client.force_login(editor)
    url = reverse("circulars:assignment", args=[sent["execution"].assignment_id])
    page = client.get(url).content.decode()
    assert f'data-report-file="{made.pk}"' not in page
    assert made.title not in page


def test_the_report_form_sends_files(sent, client):
    client.force_login(sent["member"])
    url = reverse("circulars:execution", args=[sent["execution"].pk])
    assert 'enctype="multipart/form-data"' in client.get(url).content.decode()
    client.post(
        reverse("circulars:execution_report", args=[sent["execution"].pk]),
        {"report": "Өтті", "files": [pdf("Бірінші.pdf"), pdf("Екінші.pdf")]},
    )
    titles = set(
        DocumentPage.objects.filter(pk__in=ReportFile.objects.values("record_id")).values_list(
            "main_file__original_filename", flat=True
        )
    )
    assert titles == {"Бірінші.pdf", "Екінші.pdf"}
    page = client.get(url).content.decode()
    assert page.count("data-report-file=") == 2


def test_a_library_is_made_when_the_organisation_has_none(party):
    executor = party["primaries"][1]
    execution = issue(party, executors=[executor]).executions.get()
    assignments.report(execution, person(roles.READER, executor), "Өтті", [pdf()])
    library = DocumentLibraryPage.objects.child_of(executor).get()
    assert DocumentPage.objects.child_of(library).count() == 1


def test_a_named_persons_files_go_to_their_organisations_library(party):
    named = person(roles.READER, party["karaganda"])
    library_of(party["karaganda"], title="Есептер", slug="reports")
    assignment, _created = assignments.issue(
        party["record"], party["author"], text="Өзіңіз", deadline=days(5), people=[named]
    )
    execution = assignment.executions.get()
    assignments.report(execution, named, "Өтті", [pdf()])
    made = DocumentPage.objects.get(pk=ReportFile.objects.get().record_id)
    first = DocumentLibraryPage.objects.child_of(party["karaganda"]).order_by("path").first()
    assert made.get_parent().pk == first.pk  # the organisation's first library
    assert made.organisation_id == party["karaganda"].pk


# --- broken uploads --------------------------------------------------------------------------


def test_a_hostile_file_is_refused_in_the_readers_language_and_nothing_is_saved(sent, client):
    before = stored_files()
    client.force_login(sent["member"])
    hostile = upload(b"<html><script>alert(1)</script></html>", "Хаттама.pdf")
    response = client.post(
        reverse("circulars:execution_report", args=[sent["execution"].pk]),
        {"report": "Өтті", "files": [pdf(), hostile]},
        follow=True,
    )
    html = response.content.decode()
    assert "Хаттама.pdf:" in html
    sent["execution"].refresh_from_db()
    assert sent["execution"].state == ExecutionState.ISSUED
    assert not ReportFile.objects.exists()
    assert not DocumentPage.objects.child_of(sent["library"]).exists()
    assert not LibraryDocument.objects.filter(original_filename="Хаттама.pdf").exists()
    assert not JournalEntry.objects.filter(source="report").exists()
    assert stored_files() == before


def test_a_failure_while_storing_leaves_no_report_no_record_and_no_stored_file(sent):
    before = stored_files()
    real = ReportFile.objects.create
    calls = []

    def second_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise IntegrityError("the disk went away")
        return real(**kwargs)

    with (
        mock.patch.object(ReportFile.objects, "create", side_effect=second_fails),
        pytest.raises(IntegrityError),
    ):
        assignments.report(sent["execution"], sent["member"], "Өтті", [pdf("1.pdf"), pdf("2.pdf")])
    sent["execution"].refresh_from_db()
    assert sent["execution"].state == ExecutionState.ISSUED
    assert not ReportFile.objects.exists()
    assert not DocumentPage.objects.child_of(sent["library"]).exists()
    assert not LibraryDocument.objects.filter(original_filename__in=["1.pdf", "2.pdf"]).exists()
    assert stored_files() == before


def test_a_report_refused_by_its_state_stores_no_file(sent):
    assignments.report(sent["execution"], sent["member"], "Өтті")
    assignments.accept(sent["execution"], sent["author"])
    before = stored_files()
    with pytest.raises(ValidationError):
        assignments.report(sent["execution"], sent["member"], "Тағы", [pdf()])
    assert not ReportFile.objects.exists()
    assert stored_files() == before


def test_too_many_files_are_refused_before_anything_is_written(sent):
    before = stored_files()
    with pytest.raises(ValidationError):
        assignments.report(
            sent["execution"],
            sent["member"],
            "Өтті",
            [pdf(f"{n}.pdf") for n in range(report_files.MAX_FILES + 1)],
        )
    assert stored_files() == before
    assert sent["execution"].state == ExecutionState.ISSUED
