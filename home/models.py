"""The party as a page tree: the central office, branches, primary organisations,
and the announcements each of them publishes."""

import string

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Substr
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageBlock
from wagtail.models import Collection, Page
from wagtail.search import index

from .collation import kazakh_sort_key

CHILD_ORGANISATIONS_PER_PAGE = 30
LATEST_ANNOUNCEMENTS = 5


class AnalysedTextMixin:
    """A page whose text Sandyq's search analyses (Kazakh and Russian stems, Latin keys).

    Declare ``SEARCH_TERMS_FIELD`` in the page's ``search_fields``; every search
    backend then indexes ``search_terms()``.
    """

    def search_terms(self) -> str:
        """Kazakh and Russian keys of this page's text, for every search backend's index.

        Stems and folded-Latin keys come from the search app's analyser, which
        registers itself as the ``sandyq_search_terms`` Wagtail hook; the page
        apps never import search.
        """
        from wagtail import hooks

        return " ".join(terms(self) for terms in hooks.get_hooks("sandyq_search_terms"))


# Analysed keys (search.analysis); Elasticsearch must not analyse them again.
SEARCH_TERMS_FIELD = index.SearchField(
    "search_terms",
    es_extra={"analyzer": "sandyq_keys", "search_analyzer": "sandyq_keys"},
)


class OrganisationLevel(models.TextChoices):
    CENTRAL = "central", _("Central office")
    REGION = "region", _("Regional branch")
    DISTRICT = "district", _("City or district branch")
    PRIMARY = "primary", _("Primary organisation")


class ContentLanguage(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


ORGANISATION_PAGE_TYPES = [
    "home.HomePage",
    "home.RegionalBranchPage",
    "home.DistrictBranchPage",
    "home.PrimaryOrganisationPage",
]

# Page types that may hold a document library or announcements; every
# organisation page lists these, so adding one here adds it everywhere.
ORGANISATION_CONTENT_TYPES = [
    "docs_library.DocumentLibraryPage",
    "home.AnnouncementIndexPage",
    "home.AnnouncementPage",
]


def organisation_page_models():
    """Every concrete organisation page type, in tree order."""
    return [HomePage, RegionalBranchPage, DistrictBranchPage, PrimaryOrganisationPage]


def reader_language() -> str:
    """The active language without its region (``kk``, ``ru``, ``en``); Kazakh if none."""
    return (translation.get_language() or "kk").split("-")[0]


def localised_name(title: str, name_ru: str, name_en: str, language: str | None = None) -> str:
    """An organisation's name in ``language`` (the reader's), falling back to Kazakh,
    which is the page title. Lists of thousands read the three from rows and ask here."""
    language = language or reader_language()
    return {"ru": name_ru, "en": name_en}.get(language) or title


def nearest_organisation(page_or_parent, *, inclusive=True):
    """The organisation page at or above ``page_or_parent`` that is nearest to it."""
    return (
        Page.objects.ancestor_of(page_or_parent, inclusive=inclusive)
        .type(*organisation_page_models())
        .order_by("-depth")
        .specific()
        .first()
    )


def nearest_organisation_ids(pages) -> dict[int, int | None]:
    """``nearest_organisation(page, inclusive=False)`` of many pages, as ids, in a
    query per 900 distinct ancestors (a moved subtree may hold thousands of records)."""
    steplen = Page.steplen
    ancestor_paths = sorted(
        {page.path[: depth * steplen] for page in pages for depth in range(1, page.depth)}
    )
    organisations = {}
    for start in range(0, len(ancestor_paths), 900):
        organisations.update(
            Page.objects.filter(path__in=ancestor_paths[start : start + 900])
            .type(*organisation_page_models())
            .values_list("path", "pk")
        )
    nearest = {}
    for page in pages:
        paths = (page.path[: depth * steplen] for depth in range(page.depth - 1, 0, -1))
        nearest[page.pk] = next(
            (organisations[path] for path in paths if path in organisations), None
        )
    return nearest


def breadcrumb(page):
    """The pages above ``page``, below the tree's root: what a record's or an inbox's
    trail of links shows (libraries included, unlike ``organisation_breadcrumb``)."""
    return list(page.get_ancestors().filter(depth__gt=1).specific())


COLLECTION_NAME_LENGTH = 255  # Collection.name


def unique_collection_name(name: str, org_code: str, taken) -> str:
    """The name of an organisation's collection: the organisation's own name.

    Wagtail lists collections by name in upload forms and choosers, so two
    siblings must not share one. Only on a real clash with a sibling's name is
    the organisation code added («Игілік» БПҰ (02-05-03)), then a number; never
    a database id. (The data migration ``home.0004`` keeps a copy of this.)
    """
    taken = set(taken)
    suffixes = [""]
    if org_code:
        suffixes.append(f" ({org_code})")
    suffixes.extend(f" ({number})" for number in range(2, len(taken) + 3))
    for suffix in suffixes:
        candidate = name[: COLLECTION_NAME_LENGTH - len(suffix)].rstrip() + suffix
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable: more suffixes than taken names")


REGISTRATION_PATTERN_FIELDS = ("org_code", "type_code", "year", "seq")


def format_registration_number(pattern: str, **values) -> str:
    """Fill a pattern such as ``{org_code}-{type_code}/{seq}``.

    Only plain ``{name}`` and ``{name:spec}`` fields are filled; anything else
    is a ``ValueError`` that the organisation form reports.
    """
    for _text, field, _spec, _conversion in string.Formatter().parse(pattern):
        if field is not None and field not in REGISTRATION_PATTERN_FIELDS:
            raise ValueError(field)
    return pattern.format_map(values)


def organisation_sort_key():
    """The Kazakh sort key of an organisation page, whichever table it lives in."""
    return Coalesce(
        *[
            Subquery(model.objects.filter(pk=OuterRef("pk")).values("sort_key")[:1])
            for model in organisation_page_models()
        ]
    )


class OrganisationPage(AnalysedTextMixin, Page):
    """What every organisation in the party has, whatever its level.

    The page title is the organisation's Kazakh name; Russian and English names
    are kept beside it and shown when the reader's language asks for them.
    """

    level: str = ""

    name_ru = models.CharField(_("name (Russian)"), max_length=255, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    org_code = models.CharField(
        _("organisation code"),
        max_length=20,
        blank=True,
        db_index=True,
        help_text=_("Used in registration numbers, for example 02-05."),
    )
    sort_key = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    registration_pattern = models.CharField(
        _("registration number pattern"),
        max_length=100,
        blank=True,
        help_text=_(
            "Numbers new documents when their number is left empty, for example "
            "{org_code}-{type_code}/{seq}. Fields: org_code, type_code, year, seq."
        ),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    chair = models.CharField(_("chair"), max_length=255, blank=True)
    secretary = models.CharField(_("secretary"), max_length=255, blank=True)
    description = RichTextField(_("description"), blank=True)
    collection = models.ForeignKey(
        "wagtailcore.Collection",
        verbose_name=_("document collection"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Where the organisation's files are kept in the admin."),
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("name_ru"), FieldPanel("name_en"), FieldPanel("short_name")],
            heading=_("Names"),
        ),
        FieldRowPanel([FieldPanel("org_code"), FieldPanel("registration_pattern")]),
        MultiFieldPanel(
            [
                FieldPanel("address"),
                FieldRowPanel([FieldPanel("phone"), FieldPanel("email")]),
                FieldRowPanel([FieldPanel("chair"), FieldPanel("secretary")]),
            ],
            heading=_("Contacts"),
        ),
        FieldPanel("description"),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("name_ru"),
        index.SearchField("name_en"),
        index.SearchField("short_name"),
        index.SearchField("description"),
        index.FilterField("org_code"),
        SEARCH_TERMS_FIELD,
    ]

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.registration_pattern:
            try:
                format_registration_number(
                    self.registration_pattern, org_code="01", type_code="Ц", year=2026, seq=1
                )
            except (ValueError, IndexError, KeyError) as error:
                raise ValidationError(
                    {
                        "registration_pattern": _(
                            "This pattern cannot be used. Use only the fields "
                            "{org_code}, {type_code}, {year} and {seq}."
                        )
                    }
                ) from error

    def save(self, *args, **kwargs):
        self.sort_key = kazakh_sort_key(self.title)
        super().save(*args, **kwargs)
        if self.collection_id is None and self.depth:
            self.create_collection()
        elif self.collection_id and "title" in (kwargs.get("update_fields") or ["title"]):
            self.rename_collection()  # not for a draft: Wagtail saves it with update_fields

    def create_collection(self):
        """Each organisation keeps its files in a collection of its own, nested like
        the tree, so Wagtail's collection permissions follow the hierarchy. It is
        named after the organisation (see ``unique_collection_name``)."""
        parent = self.get_parent().specific if self.depth > 2 else None
        if isinstance(parent, OrganisationPage) and parent.collection_id is None:
            parent.create_collection()
        parent_collection = getattr(parent, "collection", None) or Collection.get_first_root_node()
        # Always a new collection: one found by name may be another organisation's.
        taken = parent_collection.get_children().values_list("name", flat=True)
        collection = parent_collection.add_child(
            name=unique_collection_name(self.title, self.org_code, taken)
        )
        type(self).objects.filter(pk=self.pk).update(collection=collection)
        self.collection = collection

    def rename_collection(self):
        """Keep the collection's name the organisation's name when the title changes."""
        collection = Collection.objects.filter(pk=self.collection_id).first()
        if collection is None or collection.name == self.title:
            return
        taken = collection.get_siblings(inclusive=False).values_list("name", flat=True)
        name = unique_collection_name(self.title, self.org_code, taken)
        if name != collection.name:
            Collection.objects.filter(pk=collection.pk).update(name=name)
            collection.name = name
            self.collection = collection

    @property
    def display_name(self) -> str:
        """The name in the reader's language, falling back to Kazakh."""
        return localised_name(self.title, self.name_ru, self.name_en)

    def child_organisations(self):
        return (
            Page.objects.child_of(self)
            .live()
            .type(*organisation_page_models())
            .annotate(sort_key=organisation_sort_key())
            .order_by("sort_key", "title")
            .specific()
        )

    def suborganisation_counts(self, children) -> dict[int, int]:
        """How many organisations stand directly below each of ``children``.

        One grouped query over the tree paths, however many children there are.
        """
        if not children:
            return {}
        prefix_length = (self.depth + 1) * self.steplen
        rows = (
            Page.objects.descendant_of(self)
            .live()
            .type(*organisation_page_models())
            .filter(depth=self.depth + 2)
            .annotate(parent_path=Substr("path", 1, prefix_length))
            .order_by()  # Page's default ordering (path) would join the GROUP BY
            .values("parent_path")
            .annotate(count=Count("pk"))
        )
        by_path = {row["parent_path"]: row["count"] for row in rows}
        return {child.pk: by_path.get(child.path, 0) for child in children}

    def organisation_breadcrumb(self):
        return list(self.get_ancestors().type(*organisation_page_models()).specific())

    def sections(self) -> dict[str, list[Page]]:
        """The organisation's own document libraries and announcement lists, in tree order.

        What its page and the main menu link to, so no library is reachable only
        through a record's breadcrumb.
        """
        library_model = apps.get_model("docs_library", "DocumentLibraryPage")
        pages = (
            Page.objects.child_of(self)
            .live()
            .public()
            .type(library_model, AnnouncementIndexPage)
            .order_by("path")
        )
        sections = {"libraries": [], "announcement_lists": []}
        for page in pages:
            kind = "libraries" if page.specific_class is library_model else "announcement_lists"
            sections[kind].append(page)
        return sections

    def latest_announcements(self):
        """The newest announcements anywhere below, outside any view restriction: the
        list is one for every reader (a shared fragment), as the feeds are."""
        announcements = AnnouncementPage.objects.live().public().descendant_of(self)
        return (
            one_per_translation_group(announcements, within=self)
            .select_related("image")
            .order_by("-date", "-pk")[:LATEST_ANNOUNCEMENTS]
        )

    def listing(self, page_number) -> dict:
        """Its sections and a page of its organisations with their counts: the same
        for every reader (``sandyq_tags.organisation_listing`` shares the HTML)."""
        paginator = Paginator(self.child_organisations(), CHILD_ORGANISATIONS_PER_PAGE)
        children_page = paginator.get_page(page_number)
        children = list(children_page.object_list)
        return {
            "page": self,
            "children_page": children_page,
            "children": children,
            "children_total": paginator.count,
            "suborganisation_counts": self.suborganisation_counts(children),
            **self.sections(),
        }

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["breadcrumb"] = self.organisation_breadcrumb()
        return context

    def route(self, request, path_components):
        """The page at the end of a deep address in one query (its slug is indexed,
        its ``url_path`` names the way there) and one for its type, not two per
        level; that page routes the rest (a withdrawn record's notice). An address
        that names no page goes Wagtail's way, to its 404."""
        if len(path_components) > 1:
            url_path = self.url_path + "".join(f"{component}/" for component in path_components)
            page = Page.objects.filter(slug=path_components[-1], url_path=url_path).first()
            if page is not None:
                return page.specific.route(request, [])
        return super().route(request, path_components)


class HomePage(OrganisationPage):
    """The central office, and the site's front page."""

    level = OrganisationLevel.CENTRAL

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["home.RegionalBranchPage", *ORGANISATION_CONTENT_TYPES]
    max_count = 1

    class Meta:
        verbose_name = _("central office")
        verbose_name_plural = _("central office")


class RegionalBranchPage(OrganisationPage):
    """A regional branch, or the branch of a city of national rank."""

    level = OrganisationLevel.REGION

    parent_page_types = ["home.HomePage"]
    subpage_types = [
        "home.DistrictBranchPage",
        "home.PrimaryOrganisationPage",
        *ORGANISATION_CONTENT_TYPES,
    ]

    class Meta:
        verbose_name = _("regional branch")
        verbose_name_plural = _("regional branches")


class DistrictBranchPage(OrganisationPage):
    level = OrganisationLevel.DISTRICT

    parent_page_types = ["home.RegionalBranchPage"]
    subpage_types = ["home.PrimaryOrganisationPage", *ORGANISATION_CONTENT_TYPES]

    class Meta:
        verbose_name = _("city or district branch")
        verbose_name_plural = _("city and district branches")


class PrimaryOrganisationPage(OrganisationPage):
    level = OrganisationLevel.PRIMARY

    parent_page_types = ["home.DistrictBranchPage", "home.RegionalBranchPage"]
    subpage_types = ORGANISATION_CONTENT_TYPES

    class Meta:
        verbose_name = _("primary organisation")
        verbose_name_plural = _("primary organisations")


class TranslatedContentMixin(models.Model):
    """Content written in one language, optionally linked to its translations.

    A translation points at the original; the original and all pages pointing at
    it form one group, and each page of the group offers the others.
    """

    language = models.CharField(
        _("language of the text"),
        max_length=2,
        choices=ContentLanguage.choices,
        default=ContentLanguage.KAZAKH,
    )
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
        help_text=_("The page this one translates, if any."),
    )

    class Meta:
        abstract = True

    def translation_group(self):
        """The live pages in other languages that say the same thing."""
        original_id = self.translation_of_id or self.pk
        model = type(self)
        return (
            model.objects.live()
            .filter(models.Q(pk=original_id) | models.Q(translation_of_id=original_id))
            .exclude(pk=self.pk)
            .order_by("language")
        )


def _translation_rank(language: str):
    """How well a page of a translation group suits the reader: in their language
    first, then the original, then the earliest page."""
    return {
        "language_rank": Case(When(language=language, then=Value(0)), default=Value(1)),
        "original_rank": Case(When(translation_of__isnull=True, then=Value(0)), default=Value(1)),
    }


def one_per_translation_group(queryset, *, within: Page, language: str | None = None):
    """``queryset`` with each translation group once: its page in ``language`` (the
    reader's, by default) where the group has a live one under ``within``, else its
    original, else its earliest translation. A Kazakh list then shows Kazakh."""
    language = (language or translation.get_language() or "kk").split("-")[0]
    model = queryset.model
    rank = _translation_rank(language)
    rivals = (
        model.objects.live()
        .filter(path__startswith=within.path)
        .filter(Q(pk=OuterRef("group")) | Q(translation_of_id=OuterRef("group")))
        .annotate(**rank)
        .filter(
            Q(language_rank__lt=OuterRef("language_rank"))
            | Q(
                language_rank=OuterRef("language_rank"),
                original_rank__lt=OuterRef("original_rank"),
            )
            | Q(
                language_rank=OuterRef("language_rank"),
                original_rank=OuterRef("original_rank"),
                pk__lt=OuterRef("pk"),
            )
        )
    )
    ranked = queryset.annotate(group=Coalesce("translation_of_id", "pk"), **rank)
    return ranked.filter(~Exists(rivals))


class AnnouncementIndexPage(Page):
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ORGANISATION_PAGE_TYPES
    subpage_types = ["home.AnnouncementPage"]

    class Meta:
        verbose_name = _("announcements")
        verbose_name_plural = _("announcement lists")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        announcements = (
            one_per_translation_group(AnnouncementPage.objects.live().child_of(self), within=self)
            .select_related("image")
            .order_by("-date", "-pk")
        )
        context["announcements"] = Paginator(announcements, 20).get_page(request.GET.get("page"))
        return context


class AnnouncementPage(AnalysedTextMixin, TranslatedContentMixin, Page):
    date = models.DateField(_("date"))
    summary = models.TextField(_("summary"), blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(
        [
            ("paragraph", blocks.RichTextBlock(label=_("Paragraph"))),
            ("image", ImageBlock(label=_("Image"))),
            (
                "quote",
                blocks.StructBlock(
                    [
                        ("text", blocks.TextBlock(label=_("Quote"))),
                        ("attribution", blocks.CharBlock(required=False, label=_("Source"))),
                    ],
                    label=_("Quote"),
                    template="home/blocks/quote.html",
                ),
            ),
        ],
        verbose_name=_("body"),
        blank=True,
    )

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("date"), FieldPanel("language")]),
        FieldPanel("summary"),
        FieldPanel("image"),
        FieldPanel("body"),
        FieldPanel("translation_of"),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
        index.FilterField("language"),
        SEARCH_TERMS_FIELD,
    ]

    parent_page_types = ["home.AnnouncementIndexPage", *ORGANISATION_PAGE_TYPES]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self):
        return self.title

    def organisation(self):
        return nearest_organisation(self, inclusive=False)


class InheritanceBlock(models.Model):
    """A page that stops local roles granted above it (Plone's "block inheritance")."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="inheritance_block")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inheritance block")
        verbose_name_plural = _("inheritance blocks")

    def __str__(self):
        return f"block on {self.page_id}"


class AutomaticRoleGroup(models.Model):
    """The Wagtail group that carries one role on one page for the users granted it."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20)
    group = models.OneToOneField("auth.Group", on_delete=models.CASCADE, related_name="sandyq_role")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "role"], name="one_automatic_group_per_role")
        ]

    def __str__(self):
        return self.group.name
