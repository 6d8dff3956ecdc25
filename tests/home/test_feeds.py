"""The announcements feeds, read with a real XML parser, and the pages that announce them."""

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from django.urls import reverse
from django.utils import translation

from wagtail.models import PageViewRestriction

from tests.factories import (
    AnnouncementFactory,
    AnnouncementIndexFactory,
    DocumentPageFactory,
    LibraryFactory,
    RegionFactory,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def atom(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 (our own feed)
    assert feed.tag == f"{ATOM}feed"
    return feed


def entry_titles(feed):
    return [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]


def feed_url(name, language, *args):
    with translation.override(language):
        return reverse(name, args=args)


@pytest.fixture
def news(tree):
    index = AnnouncementIndexFactory(parent=tree["region"], title="Облыс жаңалықтары")
    original = AnnouncementFactory(parent=index, title="Сайлау өтті", language="kk")
    translated = AnnouncementFactory(
        parent=index, title="Выборы прошли", language="ru", translation_of=original
    )
    district_news = AnnouncementFactory(parent=tree["district"], title="Аудандағы жиналыс")
    draft = AnnouncementFactory(parent=index, title="Әлі жарияланбаған", live=False)
    closed = AnnouncementIndexFactory(parent=tree["district"], title="Ішкі жаңалықтар")
    PageViewRestriction.objects.create(
        page=closed, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    hidden = AnnouncementFactory(parent=closed, title="Тек мүшелерге")
    elsewhere = AnnouncementFactory(parent=RegionFactory(parent=tree["home"]), title="Басқа облыс")
    return {
        "index": index,
        "original": original,
        "translated": translated,
        "district_news": district_news,
        "draft": draft,
        "hidden": hidden,
        "elsewhere": elsewhere,
    }


@pytest.mark.parametrize(
    "language, shown, not_shown",
    [("kk", "original", "translated"), ("ru", "translated", "original")],
)
def test_the_party_feed_has_public_published_announcements_in_the_readers_language(
    client, news, language, shown, not_shown
):
    feed = atom(client, feed_url("announcements_feed", language))
    titles = entry_titles(feed)
    assert titles.count(news[shown].title) == 1
    for name in (not_shown, "draft", "hidden"):
        assert news[name].title not in titles
    assert news["district_news"].title in titles and news["elsewhere"].title in titles
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == language
    links = [entry.find(f"{ATOM}link").get("href") for entry in feed.iter(f"{ATOM}entry")]
    assert all(link.startswith(f"http://testserver/{language}/") for link in links)


def test_an_organisations_feed_has_its_own_and_its_descendants_announcements(client, tree, news):
    titles = entry_titles(
        atom(client, feed_url("organisation_announcements_feed", "kk", tree["region"].pk))
    )
    assert news["original"].title in titles and news["district_news"].title in titles
    assert news["elsewhere"].title not in titles and news["hidden"].title not in titles
    titles = entry_titles(
        atom(client, feed_url("organisation_announcements_feed", "kk", tree["district"].pk))
    )
    assert titles == [news["district_news"].title]


def test_only_organisations_have_an_announcements_feed(client, news):
    for page in (news["index"], news["original"], news["draft"]):
        url = feed_url("organisation_announcements_feed", "kk", page.pk)
        assert client.get(url).status_code == 404


class AlternateLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.feeds = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "alternate":
            assert attrs["type"] == "application/atom+xml" and attrs["title"]
            self.feeds.append(attrs["href"])


def announced_feeds(client, page):
    with translation.override("kk"):
        url = page.get_url()
    parser = AlternateLinks()
    parser.feed(client.get(url).content.decode())
    return parser.feeds


def test_pages_announce_the_feeds_of_what_they_list(client, tree, news):
    library = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    record = DocumentPageFactory(parent=library, title="Ашық шешім")
    region_feed = feed_url("organisation_announcements_feed", "kk", tree["region"].pk)
    library_feed = feed_url("library_feed", "kk", library.pk)
    assert announced_feeds(client, tree["home"]) == [
        feed_url("announcements_feed", "kk"),
        feed_url("documents_feed", "kk"),
    ]
    assert announced_feeds(client, tree["region"]) == [region_feed]
    assert announced_feeds(client, news["index"]) == [region_feed]
    assert announced_feeds(client, news["original"]) == [region_feed]
    assert announced_feeds(client, library) == [library_feed]
    assert announced_feeds(client, record) == [library_feed]
    assert record.title in entry_titles(atom(client, library_feed))
    for url in announced_feeds(client, tree["home"]):
        atom(client, url)
