"""The feeds (Atom and RSS 2.0), read as a feed reader reads them (feedparser, which
also says when a feed is malformed), and the pages that announce them."""

from html.parser import HTMLParser

import feedparser
import pytest

from django.urls import reverse
from django.utils import timezone, translation

from wagtail.models import PageViewRestriction

from docs_library.models import DocumentPage
from tests.factories import (
    AnnouncementFactory,
    AnnouncementIndexFactory,
    DocumentPageFactory,
    LibraryFactory,
    RegionFactory,
)


def parse(client, url, content_type, version):
    """The feed at ``url`` as feedparser reads it; a feed it finds malformed fails."""
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    feed = feedparser.parse(
        response.content,
        response_headers={
            "content-type": response["Content-Type"],
            "content-location": f"http://testserver{url}",
        },
    )
    assert not feed.bozo, f"{url}: {feed.get('bozo_exception')}"
    assert feed.version == version
    assert feed.feed.title and feed.feed.link.startswith("http://testserver/")
    for entry in feed.entries:
        assert entry.title and entry.link.startswith("http://testserver/")
        assert entry.get("published_parsed") or entry.get("updated_parsed")
    return feed


def atom(client, url):
    return parse(client, url, "application/atom+xml", "atom10")


def entry_titles(feed):
    return [entry.title for entry in feed.entries]


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
    assert feed.feed.language == language
    assert all(entry.link.startswith(f"http://testserver/{language}/") for entry in feed.entries)


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
            assert attrs["type"] in FEED_TYPES.values() and attrs["title"]
            self.feeds.append((attrs["type"], attrs["href"]))


FEED_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}


def announced_feeds(client, page_or_url):
    """The Atom feeds a page announces, each checked to have its RSS twin beside it."""
    if isinstance(page_or_url, str):
        url = page_or_url
    else:
        with translation.override("kk"):
            url = page_or_url.get_url()
    parser = AlternateLinks()
    parser.feed(client.get(url).content.decode())
    atom_feeds = [href for kind, href in parser.feeds if kind == FEED_TYPES["atom"]]
    rss_feeds = [href for kind, href in parser.feeds if kind == FEED_TYPES["rss"]]
    assert rss_feeds == [f"{href}rss/" for href in atom_feeds]
    return atom_feeds


def test_pages_announce_the_feeds_of_what_they_list(client, tree, news):
    library = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    record = DocumentPageFactory(parent=library, title="Ашық шешім", document_type="minutes")
    region_feed = feed_url("organisation_announcements_feed", "kk", tree["region"].pk)
    region_documents = feed_url("organisation_documents_feed", "kk", tree["region"].pk)
    library_feed = feed_url("library_feed", "kk", library.pk)
    minutes_feed = feed_url("organisation_document_type_feed", "kk", tree["region"].pk, "minutes")
    party = [feed_url("announcements_feed", "kk"), feed_url("documents_feed", "kk")]
    assert announced_feeds(client, tree["home"]) == party
    assert announced_feeds(client, tree["region"]) == [region_feed, region_documents]
    assert announced_feeds(client, news["index"]) == [region_feed]
    assert announced_feeds(client, news["original"]) == [region_feed]
    assert announced_feeds(client, library) == [library_feed]
    assert announced_feeds(client, record) == [library_feed, minutes_feed]
    assert announced_feeds(client, "/kk/search/") == party  # a view that is not a page
    assert record.title in entry_titles(atom(client, library_feed))
    assert record.title in entry_titles(atom(client, minutes_feed))
    for url in announced_feeds(client, tree["home"]):
        atom(client, url)
        rss(client, f"{url}rss/")


# --- RSS 2.0, and the documents feeds per organisation and per type ----------------


def rss(client, url):
    feed = parse(client, url, "application/rss+xml", "rss20")
    assert feed.feed.subtitle  # RSS 2.0's required <description>
    return feed


item_titles = entry_titles


@pytest.fixture
def records(tree):
    region_library = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    district_library = LibraryFactory(parent=tree["district"], title="Аудан құжаттары")
    elsewhere = LibraryFactory(parent=RegionFactory(parent=tree["home"]), title="Басқа облыс")
    made = {
        "decision": DocumentPageFactory(parent=region_library, title="Облыс шешімі"),
        "minutes": DocumentPageFactory(
            parent=district_library, title="Аудан хаттамасы", document_type="minutes"
        ),
        "elsewhere": DocumentPageFactory(parent=elsewhere, title="Басқа облыс шешімі"),
        "members": DocumentPageFactory(
            parent=district_library, title="Мүшелерге", access_level="members"
        ),
        "organisation": DocumentPageFactory(
            parent=district_library, title="Ұйымға", access_level="organisation"
        ),
        "restricted": DocumentPageFactory(
            parent=district_library, title="Шектеулі", access_level="restricted"
        ),
        "draft": DocumentPageFactory(parent=district_library, title="Жоба", live=False),
        "archived": DocumentPageFactory(parent=district_library, title="Мұрағаттағы"),
    }
    DocumentPage.objects.filter(pk=made["archived"].pk).update(archived_at=timezone.now())
    return made


NOT_PUBLIC_OR_CURRENT = ("members", "organisation", "restricted", "draft", "archived")


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize(
    "name, args, shown",
    [
        ("documents_feed", [], {"decision", "minutes", "elsewhere"}),
        ("organisation_documents_feed", ["region"], {"decision", "minutes"}),
        ("organisation_documents_feed", ["district"], {"minutes"}),
        ("document_type_feed", ["minutes"], {"minutes"}),
        ("document_type_feed", ["decision"], {"decision", "elsewhere"}),
        ("organisation_document_type_feed", ["region", "decision"], {"decision"}),
        ("organisation_document_type_feed", ["district", "decision"], set()),
    ],
)
def test_documents_feeds_in_atom_and_rss_have_public_current_records_only(
    client, tree, records, language, name, args, shown
):
    args = [tree[arg].pk if arg in tree else arg for arg in args]
    url = feed_url(name, language, *args)
    atom_titles = entry_titles(atom(client, url))
    channel = rss(client, feed_url(f"{name}_rss", language, *args))
    assert item_titles(channel) == atom_titles
    assert set(atom_titles) == {records[key].title for key in shown}
    assert not set(atom_titles) & {records[key].title for key in NOT_PUBLIC_OR_CURRENT}
    assert channel.feed.language == language
    assert all(item.link.startswith(f"http://testserver/{language}/") for item in channel.entries)


def test_feed_titles_are_in_the_readers_language(client, tree, records):
    with translation.override("ru"):
        title = rss(
            client,
            feed_url("organisation_document_type_feed_rss", "ru", tree["region"].pk, "minutes"),
        ).feed.title
    assert title == "Карагандинская область: документы типа «Протокол»"


@pytest.mark.parametrize("language, shown", [("kk", "original"), ("ru", "translated")])
def test_announcements_feeds_in_rss_match_the_atom_ones(client, tree, news, language, shown):
    for name, args in [
        ("announcements_feed", []),
        ("organisation_announcements_feed", [tree["region"].pk]),
    ]:
        atom_titles = entry_titles(atom(client, feed_url(name, language, *args)))
        channel = rss(client, feed_url(f"{name}_rss", language, *args))
        assert item_titles(channel) == atom_titles
        assert news[shown].title in atom_titles
        for hidden in ("draft", "hidden"):
            assert news[hidden].title not in atom_titles


def test_feeds_of_what_is_not_there_or_not_public_are_404(client, tree, records):
    PageViewRestriction.objects.create(
        page=tree["district"], restriction_type=PageViewRestriction.LOGIN
    )
    library = records["decision"].get_parent()
    for name, args in [
        ("document_type_feed", ["no-such-type"]),
        ("organisation_documents_feed", [library.pk]),  # a library is not an organisation
        ("organisation_documents_feed", [tree["district"].pk]),  # closed to the public
        ("organisation_announcements_feed_rss", [tree["district"].pk]),
        ("organisation_documents_feed", [999_999]),
        ("organisation_document_type_feed_rss", [tree["region"].pk, "nothing"]),
    ]:
        assert client.get(feed_url(name, "kk", *args)).status_code == 404, (name, args)


# --- every feed in both formats and each language, through one reader ---------------

FORMATS = {"atom": atom, "rss": rss}


@pytest.fixture
def withdrawn(records, django_user_model):
    from docs_library.lifecycle import archive

    record = DocumentPageFactory(parent=records["minutes"].get_parent(), title="Қайтарылған")
    admin = django_user_model.objects.create_superuser("feeds.admin", password="x")  # noqa: S106
    archive.withdraw(record, admin, "Қате жарияланды")
    return record


@pytest.mark.parametrize(
    "name, args, shown",
    [
        ("organisation_documents_feed", ["region"], {"decision", "minutes"}),
        ("organisation_own_documents_feed", ["region"], {"decision"}),
        ("organisation_own_documents_feed", ["district"], {"minutes"}),
        ("organisation_own_documents_feed", ["primary"], set()),
        ("library_feed", ["district library"], {"minutes"}),
    ],
)
def test_documents_feeds_with_and_without_what_is_below(
    client, tree, records, withdrawn, name, args, shown
):
    tree = {**tree, "district library": records["minutes"].get_parent()}
    for language in ("kk", "ru", "en"):
        for kind, read in FORMATS.items():
            url = feed_url(name if kind == "atom" else f"{name}_rss", language, tree[args[0]].pk)
            feed = read(client, url)
            titles = entry_titles(feed)
            assert set(titles) == {records[key].title for key in shown}, url
            assert withdrawn.title not in titles  # nor drafts, archived or non-public records
            assert feed.feed.language == language


def test_an_organisations_own_announcements_leave_out_those_below(client, tree, news):
    name = "organisation_own_announcements_feed"
    for language, shown in [("kk", "original"), ("ru", "translated"), ("en", "original")]:
        for suffix, read in [("", atom), ("_rss", rss)]:
            region = read(client, feed_url(name + suffix, language, tree["region"].pk))
            # Not the district's, nor the draft or the restricted list's.
            assert entry_titles(region) == [news[shown].title]
            with translation.override(language):
                assert tree["region"].display_name in region.feed.title
            district = read(client, feed_url(name + suffix, language, tree["district"].pk))
            assert entry_titles(district) == [news["district_news"].title]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_public_page_type_announces_feeds_a_reader_can_read(client, tree, news, language):
    library = LibraryFactory(parent=tree["primary"], title="Бастауыш ұйым құжаттары")
    record = DocumentPageFactory(parent=library, title="Жиналыс хаттамасы")
    pages = [tree["home"], tree["region"], tree["district"], tree["primary"], library, record]
    pages += [news["index"], news["original"]]
    urls = [url_in(language, page) for page in pages]
    urls += [f"/{language}/search/?q=жиналыс", f"/{language}/accounts/login/"]
    urls += [f"/{language}/no-such-page/"]
    for url in urls:
        parser = AlternateLinks()
        parser.feed(client.get(url).content.decode())
        kinds = [kind for kind, _href in parser.feeds]
        assert FEED_TYPES["atom"] in kinds and FEED_TYPES["rss"] in kinds, url
        for kind, href in parser.feeds:
            assert href.startswith(f"/{language}/feeds/"), (url, href)
            read = atom if kind == FEED_TYPES["atom"] else rss
            assert read(client, href).feed.language == language


def url_in(language, page):
    with translation.override(language):
        return page.get_url()
