"""The sitemap: every public page at its address in each language of the site.

Every page is served under /kk/, /ru/ and /en/ (the interface's language; the
page's own text stays as written), so each one is listed three times, each entry
naming the other two as ``hreflang`` alternates and the Kazakh address as
``x-default``. What is listed is what each page's ``get_sitemap_urls`` allows: a
record asks ``docs_library.access.anonymous_may_view``; Wagtail's items are
already live pages outside any view restriction.

A sitemap holds at most 50,000 addresses: past that, /sitemap.xml becomes an
index of /sitemap-pages.xml, /sitemap-pages.xml?p=2 and so on.
"""

from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.utils import translation

from wagtail.contrib.sitemaps import Sitemap


class MultilingualSitemap(Sitemap):
    # Each item is written once per language; a sitemap holds at most 50,000 URLs.
    limit = 50_000 // len(settings.LANGUAGES)

    def _urls(self, page, protocol, domain):
        languages = [code for code, _name in settings.LANGUAGES]
        urls, last_mods = [], set()
        for item in self.paginator.page(page).object_list.iterator():
            by_language = {}
            for language in languages:
                with translation.override(language):
                    by_language[language] = item.get_sitemap_urls(self.request)
            # One entry per address the page gives; the same entry in every language.
            for index, url_info in enumerate(by_language[settings.LANGUAGE_CODE]):
                alternates = [
                    {"lang_code": language, "location": by_language[language][index]["location"]}
                    for language in languages
                ]
                alternates.append({"lang_code": "x-default", "location": url_info["location"]})
                for alternate in alternates[:-1]:
                    urls.append(
                        {
                            **by_language[alternate["lang_code"]][index],
                            "alternates": alternates,
                        }
                    )
                last_mods.add(url_info.get("lastmod"))
        if last_mods and None not in last_mods:
            self.latest_lastmod = max(last_mods)
        return urls

    def get_latest_lastmod(self):
        # Django's would load every page to find the newest; the index can do without.
        return None


SECTION = "pages"


def sitemap(request, section=None):
    """/sitemap.xml: the whole sitemap while it fits in one, else an index of its parts
    (/sitemap-pages.xml?p=N, served here with ``section``)."""
    pages = MultilingualSitemap(request)
    if section is None and pages.paginator.num_pages > 1:
        return sitemap_views.index(request, {SECTION: pages}, sitemap_url_name="sitemap_section")
    return sitemap_views.sitemap(request, {SECTION: pages}, section=section)
