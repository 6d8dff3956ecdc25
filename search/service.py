"""The one search service every view (and any API) calls.

``search(user, query, ...)`` takes the reader, what they typed, the filters and
the sort, and returns a page of results with titles, links and snippets, the
total and the facet counts. Who may see what is never decided here: the
reader's tokens come from ``docs_library.access.user_tokens`` and the engine
puts them inside its query (``search.engines``), so the total, the pages and
every facet count leave out what the reader may not open. Snippets are taken
only from the results the engine returned.

Two scopes: ``public`` searches as an anonymous visitor would, current
material only, whoever is signed in; ``archive`` searches as the signed-in
reader, archived material included.
"""

from __future__ import annotations

import datetime
import math
import time
from dataclasses import dataclass, field, replace

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wagtail.models import Page

from docs_library.access import user_tokens
from docs_library.models import DocumentLanguage, DocumentType
from home.models import (
    AnnouncementPage,
    HomePage,
    RegionalBranchPage,
    localised_name,
    reader_language,
)
from search import analysis, indexing, integrity, snippets
from search.engines import get_engine
from search.engines import rows as engine_rows
from search.engines.base import FACETS, SORTS, EngineRequest, SearchFilters
from search.models import EntryKind, EntryStatus
from search.query import MAX_QUERY_LENGTH, ParsedQuery, parse

PUBLIC = "public"
ARCHIVE = "archive"
PER_PAGE = 10
MAX_PER_PAGE = 50
#: Results beyond this many are not paged to (Elasticsearch's own window).
MAX_RESULTS_WINDOW = 10_000
AUTOCOMPLETE_MAX_CHARS = 100
AUTOCOMPLETE_LIMIT = 8

FACET_LABELS = {
    "region": gettext_lazy("Organisation"),
    "type": gettext_lazy("Type"),
    "year": gettext_lazy("Year"),
    "language": gettext_lazy("Language"),
    "status": gettext_lazy("Status"),
}
SORT_LABELS = {
    "relevance": gettext_lazy("Relevance"),
    "newest": gettext_lazy("Newest first"),
    "oldest": gettext_lazy("Oldest first"),
}


def type_labels() -> dict[str, str]:
    labels = dict(DocumentType.choices)
    labels[EntryKind.ANNOUNCEMENT.value] = EntryKind.ANNOUNCEMENT.label
    labels[EntryKind.ORGANISATION.value] = EntryKind.ORGANISATION.label
    return labels


LANGUAGE_LABELS = dict(DocumentLanguage.choices)
STATUS_LABELS = dict(EntryStatus.choices)


@dataclass
class Result:
    page_id: int
    title: str
    url: str
    kind: str
    type_label: str
    date: datetime.date | None
    registration_number: str
    organisation: str
    language: str
    snippet: SafeString


@dataclass
class FacetValue:
    value: str | int
    label: str
    count: int
    selected: bool
    url: str = ""


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue]


@dataclass
class ResultsPage:
    """Enough of Django's ``Page`` for ``includes/pagination.html``."""

    number: int
    num_pages: int
    count: int

    @property
    def paginator(self):
        return self

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


@dataclass
class SearchResults:
    query: ParsedQuery
    scope: str
    results: list[Result]
    total: int
    page: ResultsPage
    facets: list[Facet]
    sort: str
    notices: list[str] = field(default_factory=list)
    #: The database index holds far fewer pages than it should (``search.integrity``).
    index_broken: bool = False

    @property
    def searched(self) -> bool:
        return not self.query.is_empty


def tokens_for(user, scope: str) -> frozenset[str] | None:
    """The access tokens the search runs with: an anonymous visitor's for public search."""
    if scope == PUBLIC or user is None:
        return user_tokens(AnonymousUser())
    return user_tokens(user)


# --- reading filters from a request ---------------------------------------------


def _int(value, low=1, high=2**31 - 1) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _date(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


def filters_from(params, scope: str = ARCHIVE) -> SearchFilters:
    """Filters from query parameters; anything unknown or malformed is ignored."""
    facets: dict[str, str | int] = {}
    region = _int(params.get("region"))
    if region:
        facets["region"] = region
    kind = params.get("type", "")
    if kind in type_labels():
        facets["type"] = kind
    year = _int(params.get("year"), 1000, 9999)
    if year:
        facets["year"] = year
    language = params.get("language", "")
    if language in LANGUAGE_LABELS:
        facets["language"] = language
    status = params.get("status", "")
    if scope == ARCHIVE and status in STATUS_LABELS:
        facets["status"] = status
    organisation_path = ""
    organisation = _int(params.get("organisation"))
    if organisation:
        organisation_path = (
            Page.objects.filter(pk=organisation, live=True).values_list("path", flat=True).first()
            or ""
        )
    return SearchFilters(
        facets=facets,
        organisation_path=organisation_path,
        date_from=_date(params.get("from")),
        date_to=_date(params.get("to")),
        status=EntryStatus.CURRENT if scope == PUBLIC else "",
    )


# --- searching ---------------------------------------------------------------------


def search(
    user,
    query: str | None,
    *,
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
    scope: str = ARCHIVE,
    request=None,
) -> SearchResults:
    """Search what ``user`` may see; see the module's docstring.

    The page's language (the active one) tells the analysis how to read words
    whose letters do not say whether they are Kazakh or Russian.
    """
    parsed = parse(query, reader_language())
    filters = filters or SearchFilters()
    if scope == PUBLIC:  # current material only, and no status facet to choose from
        facets = {name: value for name, value in filters.facets.items() if name != "status"}
        filters = replace(filters, facets=facets, status=EntryStatus.CURRENT)
    sort = sort if sort in SORTS else "relevance"
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    max_page = MAX_RESULTS_WINDOW // per_page
    page = max(1, min(page if isinstance(page, int) else 1, max_page))
    notices = _notices(query, parsed)

    engine = get_engine()
    # Elasticsearch keeps its own index; the database engines read ours.
    index_broken = engine.name != "elasticsearch" and integrity.guard() is not None
    request_args = {
        "query": parsed,
        "tokens": tokens_for(user, scope),
        "filters": filters,
        "sort": sort,
        "limit": per_page,
    }
    answer = engine.search(EngineRequest(offset=(page - 1) * per_page, **request_args))
    num_pages = max(1, min(math.ceil(answer.total / per_page), max_page))
    if answer.total and page > num_pages:
        page = num_pages
        answer = engine.search(EngineRequest(offset=(page - 1) * per_page, **request_args))

    rows = _rows(answer.page_ids) if answer.page_ids else {}
    regions = _region_labels(
        {*answer.facets.get("region", {}), *(row.region_id for row in rows.values())}
    )
    return SearchResults(
        query=parsed,
        scope=scope,
        results=_results(answer.page_ids, rows, regions, answer.snippets, parsed, request),
        total=answer.total,
        page=ResultsPage(page, num_pages, answer.total),
        facets=_facets(answer.facets, regions, filters, scope),
        sort=sort,
        notices=notices,
        index_broken=index_broken,
    )


def _notices(raw: str | None, parsed: ParsedQuery) -> list[str]:
    notices = []
    if parsed.truncated:
        notices.append(
            _(
                "Your query was longer than %(max)s characters; "
                "only its first %(max)s characters were searched."
            )
            % {"max": MAX_QUERY_LENGTH}
        )
    if parsed.is_empty and (raw or "").strip():
        notices.append(
            _(
                "Your query has no letters or digits to search for. "
                "Type a word, a phrase in quotes or a registration number."
            )
        )
    return notices


@dataclass(frozen=True)
class _Row:
    """What a result shows, and a record's own texts for its snippet."""

    kind: str
    entry_type: str
    date: datetime.date | None
    registration_number: str
    region_id: int | None
    language: str
    title: str
    url_path: str
    content_type_id: int
    summary: str | None
    body: str | None
    file_text: str | None


def _rows(page_ids) -> dict[int, _Row]:
    """The rows of the results: entry, page and, for records, their text."""
    rows = engine_rows.result_rows(page_ids)
    return {row[0]: _Row(*row[1:3], _as_date(row[3]), *row[4:]) for row in rows}


def _as_date(value) -> datetime.date | None:
    """SQLite hands dates over as text to SQL that is not the ORM's."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _texts(rows: dict[int, _Row]) -> dict[int, list[str]]:
    """The texts snippets are taken from, as ``indexing.page_parts`` gives them,
    without loading a page model for records or organisation pages."""
    texts: dict[int, list[str]] = {}
    records = [pk for pk, row in rows.items() if row.kind == EntryKind.DOCUMENT]
    attachments = indexing.attachment_texts(records)
    for pk in records:
        row = rows[pk]
        parts = indexing.record_parts(row.summary, row.body, row.file_text, attachments.get(pk, []))
        texts[pk] = [text for _name, text in parts]
    organisations: dict[int, list[int]] = {}
    for pk, row in rows.items():
        if row.kind == EntryKind.ORGANISATION:
            organisations.setdefault(row.content_type_id, []).append(pk)
    for content_type_id, pks in organisations.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        for pk, *values in engine_rows.column_values(model, indexing.ORGANISATION_TEXT_FIELDS, pks):
            texts[pk] = [text for _name, text in indexing.organisation_parts(*values)]
    announcements = [pk for pk, row in rows.items() if row.kind == EntryKind.ANNOUNCEMENT]
    if announcements:  # a StreamField body: read through the page
        for page in AnnouncementPage.objects.filter(pk__in=announcements):
            texts[page.pk] = [text for _name, text in indexing.page_parts(page)]
    return texts


def _results(page_ids, rows, regions, engine_snippets, parsed, request) -> list[Result]:
    """The page of results with links and snippets."""
    if not page_ids:
        return []
    types = type_labels()
    matcher = snippets.Matcher(parsed)
    texts = _texts(rows) if len(engine_snippets) < len(page_ids) else {}
    links = _Links(request)
    results = []
    for page_id in page_ids:
        row = rows.get(page_id)
        if row is None:  # deleted since the search
            continue
        snippet = engine_snippets.get(page_id)
        if snippet:
            snippet = SafeString(snippet)  # Elasticsearch's highlighter escaped the text
        else:
            parts = texts.get(page_id, [])
            snippet = snippets.build(parts, matcher) or snippets.plain(
                next((text for text in parts if text), "")
            )
        results.append(
            Result(
                page_id=page_id,
                title=row.title,
                url=links.url(page_id, row.url_path),
                kind=row.kind,
                type_label=types.get(row.entry_type, ""),
                date=row.date,
                registration_number=row.registration_number,
                organisation=regions.get(row.region_id, ""),
                language=row.language,
                snippet=snippet,
            )
        )
    return results


class _Links:
    """Wagtail's URLs of pages known by id and ``url_path``, without loading them.

    No page type of Sandyq routes its own URLs, so Wagtail's ``get_url_parts``
    on a bare ``Page`` gives each page's URL; one scratch instance serves every
    result (making a page instance costs more than the URL). ``Page.get_url``
    would look up the request's site (a query) to choose between a path and a
    full URL; with one site Wagtail always answers with the path, so the site
    is looked up only when there are several.
    """

    def __init__(self, request):
        self.request = request
        self.page = Page()
        # The root paths Wagtail reads for every link, kept on the request.
        roots = self.page._get_site_root_paths(request)
        self.single_site = len({root.site_id for root in roots}) == 1

    def url(self, page_id: int, url_path: str) -> str:
        page = self.page
        page.id, page.url_path = page_id, url_path
        if not self.single_site:
            return page.get_url(self.request) or ""
        parts = page.get_url_parts(self.request)
        return (parts[2] or "") if parts else ""


#: Seconds a process keeps the names of the regions. Saving a region or the
#: central office forgets them at once in that process; other processes show
#: a new name after at most this long.
REGION_NAMES_SECONDS = 60
_region_names: dict[str, tuple[float, dict[int, str]]] = {}


def forget_region_names(**kwargs) -> None:
    _region_names.clear()


def _region_labels(region_ids) -> dict[int, str]:
    """Names of region-level organisations (regions and the central office), in the
    reader's language, as ``OrganisationPage.display_name`` gives them.

    Every search shows them in its facets; there are about twenty and they are
    seldom renamed, so each process keeps them for a minute.
    """
    language = reader_language()
    cached = _region_names.get(language)
    missing = cached is not None and any(
        region_id and region_id not in cached[1] for region_id in region_ids
    )
    if cached is None or missing or cached[0] < time.monotonic():
        names = {}
        for model in (RegionalBranchPage, HomePage):
            for pk, title, name_ru, name_en in model.objects.values_list(
                "pk", "title", "name_ru", "name_en"
            ):
                names[pk] = localised_name(title, name_ru, name_en, language)
        cached = _region_names[language] = (time.monotonic() + REGION_NAMES_SECONDS, names)
    names = cached[1]
    return {region_id: names.get(region_id, "") for region_id in region_ids if region_id}


def _facets(counts, regions, filters: SearchFilters, scope: str) -> list[Facet]:
    labels = {
        "region": regions,
        "type": type_labels(),
        "language": LANGUAGE_LABELS,
        "status": STATUS_LABELS,
    }
    facets = []
    for name in FACETS:
        if scope == PUBLIC and name == "status":
            continue
        values = [
            FacetValue(
                value=value,
                label=str(labels[name].get(value, value)) if name in labels else str(value),
                count=count,
                selected=filters.facets.get(name) == value,
            )
            for value, count in counts.get(name, {}).items()
            if count
        ]
        if name == "year":
            values.sort(key=lambda item: -int(item.value))
        else:
            values.sort(key=lambda item: (-item.count, item.label))
        facets.append(Facet(name, str(FACET_LABELS[name]), values))
    return facets


# --- autocomplete ------------------------------------------------------------------------


def autocomplete(user, text: str | None, *, scope: str = PUBLIC, request=None, limit=None):
    """Titles and registration numbers that start with what was typed, visible ones only."""
    if not isinstance(text, str):
        return []
    text = text[:AUTOCOMPLETE_MAX_CHARS]
    tokens = list(dict.fromkeys(analysis.tokenise(text)))
    if sum(len(token) for token in tokens) < 2:
        return []
    limit = max(1, min(limit or AUTOCOMPLETE_LIMIT, 20))
    status = EntryStatus.CURRENT.value if scope == PUBLIC else ""
    rows = get_engine().autocomplete(tokens, tokens_for(user, scope), status=status, limit=limit)
    pages = {page.pk: page for page in Page.objects.filter(pk__in=[row[0] for row in rows])}
    suggestions = []
    for page_id, title, number in rows:
        page = pages.get(page_id)
        if page is not None:
            suggestions.append(
                {"title": title, "registration_number": number, "url": page.get_url(request)}
            )
    return suggestions
