"""The files of the document libraries: Wagtail's document model extended with the
text inside the file, its checksum, its real type and a first-page preview, and
the numbered versions a replaced file leaves behind.

Replacing a file keeps the old one as a numbered ``DocumentVersion`` and the
document's URL goes on serving the current file under its original name.
"""

import os
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.documents.models import AbstractDocument, DocumentQuerySet
from wagtail.search import index

from ..files.validation import validate_upload


def private_storage():
    """The storage that holds document files, out of reach of the web server.

    A callable, so migrations name this function rather than freezing a
    machine's folder, and deployments point ``STORAGES["private"]`` anywhere.
    """
    return storages["private"]


def document_upload_to(instance, filename):
    """A stored name the uploader does not control; the original name is kept apart."""
    extension = os.path.splitext(filename)[1].lower()[:10]
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


def version_upload_to(instance, filename):
    extension = os.path.splitext(filename)[1].lower()[:10]
    return f"versions/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


def preview_upload_to(instance, filename):
    return f"previews/{uuid.uuid4().hex}.png"


class ExtractionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    OCR = "ocr", _("Read by OCR")
    FAILED = "failed", _("Failed")
    ENCRYPTED = "encrypted", _("Encrypted")


class ExtractionFailure(models.TextChoices):
    """Why a file's text could not be read, told to editors in their own language.

    Stored as a code, so the admin and the record page say it in the language of
    whoever looks, whatever language the worker ran in; ``extraction_error``
    keeps the details of that one attempt.
    """

    NONE = "", _("None")
    TIME_LIMIT = (
        "time_limit",
        _("Reading the file took longer than the time limit allows; the rest of it was not read."),
    )
    MEMORY_LIMIT = (
        "memory_limit",
        _(
            "Reading the file needed more memory than the limit allows. It may be built to "
            "exhaust the server (a decompression bomb)."
        ),
    )
    TOO_LARGE = (
        "too_large",
        _(
            "The file unpacks to more than the limit allows, or more than its own table of "
            "contents says."
        ),
    )
    CRASHED = (
        "crashed",
        _("The program reading the file stopped unexpectedly. The file may be damaged."),
    )
    DAMAGED = "damaged", _("The file is damaged or is not what its type says, and cannot be read.")
    OCR_UNAVAILABLE = (
        "ocr_unavailable",
        _(
            "Pages without a text layer could not be read: text recognition (OCR) is not "
            "available on the server."
        ),
    )
    UNSUPPORTED = "unsupported", _("Text cannot be read from files of this type.")
    WORKER_LOST = (
        "worker_lost",
        _("The background worker stopped while reading this file, again and again."),
    )
    TASK_ERROR = "task_error", _("The background task that reads this file failed.")


class LibraryDocument(AbstractDocument):
    file = models.FileField(
        _("file"), upload_to=document_upload_to, storage=private_storage, max_length=255
    )
    original_filename = models.CharField(_("original file name"), max_length=255, blank=True)
    mime_type = models.CharField(_("type"), max_length=100, blank=True, editable=False)
    sha256 = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    extracted_text = models.TextField(_("extracted text"), blank=True, editable=False)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True, editable=False)
    language = models.CharField(_("detected language"), max_length=5, blank=True, editable=False)
    extraction_status = models.CharField(
        _("text extraction"),
        max_length=10,
        choices=ExtractionStatus.choices,
        default=ExtractionStatus.PENDING,
        editable=False,
    )
    extraction_failure = models.CharField(
        _("why extraction failed"),
        max_length=20,
        choices=ExtractionFailure.choices,
        blank=True,
        default="",
        editable=False,
    )
    extraction_error = models.TextField(_("extraction error"), blank=True, editable=False)
    extracted_at = models.DateTimeField(null=True, blank=True, editable=False)
    preview = models.FileField(
        _("preview"),
        upload_to=preview_upload_to,
        storage=private_storage,
        blank=True,
        editable=False,
        max_length=255,
    )

    admin_form_fields = ("title", "file", "collection", "tags")

    search_fields = AbstractDocument.search_fields + [
        index.SearchField("extracted_text"),
        index.SearchField("original_filename"),
        index.FilterField("mime_type"),
        index.FilterField("extraction_status"),
    ]

    objects = DocumentQuerySet.as_manager()

    class Meta(AbstractDocument.Meta):
        verbose_name = _("file")
        verbose_name_plural = _("files")
        permissions = [("choose_document", "Can choose document")]

    def clean(self):
        if not self.file:
            return  # the form has already said the file is missing or empty
        super().clean()

    @property
    def filename(self):
        """The name the uploader gave, which the URL and downloads keep."""
        return self.original_filename or os.path.basename(self.file.name)

    @property
    def content_type(self):
        return self.mime_type or super().content_type

    @property
    def current_version_number(self) -> int:
        return self.versions.count() + 1

    @property
    def preview_url(self):
        if not self.preview:
            return ""
        return reverse("docs_library:preview", args=[self.pk])

    def apply_extraction(self, result) -> None:
        """Take what reading the file found (a ``files.extraction`` result); not saved."""
        self.extracted_text = result.text
        self.page_count = result.page_count
        self.extraction_status = result.status
        failed = result.status == ExtractionStatus.FAILED
        self.extraction_failure = result.reason if failed else ExtractionFailure.NONE
        self.extraction_error = result.error
        self.language = result.language
        self.extracted_at = timezone.now()

    def apply_upload(self, info, *, replacing: bool = False) -> None:
        """Take the facts about a freshly accepted file (a ``validation.UploadInfo``).

        A replacement keeps the document's file name (with the new file's
        extension), so its URL, often printed on paper, stays the same. What was
        known about the previous file (its text, pages, preview) no longer
        holds, so it is cleared until extraction runs again.
        """
        if replacing and self.original_filename:
            stem = os.path.splitext(self.original_filename)[0]
            self.original_filename = f"{stem}.{info.extension}"
        else:
            self.original_filename = info.clean_name
        self.mime_type = info.mime
        self.sha256 = info.sha256
        self.file_size = info.size
        self.extraction_status = ExtractionStatus.PENDING
        self.extraction_failure = ExtractionFailure.NONE
        self.extraction_error = ""
        self.extracted_text = ""
        self.page_count = None
        self.language = ""
        self.extracted_at = None
        self.preview = ""
        self._needs_extraction = True

    @classmethod
    def from_upload(cls, upload, *, title: str = "", user=None, collection=None):
        """Check and store an uploaded file (a Django ``File``) as a new document.

        Raises ``ValidationError`` with a message for the uploader when the file
        is refused; nothing is stored then.
        """
        document = cls.stored_upload(upload, title=title, user=user, collection=collection)
        try:
            document.save()
        except Exception:
            document.file.delete(save=False)  # no stored file without its row
            raise
        return document

    @classmethod
    def stored_upload(cls, upload, *, title: str = "", user=None, collection=None):
        """``from_upload`` without saving the row: the file is checked and stored,
        the document is not (``import_archive`` inserts a batch of them at once;
        whoever calls this deletes the stored file if the row is never saved)."""
        from wagtail.models import Collection

        info = validate_upload(upload, upload.name)
        document = cls(
            title=title or os.path.splitext(info.clean_name)[0],
            collection=collection or Collection.get_first_root_node(),
            uploaded_by_user=user if getattr(user, "pk", None) else None,
        )
        document.file.save(info.clean_name, upload, save=False)
        try:
            document.apply_upload(info)
            document._set_file_hash()
        except Exception:
            document.file.delete(save=False)
            raise
        return document

    def keep_current_file_as_version(self, stored_name: str, user=None, comment: str = ""):
        """Record the file stored under ``stored_name`` as the next old version.

        The stored file is not copied or moved: the version points at it, and
        the new upload is stored under a name of its own.
        """
        previous = LibraryDocument.objects.get(pk=self.pk)
        last = self.versions.aggregate(models.Max("number"))["number__max"] or 0
        return DocumentVersion.objects.create(
            document=self,
            number=last + 1,
            file=stored_name,
            original_filename=previous.filename,
            mime_type=previous.mime_type,
            sha256=previous.sha256,
            file_size=previous.file_size,
            extracted_text=previous.extracted_text,
            created_by=user if getattr(user, "pk", None) else None,
            comment=comment,
        )

    def replace_file(self, upload, *, user=None, comment: str = "") -> None:
        """Replace the file, keeping the old one as a numbered version; the URL stays."""
        info = validate_upload(upload, upload.name)
        with transaction.atomic():
            self.keep_current_file_as_version(self.file.name, user=user, comment=comment)
            self.file.save(info.clean_name, upload, save=False)
            self.apply_upload(info, replacing=True)
            self._set_file_hash()
            self.save()


class DocumentVersion(models.Model):
    """An earlier file of a document, kept when the file was replaced."""

    document = models.ForeignKey(LibraryDocument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(
        _("file"), upload_to=version_upload_to, storage=private_storage, max_length=255
    )
    original_filename = models.CharField(_("file name"), max_length=255)
    mime_type = models.CharField(_("type"), max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveBigIntegerField(_("size"), null=True)
    extracted_text = models.TextField(blank=True)
    created_at = models.DateTimeField(_("replaced at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("file version")
        verbose_name_plural = _("file versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="unique_version_number")
        ]

    def __str__(self):
        return f"{self.document} v{self.number}"

    @property
    def filename(self):
        return self.original_filename

    @property
    def url(self):
        return reverse(
            "docs_library:version", args=[self.document_id, self.number, self.original_filename]
        )
