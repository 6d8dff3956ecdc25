"""Site-wide answers that are not pages: robots.txt and the favicon's old address."""

from django.conf import settings
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView


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
