"""The document record and its library: a ``DocumentPage`` is the record (Plone's
File with metadata), filed in a ``DocumentLibraryPage``; its files are
``LibraryDocument`` objects (``models.files``).
"""

from urllib.parse import urlencode

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase

from django.conf import settings
from django.core.paginator import Paginator
from django.db import IntegrityError, models, transaction
from django.db.models import ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail.url_routing import RouteResult

from home.collation import kazakh_sort_key, natural_sort_key
from home.models import (
    ORGANISATION_PAGE_TYPES,
    SEARCH_TERMS_FIELD,
    AnalysedTextMixin,
    OrganisationLevel,
    format_registration_number,
    nearest_organisation,
)

from ..admin.panels import FileTextPanel, ReviewHistoryPanel
from .files import ExtractionStatus, LibraryDocument
from .services import services


class DocumentType(models.TextChoices):
    CIRCULAR = "circular", _("Circular")
    DECISION = "decision", _("Decision")
    RESOLUTION = "resolution", _("Resolution")
    MINUTES = "minutes", _("Minutes")
    ORDER = "order", pgettext_lazy("document type", "Order")
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
    PUBLIC = "public", pgettext_lazy("access level", "Public")
    MEMBERS = "members", _("Party members")
    ORGANISATION = "organisation", _("Organisation")
    RESTRICTED = "restricted", _("Restricted")


class Addressing(models.TextChoices):
    """Whom a circular or decision goes to, below its own organisation."""

    NONE = "", _("Nobody (not a circular)")
    ALL = "all", _("All organisations below")
    LEVEL = "level", _("One level below")
    CHOSEN = "chosen", _("Chosen organisations")


ADDRESSABLE_LEVELS = [
    (level.value, level.label)
    for level in (OrganisationLevel.REGION, OrganisationLevel.DISTRICT, OrganisationLevel.PRIMARY)
]


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

    SORTS = {
        "date": ("-document_date", "-pk"),
        "-date": ("document_date", "pk"),
        # Numbered records first, numbers by value; titles in Kazakh order.
        "number": (
            ExpressionWrapper(Q(registration_number=""), output_field=models.BooleanField()),
            "registration_sort_key",
            "-document_date",
            "pk",
        ),
        "title": ("title_sort_key", "title", "pk"),
    }
    PER_PAGE = 25

    def documents(self, user):
        return services.viewable(user, DocumentPage.objects.child_of(self).live())

    @staticmethod
    def record_counts(documents) -> list[tuple[int, str, bool, int]]:
        """(year, type, archived, records) for each group of ``documents`` that has any."""
        archived = ExpressionWrapper(
            Q(archived_at__isnull=False), output_field=models.BooleanField()
        )
        return list(
            documents.order_by()
            .annotate(archived=archived)
            .values_list("registration_year", "document_type", "archived")
            .annotate(records=models.Count("pk"))
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # The default view lists current records; ?view=archive lists the archived ones.
        all_documents = self.documents(request.user)
        archive_view = request.GET.get("view") == "archive"
        documents = (
            all_documents.archived() if archive_view else all_documents.current()
        ).select_related("main_file")
        # One query counts the records by year, type and shelf: the years to choose
        # from, the archive's count and the paginator's count all come from it.
        counts = self.record_counts(all_documents)
        listed = [row for row in counts if row[2] == archive_view]
        years = sorted({year for year, _type, _archived, _n in listed}, reverse=True)
        chosen_type = request.GET.get("type", "")
        if chosen_type in DocumentType.values:
            documents = documents.filter(document_type=chosen_type)
            listed = [row for row in listed if row[1] == chosen_type]
        else:
            chosen_type = ""
        chosen_year = request.GET.get("year", "")
        if chosen_year.isascii() and chosen_year.isdecimal():
            documents = documents.filter(registration_year=int(chosen_year))
            listed = [row for row in listed if row[0] == int(chosen_year)]
        else:
            chosen_year = ""
        sort = request.GET.get("sort", "date")
        if sort not in self.SORTS:
            sort = "date"
        documents = documents.order_by(*self.SORTS[sort])
        paginator = Paginator(documents, self.PER_PAGE)
        paginator.count = sum(n for *_key, n in listed)  # a cached_property: no COUNT query
        page_obj = paginator.get_page(request.GET.get("page"))
        query = {
            "view": "archive" if archive_view else "",
            "type": chosen_type,
            "year": chosen_year,
            "sort": sort,
        }
        context.update(
            archive_view=archive_view,
            archived_count=sum(n for _year, _type, archived, n in counts if archived),
            documents=page_obj,
            sub_libraries=DocumentLibraryPage.objects.child_of(self).live().order_by("title"),
            document_types=DocumentType.choices,
            years=years,
            chosen_type=chosen_type,
            chosen_year=chosen_year,
            sort=sort,
            query_prefix=urlencode({key: value for key, value in query.items() if value}),
        )
        return context


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


class DocumentPageForm(WagtailAdminPageForm):
    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "addressees-TOTAL_FORMS" not in data:
            # A client that sends no list of chosen organisations (a script, an
            # older form) leaves the list as it is rather than failing.
            data = data.copy()
            for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS"):
                data[f"addressees-{key}"] = "0"
        super().__init__(data, *args, **kwargs)
        # Choosers list records by title: only those this editor may see.
        for name in ("related_documents", "supersedes"):
            if name in self.fields and self.for_user is not None:
                field = self.fields[name]
                field.queryset = services.viewable(self.for_user, field.queryset)

    def clean(self):
        cleaned_data = super().clean()
        self.check_addressing(cleaned_data)
        number = cleaned_data.get("registration_number", "").strip()
        date = cleaned_data.get("document_date")
        parent = self.parent_page or (self.instance.get_parent() if self.instance.pk else None)
        if not (number and date and parent):
            return cleaned_data
        organisation = nearest_organisation(parent)
        taken = DocumentPage.objects.filter(
            organisation=organisation, registration_year=date.year, registration_number=number
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            self.add_error(
                "registration_number",
                _("Number %(number)s is already used by another document of %(year)s.")
                % {"number": number, "year": date.year},
            )
        return cleaned_data

    def check_addressing(self, cleaned_data):
        """A circular or decision goes only to organisations below its own."""
        addressing = cleaned_data.get("addressing") or Addressing.NONE
        if addressing == Addressing.NONE:
            return
        if cleaned_data.get("document_type") not in (DocumentType.CIRCULAR, DocumentType.DECISION):
            self.add_error(
                "addressing", _("Only circulars and decisions are addressed to organisations.")
            )
            return
        if addressing == Addressing.LEVEL and not cleaned_data.get("addressed_level"):
            self.add_error("addressed_level", _("Choose the level the document goes to."))
        if addressing != Addressing.CHOSEN or "addressees" not in self.formsets:
            return
        formset = self.formsets["addressees"]
        if not formset.is_valid():
            return
        chosen = [
            form.cleaned_data["organisation"]
            for form in formset.forms
            if form.cleaned_data.get("organisation") and not form.cleaned_data.get("DELETE")
        ]
        parent = self.parent_page or (self.instance.get_parent() if self.instance.pk else None)
        owner = nearest_organisation(parent) if parent else None
        if not chosen:
            self.add_error("addressing", _("Choose at least one organisation."))
        elif owner is not None:
            below = Page.objects.descendant_of(owner, inclusive=False)
            if below.filter(pk__in=[page.pk for page in chosen]).count() != len(set(chosen)):
                self.add_error(
                    "addressing",
                    _("A document is addressed only to organisations below %(organisation)s.")
                    % {"organisation": owner.display_name},
                )


class DocumentPageQuerySet(PageQuerySet):
    def current(self):
        """Records in the current listings: everything not archived."""
        return self.filter(archived_at__isnull=True)

    def archived(self):
        return self.filter(archived_at__isnull=False)


class DocumentPage(AnalysedTextMixin, Page):
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
    # Stored sort keys (home.collation), kept by save(): numbers in a registration
    # number by value (…/9 before …/10), titles in Kazakh alphabetical order.
    registration_sort_key = models.CharField(max_length=100, blank=True, editable=False)
    title_sort_key = models.CharField(max_length=255, blank=True, editable=False)
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

    # A circular or decision addressed down the tree (docs_library.circulation.circulars).
    addressing = models.CharField(
        _("addressed to"),
        max_length=10,
        choices=Addressing.choices,
        default=Addressing.NONE,
        blank=True,
    )
    addressed_level = models.CharField(
        _("level"),
        max_length=10,
        choices=ADDRESSABLE_LEVELS,
        blank=True,
        help_text=_("For “One level below”: regions, districts or primary organisations."),
    )
    response_deadline = models.DateField(_("response deadline"), null=True, blank=True)
    acknowledgement_required = models.BooleanField(_("acknowledgement required"), default=False)
    # Archive and withdrawal (docs_library.lifecycle.archive); kept out of revisions.
    archived_at = models.DateTimeField(_("archived on"), null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True, editable=False)

    objects = PageManager.from_queryset(DocumentPageQuerySet)()

    base_form_class = DocumentPageForm

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
        FileTextPanel(heading=_("Text of the files")),
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
    addressing_panels = [
        FieldRowPanel([FieldPanel("addressing"), FieldPanel("addressed_level")]),
        InlinePanel("addressees", label=_("Chosen organisations")),
        FieldRowPanel([FieldPanel("response_deadline"), FieldPanel("acknowledgement_required")]),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(addressing_panels, heading=_("Addressing")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
            ObjectList([ReviewHistoryPanel(heading=_("Review history"))], heading=_("History")),
        ]
    )

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
        index.FilterField("archived_at"),
        SEARCH_TERMS_FIELD,
    ]

    parent_page_types = ["docs_library.DocumentLibraryPage"]
    subpage_types: list[str] = []
    # A copy is a new record: not archived, not withdrawn, not yet distributed.
    exclude_fields_in_copy = [
        "archived_at",
        "archived_by",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
    ]
    # Meaningful for the record as a whole, never restored from a revision.
    LIFECYCLE_FIELDS = (
        "archived_at",
        "archived_by_id",
        "withdrawn_at",
        "withdrawn_by_id",
        "withdrawal_reason",
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "registration_year", "registration_number"],
                condition=~Q(registration_number=""),
                name="unique_registration_number_per_org_year",
                violation_error_message=_(
                    "This registration number is already used by another document of the "
                    "same organisation and year."
                ),
            )
        ]

    def __str__(self):
        if self.registration_number:
            return f"№ {self.registration_number} {self.title}"
        return self.title

    def get_sitemap_urls(self, request=None):
        """Only records a signed-out visitor may read are announced to search
        engines, as the access policy answers (Wagtail's sitemap already leaves
        out every page that is not live)."""
        if not services.anonymous_may_view(self, request):
            return []
        return super().get_sitemap_urls(request)

    def get_workflow(self):
        """The approval route chosen for the record's organisation and type
        (``ApprovalRoute``), else Wagtail's own assignment to the tree."""
        if not getattr(settings, "WAGTAIL_WORKFLOW_ENABLED", True):
            return None
        return services.approval_route(self) or super().get_workflow()

    @property
    def has_workflow(self):
        return self.get_workflow() is not None

    def permissions_for_user(self, user):
        """Wagtail's tester, allowing nothing on a record the user may not see."""
        return services.permission_tester(user, self)

    @property
    def status_string(self):
        """Wagtail's status, with the states only a record has (archive, withdrawal)."""
        if self.withdrawn_at and not self.live:
            return _("withdrawn")
        if self.live and self.archived_at:
            return _("archived")
        return super().status_string

    def with_content_json(self, content):
        page = super().with_content_json(content)
        for name in self.LIFECYCLE_FIELDS:
            setattr(page, name, getattr(self, name))
        return page

    def route(self, request, path_components):
        """A withdrawn record still answers at its URL, with a notice (``archive``)."""
        if not path_components and not self.live and self.withdrawn_at:
            return RouteResult(self, kwargs={"withdrawn": True})
        return super().route(request, path_components)

    def serve(self, request, *args, withdrawn=False, **kwargs):
        if withdrawn:
            return services.withdrawal_notice(request, self)
        if not services.can_view(request.user, self):
            return services.deny(request)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        viewable = services.viewable
        context = super().get_context(request, *args, **kwargs)
        # The trail, the organisation's link and the feeds are shared fragments
        # (``sandyq_tags``): the same for every reader, read here only on a miss.
        files = []
        if self.main_file:
            files.append((self.main_file, _("Main file")))
        for attachment in self.attachments.select_related("document"):
            files.append((attachment.document, attachment.caption))
        may_edit = services.can_edit_file
        context.update(
            files=files,
            # Staff who look after a file are told when its text could not be read.
            unread_files=[
                file
                for file, _caption in files
                if file.extraction_status == ExtractionStatus.FAILED
                and request.user.is_authenticated
                and may_edit(request.user, file)
            ],
            versions=self.main_file.versions.all() if self.main_file else [],
            superseded_by=viewable(request.user, self.superseded_by.all()).first(),
            supersedes_visible=(
                viewable(request.user, DocumentPage.objects.filter(pk=self.supersedes_id)).first()
                if self.supersedes_id
                else None
            ),
            # A draft or revision holds its related records in memory (modelcluster),
            # where no database filter runs: ask the database about their ids.
            related=viewable(
                request.user,
                DocumentPage.objects.filter(pk__in=[r.pk for r in self.related_documents.all()]),
            ),
        )
        if self.distributions.exists():
            context.update(services.acknowledgement_context(request, self))
        return context

    def find_organisation(self):
        """The nearest organisation above this record (its issuing organisation)."""
        return nearest_organisation(self, inclusive=False) if self.path else None

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

    SORT_KEYS = {"title": "title_sort_key", "registration_number": "registration_sort_key"}

    def save(self, *args, **kwargs):
        self.registration_year = self.document_date.year
        if self.path:
            self.organisation = self.find_organisation()
        with transaction.atomic():
            self.assign_registration_number()
            self.title_sort_key = kazakh_sort_key(self.title)
            self.registration_sort_key = natural_sort_key(self.registration_number)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                keys = {key for field, key in self.SORT_KEYS.items() if field in update_fields}
                kwargs["update_fields"] = {*update_fields, *keys}
            super().save(*args, **kwargs)


class DocumentAccess(models.Model):
    """One access token that opens a record; a user sees the record when they hold one.

    Kept by ``docs_library.access`` whenever the record is saved or moved, or
    inheritance is blocked above it. Tokens name pages where grants may be made
    (``role:<page>``, ``mgr:<page>``, ``edit:<page>``) or say ``public`` or
    ``members``, so granting a role never rewrites records.
    """

    page = models.ForeignKey(DocumentPage, on_delete=models.CASCADE, related_name="access_rows")
    token = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "token"], name="unique_access_token")
        ]
        indexes = [models.Index(fields=["token", "page"], name="access_token_page")]

    def __str__(self):
        return f"{self.page_id}: {self.token}"
