"""Background work on document files: text extraction, OCR and previews.

Runs as django-tasks tasks, at once in development and tests, from the
database queue (``manage.py db_worker``) in production. A failure is recorded
on the document, never raised into the request that saved it.
"""

import logging
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django_tasks import task

from django.core.files.base import ContentFile
from django.utils import timezone

from wagtail.search import index

from home import page_cache

from ..access import records_showing
from ..models import DocumentPage, ExtractionStatus, LibraryDocument

logger = logging.getLogger("sandyq.extraction")

PREVIEW_WIDTH = 600


@contextmanager
def local_copy(fieldfile):
    """A path on this machine for a stored file, copying it only when the storage is remote."""
    try:
        yield Path(fieldfile.path)
        return
    except NotImplementedError:
        pass
    suffix = Path(fieldfile.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        with fieldfile.open("rb") as source:
            shutil.copyfileobj(source, handle)
        handle.flush()
        yield Path(handle.name)


def extract_document(document: LibraryDocument, **limits) -> LibraryDocument:
    """Read the text and render the preview of one file, and store both.

    ``limits`` (``timeout``, ``memory_limit``, ``max_ocr_pages``) replace the
    settings for this file: ``retry_extraction`` tries a genuine file again
    with more room than the site allows every upload.
    """
    # Imported here: the readers of PDF, office and image files (pypdfium2,
    # pytesseract, python-docx, odfpy: tens of MB) are the worker's, not every
    # web process's, which only queues the task.
    from .extraction import extract_text

    with local_copy(document.file) as path:
        # Text and preview come from a child process: a hostile file can
        # exhaust its memory, not this worker's.
        result = extract_text(
            path,
            document.mime_type,
            preview_width=PREVIEW_WIDTH,
            **{name: value for name, value in limits.items() if value is not None},
        )

    document.apply_extraction(result)
    if document.preview:
        document.preview.delete(save=False)
    if result.preview is not None:
        document.preview.save("preview.png", ContentFile(result.preview), save=False)
    LibraryDocument.objects.filter(pk=document.pk).update(
        extracted_text=document.extracted_text,
        page_count=document.page_count,
        extraction_status=document.extraction_status,
        extraction_failure=document.extraction_failure,
        extraction_error=document.extraction_error,
        language=document.language,
        extracted_at=document.extracted_at,
        preview=document.preview.name or "",
    )
    records = reindex_document_and_records(document)
    # The record pages show the file's page count, preview and whether it was read;
    # the rows changed by a queryset update, which no signal reports.
    page_cache.purge(*records)
    return document


def reindex_document_and_records(document: LibraryDocument) -> list[DocumentPage]:
    """The file's text is searched through the file and through the records that show it."""
    index.insert_or_update_object(document)
    records = list(records_showing(document))
    for record in records:
        index.insert_or_update_object(record)
    return records


@task()
def extract_document_task(document_id: int, **limits) -> str:
    document = LibraryDocument.objects.filter(pk=document_id).first()
    if document is None:
        return "missing"
    return extract_document(document, **limits).extraction_status


def queue_extraction(document: LibraryDocument, **limits) -> None:
    """Queue the file for extraction (immediate backends run it now)."""
    extract_document_task.enqueue(document.pk, **limits)


def give_up_extraction(document_id: int, failure: str, detail: str = "") -> None:
    """The task reading a file will not finish: say so on the file, never leave it pending.

    ``failure`` is an ``ExtractionFailure`` code: the task raised (the stored
    file is gone, the database was away), or workers kept dying on it.
    """
    LibraryDocument.objects.filter(
        pk=document_id, extraction_status=ExtractionStatus.PENDING
    ).update(
        extraction_status=ExtractionStatus.FAILED,
        extraction_failure=failure,
        extraction_error=detail,
        extracted_at=timezone.now(),
    )
