"""The sitemap, read with a real XML parser: each public page in kk, ru and en."""

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from django.utils import translation

from wagtail.models import PageViewRestriction

from tests.factories import AnnouncementFactory, DocumentPageFactory, LibraryFactory

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
LANGUAGES = ["kk", "ru", "en"]


def sitemap(client, path="/sitemap.xml", query="", **headers):
    response = client.get(f"{path}?{query}" if query else path, **headers)
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 (our own sitemap)
    assert root.tag == f"{SITEMAP}urlset"
    entries = {}
    for url in root.iter(f"{SITEMAP}url"):
        location = url.findtext(f"{SITEMAP}loc")
        assert location not in entries, f"{location} listed twice"
        entries[location] = {
            link.get("hreflang"): link.get("href")
            for link in url.iter(f"{XHTML}link")
            if link.get("rel") == "alternate"
        }
    return entries


def addresses(page):
    urls = {}
    for language in LANGUAGES:
        with translation.override(language):
            urls[language] = page.get_full_url()
    return urls


def test_every_public_page_is_listed_in_each_language_with_its_alternates(client, tree):
    library = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    record = DocumentPageFactory(parent=library, title="Ашық шешім")
    news = AnnouncementFactory(parent=tree["district"], title="Жиналыс")
    entries = sitemap(client, HTTP_ACCEPT_LANGUAGE="ru")  # the visitor's language changes nothing
    pages = [tree["home"], tree["region"], tree["district"], tree["primary"], library, record, news]
    for page in pages:
        urls = addresses(page)
        for language in LANGUAGES:
            assert urlsplit(urls[language]).path.startswith(f"/{language}/")
        expected = {**urls, "x-default": urls["kk"]}
        for language in LANGUAGES:
            assert entries[urls[language]] == expected, (page.title, language)
    assert len(entries) == len(LANGUAGES) * len(pages)


def test_only_what_a_signed_out_visitor_may_read_is_listed(client, tree, django_user_model):
    library = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    public = DocumentPageFactory(parent=library, title="Ашық шешім")
    hidden = [
        DocumentPageFactory(parent=library, title="Мүшелерге", access_level="members"),
        DocumentPageFactory(parent=library, title="Ұйымға", access_level="organisation"),
        DocumentPageFactory(parent=library, title="Шектеулі", access_level="restricted"),
    ]
    draft = DocumentPageFactory(parent=library, title="Жоба", live=False)
    closed = LibraryFactory(parent=tree["district"], title="Ішкі")
    PageViewRestriction.objects.create(page=closed, restriction_type=PageViewRestriction.LOGIN)
    behind = DocumentPageFactory(parent=closed, title="Жабық кітапханада")
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.kz", "x"))
    entries = sitemap(client)
    for language, url in addresses(public).items():
        assert url in entries, language
    for page in [*hidden, draft, closed, behind]:
        for url in addresses(page).values():
            assert url not in entries, page.title
            assert all(url not in links.values() for links in entries.values())


def test_a_sitemap_too_big_for_one_file_becomes_an_index_of_its_parts(client, tree, monkeypatch):
    from home.sitemaps import MultilingualSitemap

    whole = sitemap(client)
    monkeypatch.setattr(MultilingualSitemap, "limit", 2)  # pages per part, each in 3 languages
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    index = ET.fromstring(response.content)  # noqa: S314 (our own sitemap)
    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert parts == [
        "http://testserver/sitemap-pages.xml",
        "http://testserver/sitemap-pages.xml?p=2",
    ]
    joined = {}
    for part in parts:
        entries = sitemap(client, path=urlsplit(part).path, query=urlsplit(part).query)
        assert 0 < len(entries) <= 2 * len(LANGUAGES)
        joined.update(entries)
    assert joined == whole
    assert client.get("/sitemap-pages.xml?p=3").status_code == 404
    assert client.get("/sitemap-other.xml").status_code == 404
