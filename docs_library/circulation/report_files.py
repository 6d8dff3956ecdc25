"""The files an executor sends with a report: each becomes a record of its own.

A file is checked by the upload rules every upload obeys
(``files.validation``: size, type, hostile content) before anything is
written. Accepted, it is stored as a ``LibraryDocument`` and shown by a new,
published ``DocumentPage`` (type "report", the file as its main file) in the
executor organisation's document library (a named person's: the organisation
they are counted under), at the access level of the assignment's record, so
it is never more open than the record. ``ReportFile`` ties it to the
execution, and the access policy decides who sees it as for any record (the
issuing organisation too, ``access.report_file_receivers``). Text extraction
runs through the task every new file goes to (``files.tasks``).

``assignments.report`` calls ``store`` inside the report's transaction: a
report is saved with all its files or not at all. Files already written to
storage when the transaction fails are deleted by ``forget``.
"""

import os
import uuid

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from wagtail.log_actions import log
from wagtail.models import Page

from home import roles

from .. import access
from ..files.validation import validate_upload
from ..models import DocumentLibraryPage, DocumentPage, DocumentType, LibraryDocument, ReportFile

#: The most files one report may carry.
MAX_FILES = 10


def check(uploads) -> list:
    """The uploads, each checked; a ``ValidationError`` naming the first refused file."""
    uploads = [upload for upload in uploads if upload]
    if len(uploads) > MAX_FILES:
        raise ValidationError(
            _("A report may carry at most %(count)s files.") % {"count": MAX_FILES}
        )
    for upload in uploads:
        try:
            validate_upload(upload, upload.name)
        except ValidationError as error:
            name = os.path.basename(upload.name)
            raise ValidationError(f"{name}: {' '.join(error.messages)}") from None
    return uploads


def library_of(organisation: Page, user) -> DocumentLibraryPage:
    """The organisation's first document library; a "Reports" library made when it has none."""
    library = DocumentLibraryPage.objects.child_of(organisation).live().order_by("path").first()
    if library is not None:
        return library
    library = DocumentLibraryPage(
        title=_("Reports"), slug=f"reports-{uuid.uuid4().hex[:8]}", owner=user
    )
    organisation.add_child(instance=library)
    log(instance=library, action="wagtail.create", user=user)
    return library


def store(execution, user, uploads, stored: list) -> list[int]:
    """Make a record of each upload; their ids. ``stored`` collects the files written,
    for ``forget`` when the caller's transaction fails."""
    if not uploads:
        return []
    assignment = execution.assignment
    record = assignment.record
    organisation = Page.objects.get(pk=execution.unit_id)
    library = library_of(organisation, user)
    collection = roles.collection_for(library)
    made = []
    for upload in uploads:
        document = LibraryDocument.from_upload(upload, user=user, collection=collection)
        stored.append(document)
        document.refresh_from_db(fields=["preview"])  # an immediate task made one already
        name = document.filename
        title = (_("Report: %(text)s") % {"text": os.path.splitext(name)[0]})[:255]
        page = DocumentPage(
            title=title,
            slug=f"{slugify(title, allow_unicode=True)[:60]}-{uuid.uuid4().hex[:8]}",
            document_type=DocumentType.REPORT,
            access_level=record.access_level,
            language=record.language,
            main_file=document,
            owner=user,
        )
        library.add_child(instance=page)
        ReportFile.objects.create(execution=execution, record=page)
        log(instance=page, action="wagtail.create", user=user)
        # Published by the report, not by the reporter's page rights (a Reader may report).
        page.save_revision(user=user).publish(user=user, skip_permission_checks=True)
        access.refresh_tokens([page])  # now that ``ReportFile`` ties it to the issuer
        made.append(page.pk)
    return made


def forget(documents) -> None:
    """Delete from storage the files of a report that was not saved."""
    for document in documents:
        for fieldfile in (document.file, document.preview):
            if fieldfile:
                fieldfile.storage.delete(fieldfile.name)
