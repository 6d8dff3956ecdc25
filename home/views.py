"""Site-wide answers that are not pages: robots.txt, the favicon's old address and
the page-not-found page."""

from django.conf import settings
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView

from wagtail.models import Page, Site

from .models import OrganisationPage


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    """Crawlers may read the site but not the admin, nor search results (endless, and
    each one a copy of pages they can reach anyway); the sitemap lists the rest."""
    search_paths = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            search_paths.append(reverse("search:public"))
    context = {
        "admin_path": reverse("wagtailadmin_home"),
        "search_paths": search_paths,
        "sitemap_url": request.build_absolute_uri(reverse("sitemap")),
    }
    return render(request, "robots.txt", context, content_type="text/plain; charset=utf-8")


class FaviconView(RedirectView):
    """Browsers and crawlers that ask for /favicon.ico get the SVG base.html links."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("img/favicon.svg")


MAX_ORGANISATION_DEPTH = 6


def nearest_organisation(request):
    """The public organisation whose address the missing page's address is under.

    /ru/қарағанды-облысы/нет-такой/ leads back to the Karaganda branch; the central
    office is left out (every error page links the home page anyway).
    """
    site = Site.find_for_request(request)
    if site is None:
        return None
    path = request.path_info
    language = translation.get_language_from_path(path)
    if language:
        path = path[len(language) + 1 :]
    # Organisations are at most a few levels deep; a long made-up address must not
    # make a long query.
    slugs = [slug for slug in path.split("/") if slug][:MAX_ORGANISATION_DEPTH]
    prefix, candidates = site.root_page.url_path, []
    for slug in slugs:
        prefix += f"{slug}/"
        candidates.append(prefix)
    page = (
        Page.objects.live()
        .public()
        .type(OrganisationPage)
        .filter(url_path__in=candidates, depth__gt=site.root_page.depth)
        .order_by("-depth")
        .first()
    )
    return page.specific if page else None


def page_not_found(request, exception=None):
    """Django's 404, in the language of the address, with a way on: the search box,
    the home page and the organisation the address was under.

    Access denials return it themselves (``docs_library.files.serving.deny``) rather
    than raise ``Http404``: under ``DEBUG`` (``make run``) Django would answer a raised
    one with its technical page, which lists the site's URL patterns to a member
    who may not see a record."""
    context = {"organisation": nearest_organisation(request)}
    return render(request, "404.html", context, status=404)
