"""Search pages: public search, the archive search for signed-in readers, autocomplete.

The views read parameters and render; what is found and who may see it is the
search service's business (``search.service``), which asks the access policy.
Malformed parameters are ignored rather than refused, so a hand-edited or
hostile URL gives a page of results or a message, never an error.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import service
from .engines.base import SearchUnavailable
from .query import MAX_QUERY_LENGTH

# Parameters that narrow a search; kept across pages, sorts and facet clicks.
FILTER_PARAMS = ("region", "type", "year", "language", "status", "organisation", "from", "to")


def _page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def _params(request, scope) -> dict[str, str]:
    """The current query and filters, as they will be written into links."""
    params = {"q": request.GET.get("q", "")[: MAX_QUERY_LENGTH * 2]}
    for name in FILTER_PARAMS:
        if name == "status" and scope == service.PUBLIC:
            continue
        value = request.GET.get(name, "")[:40]
        if value:
            params[name] = value
    sort = request.GET.get("sort", "")
    if sort in service.SORT_LABELS and sort != "relevance":
        params["sort"] = sort
    return params


def _url(params: dict[str, str], **changes) -> str:
    merged = {**params, **changes}
    return "?" + urlencode({key: value for key, value in merged.items() if value})


def _search(request, scope: str, template: str = "search/search.html"):
    params = _params(request, scope)
    context = {
        "scope": scope,
        "q": params["q"],
        "max_length": MAX_QUERY_LENGTH,
        "params": params,
        "filter_params": {k: v for k, v in params.items() if k in FILTER_PARAMS},
        "sort_options": [
            {"value": value, "label": label, "url": _url(params, sort=value)}
            for value, label in service.SORT_LABELS.items()
        ],
    }
    if "q" in request.GET:
        try:
            results = service.search(
                request.user,
                params["q"],
                filters=service.filters_from(request.GET, scope),
                sort=request.GET.get("sort", "relevance"),
                page=_page_number(request.GET.get("page")),
                scope=scope,
                request=request,
            )
        except SearchUnavailable:
            context["unavailable"] = True
            return render(request, template, context, status=503)
        for facet in results.facets:
            for value in facet.values:
                value.url = _url(params, **{facet.name: "" if value.selected else value.value})
        context.update(
            results=results,
            # Staff can have it repaired; readers would only be alarmed.
            index_broken=results.index_broken
            and request.user.has_perm("wagtailadmin.access_admin"),
            first_number=(results.page.number - 1) * service.PER_PAGE + 1,
            empty_query=not params["q"].strip(),
            query_prefix=_url(params).lstrip("?"),
            clear_url=_url({"q": params["q"], "sort": params.get("sort", "")}),
        )
    return render(request, template, context)


@require_GET
def public_search(request):
    """What the public may see, searched as an anonymous visitor whoever is signed in."""
    return _search(request, service.PUBLIC)


@require_GET
@login_required
def archive_search(request):
    """Everything the signed-in reader may see, archived material included."""
    return _search(request, service.ARCHIVE)


@require_GET
def autocomplete(request):
    """Titles and registration numbers for the search box, as JSON, visible ones only.

    ``scope=archive`` suggests from what the signed-in reader may see; anything
    else (and any anonymous request) suggests from public material only.
    """
    scope = service.ARCHIVE if request.GET.get("scope") == service.ARCHIVE else service.PUBLIC
    if not request.user.is_authenticated:
        scope = service.PUBLIC
    try:
        suggestions = service.autocomplete(
            request.user, request.GET.get("q", ""), scope=scope, request=request
        )
    except SearchUnavailable:
        return JsonResponse({"results": []}, status=503)
    return JsonResponse({"results": suggestions})
