"""``retry_extraction``: documents whose text could not be read are read again."""

import io

import pytest

from django.core.management import CommandError, call_command
from django.utils import translation

from wagtail.search import index

from docs_library.models import ExtractionStatus, LibraryDocument
from tests.docs_library import samples
from tests.factories import library_document


def run(*args):
    out = io.StringIO()
    with translation.override("en"):
        call_command("retry_extraction", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def break_extraction(document, status=ExtractionStatus.FAILED):
    """As a worker killed mid-way or a missing OCR model leaves a document."""
    LibraryDocument.objects.filter(pk=document.pk).update(
        extraction_status=status,
        extraction_error="tesseract: kaz.traineddata not found" if status == "failed" else "",
        extracted_text="",
        page_count=None,
    )
    index.insert_or_update_object(LibraryDocument.objects.get(pk=document.pk))


def found_by_search(document, word):
    return len(LibraryDocument.objects.filter(pk=document.pk).search(word)) == 1


@pytest.fixture
def failed(db):
    document = library_document(samples.kazakh_pdf(), "Шешім.pdf")
    break_extraction(document)
    return document


def test_a_failed_document_is_read_again(failed):
    assert not found_by_search(failed, "Қаһарман")

    output = run()

    failed.refresh_from_db()
    assert failed.extraction_status == ExtractionStatus.DONE
    assert failed.extraction_error == ""
    assert "Қаһарман еңбегі" in failed.extracted_text
    assert failed.page_count == 1
    assert "1 document: done 1." in output
    assert found_by_search(failed, "Қаһарман")


def test_documents_that_were_read_are_left_alone_unless_asked(failed):
    done = library_document(samples.kazakh_docx(), "Хаттама.docx")
    read_at = LibraryDocument.objects.get(pk=done.pk).extracted_at

    run()
    assert LibraryDocument.objects.get(pk=done.pk).extracted_at == read_at

    output = run("--all")
    assert LibraryDocument.objects.get(pk=done.pk).extracted_at > read_at
    assert "2 documents: done 2." in output


def test_status_picks_which_documents(failed):
    pending = library_document(samples.kazakh_docx(), "Хаттама.docx")
    break_extraction(pending, status=ExtractionStatus.PENDING)

    output = run("--status", "pending")

    assert LibraryDocument.objects.get(pk=pending.pk).extraction_status == "done"
    assert LibraryDocument.objects.get(pk=failed.pk).extraction_status == "failed"
    assert "1 document: done 1." in output


def test_a_file_that_still_cannot_be_read_is_listed_with_the_reason(failed):
    broken = library_document(samples.corrupt_pdf(), "Бүлінген.pdf")

    output = run()

    assert "2 documents: done 1, failed 1." in output
    broken.refresh_from_db()
    assert f"{broken.pk} Бүлінген.pdf: {broken.extraction_error}" in output
    assert broken.extraction_error


def test_queue_hands_the_work_to_the_task_backend(failed):
    output = run("--queue")

    assert "1 document: queued 1." in output
    # Tests run tasks immediately, so the queued work is already done.
    assert LibraryDocument.objects.get(pk=failed.pk).extraction_status == "done"


def test_nothing_to_do_is_said_plainly(db):
    assert "No documents to extract." in run()


def test_status_and_all_cannot_be_combined(db):
    with pytest.raises(CommandError):
        run("--all", "--status", "failed")
