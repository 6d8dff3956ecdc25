"""Document libraries: the file model with its versions, and the document record.

A ``DocumentPage`` is the record (Plone's File with metadata); its files are
``LibraryDocument`` objects, Wagtail's document model extended with the text
inside the file, its checksum, its real type and a first-page preview.
Replacing a file keeps the old one as a numbered ``DocumentVersion`` and the
document's URL goes on serving the current file under its original name.
"""

import os
import uuid

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase

from django.conf import settings
from django.core.files.storage import storages
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.documents.models import AbstractDocument, DocumentQuerySet
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from home.models import (
    ORGANISATION_PAGE_TYPES,
    format_registration_number,
    organisation_page_models,
)


class PrivateStorage(LazyObject):
    """The storage that holds document files, out of reach of the web server.

    Lazy so that tests (and deployments) can point ``STORAGES["private"]``
    elsewhere without the models remembering an old location.
    """

    def _setup(self):
        self._wrapped = storages["private"]


private_storage = PrivateStorage()


def document_upload_to(instance, filename):
    """A stored name the uploader does not control; the original name is kept apart."""
    extension = os.path.splitext(filename)[1].lower()[:10]
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


def version_upload_to(instance, filename):
    extension = os.path.splitext(filename)[1].lower()[:10]
    return f"versions/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


def preview_upload_to(instance, filename):
    return f"previews/{uuid.uuid4().hex}.png"


class DocumentType(models.TextChoices):
    CIRCULAR = "circular", _("Circular")
    DECISION = "decision", _("Decision")
    RESOLUTION = "resolution", _("Resolution")
    MINUTES = "minutes", _("Minutes")
    ORDER = "order", _("Order")
    REPORT = "report", _("Report")
    ANNOUNCEMENT = "announcement", _("Announcement")
    OTHER = "other", _("Other")


# Short codes used by registration-number patterns ({type_code}).
DOCUMENT_TYPE_CODES = {
    DocumentType.CIRCULAR: "Ц",
    DocumentType.DECISION: "Ш",
    DocumentType.RESOLUTION: "Қ",
    DocumentType.MINUTES: "Х",
    DocumentType.ORDER: "Б",
    DocumentType.REPORT: "Е",
    DocumentType.ANNOUNCEMENT: "Хб",
    DocumentType.OTHER: "Ж",
}


class DocumentLanguage(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")
    MIXED = "mixed", _("Mixed")


class AccessLevel(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEMBERS = "members", _("Party members")
    ORGANISATION = "organisation", _("Organisation")
    RESTRICTED = "restricted", _("Restricted")


class ExtractionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    OCR = "ocr", _("Read by OCR")
    FAILED = "failed", _("Failed")
    ENCRYPTED = "encrypted", _("Encrypted")


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

    def preview_url(self):
        if not self.preview:
            return ""
        return reverse("docs_library:preview", args=[self.pk])


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


class DocumentLibraryPage(Page):
    """A folder of documents belonging to one organisation; libraries may nest."""

    intro = RichTextField(_("introduction"), blank=True)
    default_document_type = models.CharField(
        _("default document type"),
        max_length=20,
        choices=DocumentType.choices,
        default=DocumentType.OTHER,
    )
    default_access_level = models.CharField(
        _("default access level"),
        max_length=20,
        choices=AccessLevel.choices,
        default=AccessLevel.ORGANISATION,
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldRowPanel([FieldPanel("default_document_type"), FieldPanel("default_access_level")]),
    ]

    parent_page_types = [*ORGANISATION_PAGE_TYPES, "docs_library.DocumentLibraryPage"]
    subpage_types = ["docs_library.DocumentLibraryPage", "docs_library.DocumentPage"]

    class Meta:
        verbose_name = _("document library")
        verbose_name_plural = _("document libraries")


class DocumentPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "docs_library.DocumentPage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class DocumentAttachment(Orderable):
    page = ParentalKey("docs_library.DocumentPage", related_name="attachments")
    document = models.ForeignKey(
        LibraryDocument, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+"
    )
    caption = models.CharField(_("caption"), max_length=255, blank=True)

    panels = [FieldPanel("document"), FieldPanel("caption")]

    class Meta(Orderable.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class RegistrationSequence(models.Model):
    """The last number given in an organisation's register for one year."""

    organisation = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="unique_sequence_year")
        ]

    def __str__(self):
        return f"{self.organisation_id}/{self.year}: {self.last_value}"

    @classmethod
    def next_value(cls, organisation, year: int) -> int:
        """Take the next number; concurrent callers never get the same one.

        The UPDATE takes the row lock (PostgreSQL) or the database's write lock
        (SQLite, whose transactions here begin IMMEDIATE), so two saves queue
        instead of both reading the same value.
        """
        with transaction.atomic():
            try:
                with transaction.atomic():
                    cls.objects.get_or_create(organisation=organisation, year=year)
            except IntegrityError:
                pass  # another save created the row first; ours is there to update
            cls.objects.filter(organisation=organisation, year=year).update(
                last_value=F("last_value") + 1
            )
            return cls.objects.get(organisation=organisation, year=year).last_value


class DocumentPage(Page):
    document_type = models.CharField(
        _("document type"),
        max_length=20,
        choices=DocumentType.choices,
        default=DocumentType.OTHER,
    )
    registration_number = models.CharField(
        _("registration number"),
        max_length=50,
        blank=True,
        help_text=_("Leave empty to number it from the organisation's pattern, if it has one."),
    )
    document_date = models.DateField(_("document date"), default=timezone.localdate)
    registration_year = models.PositiveSmallIntegerField(editable=False, db_index=True)
    language = models.CharField(
        _("language"), max_length=5, choices=DocumentLanguage.choices, default="kk"
    )
    summary = models.TextField(_("summary"), blank=True)
    body = RichTextField(_("text of the document"), blank=True)
    main_file = models.ForeignKey(
        LibraryDocument,
        verbose_name=_("main file"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    access_level = models.CharField(
        _("access"), max_length=20, choices=AccessLevel.choices, default=AccessLevel.ORGANISATION
    )
    keywords = ClusterTaggableManager(
        through=DocumentPageTag, blank=True, verbose_name=_("keywords")
    )
    related_documents = ParentalManyToManyField(
        "self", blank=True, symmetrical=False, verbose_name=_("related documents")
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="superseded_by",
    )
    organisation = models.ForeignKey(
        Page,
        verbose_name=_("organisation"),
        null=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("document_type"), FieldPanel("access_level")]),
        FieldRowPanel(
            [
                FieldPanel("registration_number"),
                FieldPanel("document_date"),
                FieldPanel("language"),
            ]
        ),
        FieldPanel("summary"),
        FieldPanel("main_file"),
        InlinePanel("attachments", label=_("Attachments")),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("keywords"),
                FieldPanel("related_documents"),
                FieldPanel("supersedes"),
            ],
            heading=_("Links"),
        ),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("registration_number", boost=5),
        index.AutocompleteField("registration_number"),
        index.SearchField("summary"),
        index.SearchField("body"),
        index.RelatedFields("main_file", [index.SearchField("extracted_text")]),
        index.FilterField("document_type"),
        index.FilterField("document_date"),
        index.FilterField("language"),
        index.FilterField("access_level"),
        index.FilterField("organisation"),
    ]

    parent_page_types = ["docs_library.DocumentLibraryPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "registration_year", "registration_number"],
                condition=~Q(registration_number=""),
                name="unique_registration_number_per_org_year",
            )
        ]

    def __str__(self):
        if self.registration_number:
            return f"№ {self.registration_number} {self.title}"
        return self.title

    def find_organisation(self):
        """The nearest organisation above this record (its issuing organisation).

        Read from the tree path, so it works before the page has a primary key.
        """
        if not self.path:
            return None
        ancestor_paths = [self.path[: i * self.steplen] for i in range(1, self.depth)]
        return (
            Page.objects.filter(path__in=ancestor_paths)
            .type(*organisation_page_models())
            .order_by("-depth")
            .specific()
            .first()
        )

    def assign_registration_number(self):
        """Number the record from its organisation's pattern, if it has one."""
        pattern = getattr(self.organisation, "registration_pattern", "")
        if self.registration_number or not pattern or self.organisation is None:
            return
        seq = RegistrationSequence.next_value(self.organisation, self.registration_year)
        self.registration_number = format_registration_number(
            pattern,
            org_code=self.organisation.org_code,
            type_code=DOCUMENT_TYPE_CODES.get(self.document_type, ""),
            year=self.registration_year,
            seq=seq,
        )

    def save(self, *args, **kwargs):
        self.registration_year = self.document_date.year
        if self.path:
            self.organisation = self.find_organisation()
        with transaction.atomic():
            self.assign_registration_number()
            super().save(*args, **kwargs)
