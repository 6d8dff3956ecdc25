"""The read API (Wagtail API v2 at ``/api/v2/``): pages and document files, read-only.

Whoever calls sees through it exactly what the site shows them: the pages
endpoint starts from Wagtail's live, public pages and narrows them with
``access.visible_pages``; the documents endpoint lists only files that a
record shows, narrowed with ``access.visible_files``. Both answer 404 for an
item outside that set. Callers are known by the site's session or by a token
(never by a password: DRF's Basic authentication would skip the second
factor of the sign-in), and ``?search=`` goes through Sandyq's search service with the
caller's access tokens; when the service cannot answer, the API says so (503)
rather than fall back to another search.

Filters (``organisation``, ``document_type``, ``year``, ``language``) are
checked before use: a malformed value answers 400 with a message in the
caller's language, never a 500.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.fields import CharField, Field
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wagtail.api import APIField
from wagtail.api.v2.filters import (
    AncestorOfFilter,
    ChildOfFilter,
    DescendantOfFilter,
    FieldsFilter,
    LocaleFilter,
    OrderingFilter,
    TranslationOfFilter,
)
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.serializers import PageAliasOfField, PageSerializer
from wagtail.api.v2.utils import BadRequestError, get_full_url
from wagtail.api.v2.views import BaseAPIViewSet, PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from docs_library import access
from docs_library.models import (
    DocumentAttachment,
    DocumentLanguage,
    DocumentLibraryPage,
    DocumentPage,
    DocumentType,
    LibraryDocument,
)
from home.models import AnnouncementPage, organisation_page_models
from search import service
from search.engines.base import SearchFilters, SearchUnavailable

from . import api_schema
from .api_messages import translated

#: Sandyq's own filters; Wagtail's field filter leaves these names alone
#: (``organisation`` is also a record's own column, with a narrower meaning).
SANDYQ_FILTERS = ("organisation", "document_type", "year", "language")
#: What a search may be combined with: the service applies exactly these.
SEARCH_PARAMETERS = frozenset(
    ["search", "limit", "offset", "fields", "format", "_", "rich_text_format", *SANDYQ_FILTERS]
)


class SandyqPagination(WagtailPagination):
    """Wagtail's ``limit``/``offset``, with an offset the database can take (a 400,
    not a 500, for ``?offset=99999999999999999999``)."""

    def paginate_queryset(self, queryset, request, view=None):
        if "offset" in request.GET:
            _positive_int("offset", request.GET["offset"], 0)
        return super().paginate_queryset(queryset, request, view)


class ReadOnlyMixin:
    """The site's session (DRF keeps CSRF for unsafe methods; there are none) or a
    token for another system (``manage.py drf_create_token <user>``); never a
    password in a header, which would pass by the sign-in's second factor."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    pagination_class = SandyqPagination
    permission_classes = [AllowAny]
    http_method_names = ["get", "head", "options"]


# --- checking filter values ------------------------------------------------------------


def _positive_int(name: str, value: str, low: int = 1, high: int = 2**31 - 1) -> int:
    text = value.strip()
    if text.isascii() and text.isdecimal() and low <= int(text) <= high:
        return int(text)
    raise BadRequestError(
        _("%(name)s must be a whole number from %(low)s to %(high)s, not “%(value)s”.")
        % {"name": name, "low": low, "high": high, "value": value[:40]}
    )


def _choice(name: str, value: str, choices) -> str:
    if value in choices:
        return value
    raise BadRequestError(
        _("%(name)s must be one of: %(choices)s; not “%(value)s”.")
        % {"name": name, "choices": ", ".join(choices), "value": value[:40]}
    )


def organisation_from(request) -> Page | None:
    """The live organisation named by ``?organisation=``, or a 400 saying why not."""
    if "organisation" not in request.GET:
        return None
    pk = _positive_int("organisation", request.GET["organisation"])
    page = (
        Page.objects.live()
        .public()
        .type(*organisation_page_models())
        .filter(pk=pk)
        .only("pk", "path", "depth")
        .first()
    )
    if page is None:
        raise BadRequestError(_("There is no published organisation with id %(id)s.") % {"id": pk})
    return page


def sandyq_filters(request) -> dict:
    """The checked values of ``organisation``, ``document_type``, ``year``, ``language``."""
    params = request.GET
    chosen = {"organisation": organisation_from(request)}
    if "document_type" in params:
        chosen["document_type"] = _choice(
            "document_type", params["document_type"], DocumentType.values
        )
    if "year" in params:
        chosen["year"] = _positive_int("year", params["year"], 1000, 9999)
    if "language" in params:
        chosen["language"] = _choice("language", params["language"], DocumentLanguage.values)
    return chosen


def _records_matching(chosen) -> Q:
    """Records whose own columns match ``document_type``, ``year``, ``language``."""
    condition = Q()
    if "document_type" in chosen:
        condition &= Q(document_type=chosen["document_type"])
    if "year" in chosen:
        condition &= Q(document_date__year=chosen["year"])
    if "language" in chosen:
        condition &= Q(language=chosen["language"])
    return condition


class SandyqPageFilter:
    """``organisation`` (it and everything below it), ``document_type`` (records),
    ``year`` and ``language`` (records by their date and language, announcements
    by theirs). A page that has no such value is left out when it is asked for."""

    def filter_queryset(self, request, queryset, view):
        chosen = sandyq_filters(request)
        if chosen["organisation"] is not None:
            queryset = queryset.filter(path__startswith=chosen["organisation"].path)
        if len(chosen) == 1:
            return queryset
        records = DocumentPage.objects.filter(_records_matching(chosen)).values("pk")
        if "document_type" in chosen:
            return queryset.filter(pk__in=records)
        announcements = AnnouncementPage.objects.all()
        if "year" in chosen:
            announcements = announcements.filter(date__year=chosen["year"])
        if "language" in chosen:
            announcements = announcements.filter(language=chosen["language"])
        return queryset.filter(Q(pk__in=records) | Q(pk__in=announcements.values("pk")))


class SafeFieldsFilter(FieldsFilter):
    """Wagtail's ``?field=value`` filter, without Sandyq's filter names, and a 400
    rather than a 500 for a value the column cannot hold (``?document_date=x``)."""

    def filter_queryset(self, request, queryset, view):
        class WithoutSandyqFilters:
            GET = {k: v for k, v in request.GET.items() if k not in SANDYQ_FILTERS}

        try:
            return super().filter_queryset(WithoutSandyqFilters, queryset, view)
        except (ValidationError, ValueError, TypeError) as error:
            raise BadRequestError(_("A field filter has a value its field cannot hold.")) from error


# --- fields ----------------------------------------------------------------------------


def file_json(request, document: LibraryDocument, caption: str = "") -> dict:
    return {
        "id": document.pk,
        "title": document.title,
        "caption": caption,
        "mime_type": document.content_type,
        # Always the guarded view (/documents/<id>/<name>), which asks access.py again.
        "download_url": get_full_url(request, document.url),
    }


class RecordFilesField(Field):
    """A record's main file, then its attachments, each with its guarded URL."""

    def get_attribute(self, instance):
        return instance

    def to_representation(self, record):
        request = self.context["request"]
        files = []
        if record.main_file_id:
            main = LibraryDocument.objects.filter(pk=record.main_file_id).first()
            if main is not None:
                files.append({**file_json(request, main), "main": True})
        attachments = DocumentAttachment.objects.filter(page_id=record.pk).select_related(
            "document"
        )
        for attachment in attachments.order_by("sort_order", "pk"):
            files.append(
                {**file_json(request, attachment.document, attachment.caption), "main": False}
            )
        return files


def organisation_of(page) -> Page | None:
    if isinstance(page, DocumentPage) and page.organisation_id:
        found = Page.objects.filter(pk=page.organisation_id).first()
        return found.specific if found else None
    return (
        Page.objects.ancestor_of(page)
        .type(*organisation_page_models())
        .order_by("-depth")
        .specific()
        .first()
    )


def organisation_json(organisation) -> dict | None:
    if organisation is None:
        return None
    return {
        "id": organisation.pk,
        "name_kk": organisation.title,
        "name_ru": getattr(organisation, "name_ru", ""),
        "name_en": getattr(organisation, "name_en", ""),
    }


class OrganisationField(Field):
    """The organisation a record, library or announcement belongs to, by its names."""

    def get_attribute(self, instance):
        return instance

    def to_representation(self, page):
        return organisation_json(organisation_of(page))


class OrganisationNameField(Field):
    def get_attribute(self, instance):
        return instance

    def to_representation(self, organisation):
        return organisation.title


RECORD_FIELDS = [
    "title",
    "registration_number",
    "document_date",
    "document_type",
    "language",
    "summary",
    "body",
    APIField("organisation", serializer=OrganisationField(read_only=True)),
    "access_level",
    "archived_at",
    APIField("files", serializer=RecordFilesField(read_only=True)),
]
ANNOUNCEMENT_FIELDS = [
    "title",
    "date",
    "language",
    "summary",
    "body",
    APIField("organisation", serializer=OrganisationField(read_only=True)),
]
ORGANISATION_FIELDS = [
    "title",
    APIField("name_kk", serializer=OrganisationNameField(read_only=True)),
    "name_ru",
    "name_en",
    "short_name",
    "org_code",
]
LIBRARY_FIELDS = [
    "title",
    "intro",
    APIField("organisation", serializer=OrganisationField(read_only=True)),
]

#: What each page type shows, read here rather than from the models' ``api_fields``
#: so that nothing new leaves through the API without being listed in this module.
PAGE_FIELDS = [
    (DocumentPage, RECORD_FIELDS),
    (AnnouncementPage, ANNOUNCEMENT_FIELDS),
    (DocumentLibraryPage, LIBRARY_FIELDS),
    *[(model, ORGANISATION_FIELDS) for model in organisation_page_models()],
]
#: Fields shown in a listing of one page type (``?type=…``) besides Wagtail's own.
LISTING_FIELDS = {
    DocumentPage: [
        "registration_number",
        "document_date",
        "document_type",
        "language",
        "organisation",
        "access_level",
    ],
    AnnouncementPage: ["date", "language", "organisation"],
    **{model: ["name_kk", "name_ru", "name_en"] for model in organisation_page_models()},
}


class SandyqFieldsMixin:
    """Fields from this module's lists; text columns (rich text, stream) are shown
    but neither filtered nor ordered by."""

    own_fields: list = []

    @classmethod
    def model_fields(cls, model) -> list:
        return cls.own_fields

    @classmethod
    def get_body_fields(cls, model):
        return cls._convert_api_fields(cls.body_fields + list(cls.model_fields(model)))

    @classmethod
    def get_available_fields(cls, model, db_fields_only=False):
        fields = super().get_available_fields(model, db_fields_only)
        if not db_fields_only:
            return fields
        unordered = set()
        for field in model._meta.get_fields():
            if isinstance(field, (RichTextField, StreamField)):
                unordered.add(field.name)
        return [name for name in fields if name not in unordered]

    def find_object(self, queryset, request):
        if "id" in request.GET:
            return queryset.filter(pk=_positive_int("id", request.GET["id"])).first()
        return super().find_object(queryset, request)

    def handle_exception(self, exc):
        if isinstance(exc, SearchUnavailable):
            return Response(
                {
                    "message": _(
                        "Search is unavailable at the moment. Please try again in a few minutes."
                    )
                },
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        if isinstance(exc, Http404):  # Django's message would name the model, in English
            return Response({"message": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
        if isinstance(exc, BadRequestError):  # Wagtail's own are English strings
            return Response({"message": translated(str(exc))}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)


class VisibleAliasOfField(PageAliasOfField):
    """The page an alias copies, named only when the caller may see that page too."""

    def get_attribute(self, instance):
        original = instance.alias_of
        if original is not None and self.context["base_queryset"].filter(pk=original.pk).exists():
            return original
        return None


class SandyqPageSerializer(PageSerializer):
    alias_of = VisibleAliasOfField(read_only=True)


# --- the endpoints -----------------------------------------------------------------------


class SandyqPagesAPIViewSet(ReadOnlyMixin, SandyqFieldsMixin, PagesAPIViewSet):
    """Organisations, libraries, announcements and records, as their reader may see them."""

    base_serializer_class = SandyqPageSerializer

    filter_backends = [
        SafeFieldsFilter,
        ChildOfFilter,
        AncestorOfFilter,
        DescendantOfFilter,
        OrderingFilter,
        TranslationOfFilter,
        LocaleFilter,
        SandyqPageFilter,
    ]
    known_query_parameters = PagesAPIViewSet.known_query_parameters.union(SANDYQ_FILTERS) - {
        "search_operator"
    }

    @classmethod
    def model_fields(cls, model):
        for page_model, fields in PAGE_FIELDS:
            if issubclass(model, page_model):
                return fields
        return []

    @classmethod
    def get_listing_default_fields(cls, model):
        return super().get_listing_default_fields(model) + LISTING_FIELDS.get(model, [])

    def get_base_queryset(self):
        """Live pages outside Wagtail's view restrictions, less the records the
        caller may not see. Every filter that names a page reads this set too."""
        return access.visible_pages(self.request.user, super().get_base_queryset())

    def listing_view(self, request):
        if "search" in request.GET:
            return self.search_view(request)
        return super().listing_view(request)

    def search_view(self, request):
        """``?search=`` through the search service, with the caller's access tokens."""
        others = set(request.GET) - SEARCH_PARAMETERS
        if others:
            raise BadRequestError(
                _("search cannot be combined with: %(names)s.")
                % {"names": ", ".join(sorted(others))}
            )
        chosen = sandyq_filters(request)
        facets = {}
        if "document_type" in chosen:
            facets["type"] = chosen["document_type"]
        if "year" in chosen:
            facets["year"] = chosen["year"]
        if "language" in chosen:
            facets["language"] = chosen["language"]
        organisation = chosen["organisation"]
        filters = SearchFilters(
            facets=facets, organisation_path=organisation.path if organisation else ""
        )
        limit, offset = search_window(request)
        number = offset // max(limit, 1) + 1
        results = service.search(
            request.user,
            request.GET["search"],
            filters=filters,
            page=number,
            per_page=max(limit, 1),
            scope=service.ARCHIVE,
            request=request._request,
        )
        ids = (
            []
            if limit == 0 or results.page.number != number
            else [r.page_id for r in results.results]
        )
        # The service filtered by access already; the endpoint's own set is asked again.
        found = {page.pk: page for page in self.get_base_queryset().filter(pk__in=ids).specific()}
        pages = [found[pk] for pk in ids if pk in found]
        serializer = self.get_serializer(pages, many=True)
        return Response({"meta": {"total_count": results.total}, "items": serializer.data})


def search_window(request) -> tuple[int, int]:
    """``limit`` and ``offset`` of a search: pages of the service, so the offset
    is a multiple of the limit."""
    limit_max = min(getattr(settings, "WAGTAILAPI_LIMIT_MAX", 20) or 20, service.MAX_PER_PAGE)
    limit = _positive_int("limit", request.GET.get("limit", "20"), 0, limit_max)
    offset = _positive_int("offset", request.GET.get("offset", "0"), 0)
    if limit and offset % limit:
        raise BadRequestError(_("When searching, offset must be a multiple of limit."))
    if offset >= service.MAX_RESULTS_WINDOW:
        raise BadRequestError(
            _("When searching, offset must be below %(max)s.") % {"max": service.MAX_RESULTS_WINDOW}
        )
    return limit, offset


class DocumentsFilter:
    """Files of records in ``organisation`` (and below), of a ``document_type``,
    ``year`` or ``language``: judged by the records the caller may see only."""

    def filter_queryset(self, request, queryset, view):
        chosen = sandyq_filters(request)
        if len(chosen) == 1 and chosen["organisation"] is None:
            return queryset
        records = DocumentPage.objects.filter(_records_matching(chosen))
        if chosen["organisation"] is not None:
            records = records.filter(path__startswith=chosen["organisation"].path)
        records = access.viewable(request.user, records)
        return queryset.filter(
            Q(pk__in=records.values("main_file_id"))
            | Q(pk__in=DocumentAttachment.objects.filter(page__in=records).values("document_id"))
        )


class SandyqDocumentsAPIViewSet(ReadOnlyMixin, SandyqFieldsMixin, DocumentsAPIViewSet):
    """The files records show, each one only to callers who may fetch it."""

    filter_backends = [SafeFieldsFilter, OrderingFilter, DocumentsFilter]
    known_query_parameters = BaseAPIViewSet.known_query_parameters.union(SANDYQ_FILTERS) - {
        "search",
        "search_operator",
    }
    meta_fields = BaseAPIViewSet.meta_fields + ["download_url"]
    listing_default_fields = BaseAPIViewSet.listing_default_fields + [
        "title",
        "mime_type",
        "download_url",
    ]
    nested_default_fields = BaseAPIViewSet.nested_default_fields + ["title", "download_url"]
    own_fields = [
        "title",
        APIField("mime_type", serializer=CharField(source="content_type", read_only=True)),
        "page_count",
    ]

    def get_queryset(self):
        shown = Q(pk__in=DocumentPage.objects.exclude(main_file=None).values("main_file_id")) | Q(
            pk__in=DocumentAttachment.objects.values("document_id")
        )
        files = super().get_queryset().filter(shown)
        return access.visible_files(self.request.user, files)

    def listing_view(self, request):
        if "search" in request.GET:
            raise BadRequestError(
                _(
                    "Files are not searched here: search the pages endpoint, "
                    "whose records list their files."
                )
            )
        return super().listing_view(request)


api_router = WagtailAPIRouter("sandyq_api")
api_router.register_endpoint("pages", SandyqPagesAPIViewSet)
api_router.register_endpoint("documents", SandyqDocumentsAPIViewSet)


def openapi_schema() -> dict:
    return api_schema.schema(SandyqPagesAPIViewSet, SandyqDocumentsAPIViewSet)


def not_found_view(request):
    return JsonResponse({"message": _("Not found.")}, status=404)


@require_GET
def openapi_view(request):
    return JsonResponse(openapi_schema(), json_dumps_params={"ensure_ascii": False, "indent": 2})


def urlpatterns():
    """``/api/v2/openapi.json`` and the endpoints, for ``include()`` in ``cms.urls``."""
    return [
        path("openapi.json", openapi_view, name="sandyq_api_openapi"),
        path("", include((api_router.get_urlpatterns(), "sandyq_api"), namespace="sandyq_api")),
        # Any other address under /api/v2/ (``pages/abc/``): the API's JSON 404, not a page.
        re_path(r"^", not_found_view),
    ]
