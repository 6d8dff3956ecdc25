"""The anonymous page cache: served from the cache without the database, and never
stale or private (home/page_cache.py)."""

from urllib.parse import quote

import pytest

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from wagtail.models import PageViewRestriction, Site

from docs_library.lifecycle import archive
from home import page_cache, roles
from tests.docs_library.lifecycle import draft, person, publish
from tests.factories import DocumentPageFactory, LibraryFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.SANDYQ_PAGE_CACHE_SECONDS = 600
    cache.clear()  # the tests' memory cache


@pytest.fixture
def library(tree):
    return LibraryFactory(parent=tree["district"], title="Аудан құжаттары")


@pytest.fixture
def record(library):
    return DocumentPageFactory(parent=library, title="Жария шешім")


def url_of(page, language="kk"):
    with translation.override(language):
        return page.get_url()


def feed(name, *args, language="kk"):
    with translation.override(language):
        return reverse(name, args=args)


def get(client, url, **query):
    """The answer and where it came from ("hit", "miss" or None: not cacheable)."""
    response = client.get(url, query)
    return response, response.get(page_cache.HEADER)


def text(response):
    return response.content.decode()


def test_a_second_anonymous_request_is_served_from_the_cache_without_the_database(
    client, tree, library, record
):
    urls = [
        url_of(tree["home"]),
        url_of(tree["region"]),
        url_of(tree["district"]),
        url_of(library),
        url_of(record),
        url_of(record, "ru"),
        feed("documents_feed"),
        feed("library_feed_rss", library.pk),
        feed("organisation_announcements_feed", tree["region"].pk),
        "/sitemap.xml",
        "/robots.txt",
    ]
    for url in urls:
        first, source = get(client, url)
        assert first.status_code == 200, url
        assert source == "miss", url
        with CaptureQueriesContext(connection) as queries:
            second, source = get(client, url)
        assert source == "hit", url
        assert len(queries) == 0, url
        assert second.content == first.content, url
        assert second["Content-Type"] == first["Content-Type"], url


def test_keys_tell_languages_and_query_strings_apart(client, library):
    DocumentPageFactory(parent=library, title="Сайлау туралы", document_type="decision")
    DocumentPageFactory(parent=library, title="Көктемгі жиын", document_type="minutes")
    assert get(client, url_of(library))[1] == "miss"
    assert get(client, url_of(library, "ru"))[1] == "miss"
    minutes, source = get(client, url_of(library), type="minutes")
    assert source == "miss"
    assert "Көктемгі жиын" in text(minutes) and "Сайлау туралы" not in text(minutes)
    assert "Сайлау туралы" in text(get(client, url_of(library), type="decision")[0])
    assert get(client, url_of(library, "ru"))[1] == "hit"
    assert 'lang="ru"' in text(get(client, url_of(library, "ru"))[0])


def test_made_up_query_parameters_are_answered_but_never_stored(client, library):
    for _attempt in range(2):
        response, source = get(client, url_of(library), utm_source="x")
        assert response.status_code == 200
        assert source is None


def test_a_published_record_shows_at_once_wherever_it_is_listed(client, tree, library, record):
    listings = [
        url_of(library),
        url_of(tree["district"]),  # its newest records
        url_of(tree["region"]),
        url_of(tree["home"]),  # the party's newest records
        feed("documents_feed"),
        feed("documents_feed_rss"),
        feed("library_feed", library.pk),
        feed("organisation_documents_feed", tree["district"].pk),
        feed("document_type_feed", "decision"),
        "/sitemap.xml",
    ]
    for url in listings:
        get(client, url)
        assert get(client, url)[1] == "hit", url
    new = publish(draft(library, title="Жаңа жария шешім", access_level="public"))
    for url in listings:
        response, source = get(client, url)
        assert source == "miss", url
        assert new.title in text(response) or quote(new.slug) in text(response), url
    assert get(client, url_of(new))[0].status_code == 200


def test_an_archived_record_leaves_the_current_listing_at_once(client, library, record):
    editor = person(roles.EDITOR, library.get_parent())
    assert record.title in text(get(client, url_of(library))[0])
    assert get(client, url_of(library))[1] == "hit"
    archive.archive(record, editor)
    response, source = get(client, url_of(library))
    assert source == "miss"
    assert record.title not in text(response)
    archive.restore(record, editor)
    assert record.title in text(get(client, url_of(library))[0])


@pytest.mark.parametrize("how", ["unpublish", "withdraw", "delete"])
def test_an_unpublished_withdrawn_or_deleted_record_is_gone_at_once(
    client, tree, library, record, how
):
    for url in (url_of(record), url_of(library), feed("documents_feed")):
        get(client, url)
        assert get(client, url)[1] == "hit"
    record_url = url_of(record)
    if how == "unpublish":
        record.unpublish()
    elif how == "withdraw":
        archive.withdraw(record, person(roles.REVIEWER, tree["district"]), "Қате жарияланды")
    else:
        record.delete()
    response, source = get(client, record_url)
    assert source != "hit"
    if how == "withdraw":  # a notice stands at its address, not the record
        assert "Бастауыш партия ұйымдарына арналған шешім" not in text(response)
    else:
        assert response.status_code == 404
    for url in (url_of(library), feed("documents_feed")):
        assert record.title not in text(get(client, url)[0]), url


def test_a_record_no_longer_public_is_no_longer_served_to_the_public(client, library, record):
    get(client, url_of(record))
    assert get(client, url_of(record))[1] == "hit"
    record.access_level = "members"
    publish(record)
    response, source = get(client, url_of(record))
    assert source is None
    assert response.status_code == 302  # to the sign-in page
    assert record.title not in text(get(client, url_of(library))[0])


def test_a_view_restriction_on_a_library_applies_at_once(client, library, record):
    for url in (url_of(library), url_of(record)):
        get(client, url)
        assert get(client, url)[1] == "hit"
    PageViewRestriction.objects.create(page=library, restriction_type=PageViewRestriction.LOGIN)
    for url in (url_of(library), url_of(record)):
        response, source = get(client, url)
        assert response.status_code == 302, url
        assert source is None, url


def test_granting_or_revoking_a_local_role_or_blocking_inheritance_purges(client, tree, library):
    get(client, url_of(library))
    member = UserFactory()
    for change in (
        lambda: roles.grant(roles.READER, member, tree["district"]),
        lambda: roles.revoke(roles.READER, member, tree["district"]),
        lambda: roles.set_inheritance_blocked(tree["district"], True),
    ):
        assert get(client, url_of(library))[1] == "hit"
        change()
        assert get(client, url_of(library))[1] == "miss"


def test_signed_in_readers_never_get_the_anonymous_page_and_leave_nothing_behind(
    client, tree, library, record
):
    DocumentPageFactory(parent=library, title="Мүшелерге арналған хат", access_level="members")
    member = UserFactory(username="member", first_name="Айгүл", last_name="Серікова")
    anonymous = text(get(client, url_of(library))[0])
    assert get(client, url_of(library))[1] == "hit"
    assert "Мүшелерге арналған хат" not in anonymous

    client.force_login(member)
    for _attempt in range(2):
        response, source = get(client, url_of(library))
        assert source is None
        assert "Айгүл Серікова" in text(response)  # their own menu
        assert "Мүшелерге арналған хат" in text(response)

    client.post(reverse("logout"))
    assert settings_cookie_gone(client)
    response, source = get(client, url_of(library))
    assert source == "hit"
    assert "Айгүл" not in text(response)
    assert "Мүшелерге арналған хат" not in text(response)


def settings_cookie_gone(client) -> bool:
    from django.conf import settings

    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie is None or not cookie.value


def test_a_page_with_a_form_gives_each_visitor_their_own_csrf_token(client, library, record):
    from django.test import Client

    PageViewRestriction.objects.create(
        page=library, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    tokens = set()
    for visitor in (client, client, Client()):
        response, source = get(visitor, url_of(record))
        assert response.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in text(response)
        assert source is None
        tokens.add(response.cookies["csrftoken"].value)
    assert len(tokens) == 2  # the same visitor keeps theirs, another gets another


def test_a_hidden_record_answers_404_every_time_and_opens_once_published(client, library):
    hidden = draft(library, title="Әлі жарияланбаған шешім", access_level="public")
    hidden_url = url_of(hidden)
    for _attempt in range(2):
        response, source = get(client, hidden_url)
        assert response.status_code == 404
        assert source is None
    publish(hidden)
    response, source = get(client, hidden_url)
    assert response.status_code == 200
    assert source == "miss"


def test_shared_fragments_follow_the_same_purge(client, tree):
    get(client, url_of(tree["home"]))
    new_region = RegionFactory(parent=tree["home"], title="Жаңа облыс")
    # a signed-in reader gets the fragment (not the page) from the cache: it changed too
    client.force_login(UserFactory())
    assert "Жаңа облыс" in text(get(client, url_of(tree["district"]))[0])
    new_region.title = "Атауы өзгерген облыс"
    new_region.save_revision().publish()
    assert "Атауы өзгерген облыс" in text(get(client, url_of(tree["district"]))[0])


def test_a_process_keeps_its_fragments_until_any_process_purges(client, tree, monkeypatch):
    """Fragments come from the process's own copy, without a round trip each, and
    a purge made elsewhere (another worker: only the shared token moves) is seen
    at the next request."""
    from home.models import RegionalBranchPage

    client.force_login(UserFactory())  # the page is not cached whole: its fragments are read
    assert "Қарағанды облысы" in text(client.get(url_of(tree["district"])))
    reads = []
    shared_get = cache.get

    def counting_get(key, *args, **kwargs):
        reads.append(key)
        return shared_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", counting_get)
    assert "Қарағанды облысы" in text(client.get(url_of(tree["district"])))
    html_reads = [key for key in reads if key.startswith("sandyq:fragment:")]
    assert reads and [key.split(":")[2] for key in html_reads] == ["site"]  # an object: shared

    RegionalBranchPage.objects.filter(pk=tree["region"].pk).update(title="Басқа жұмысшы өзгертті")
    cache.set(page_cache.GENERATION_KEY, "another-workers-token", None)  # its purge
    html = text(client.get(url_of(tree["district"])))
    assert "Басқа жұмысшы өзгертті" in html and "Қарағанды облысы" not in html


def test_a_process_keeps_only_text_and_only_so_many_fragments():
    near = page_cache.NearFragments()
    near.put("site", "token", object())
    assert near.get("site", "token") is None
    for number in range(near.SIZE + 1):
        near.put(f"key {number}", "token", f"<p>{number}</p>")
    assert near.get("key 0", "token") is None  # the least recently used went first
    assert near.get(f"key {near.SIZE}", "token") == f"<p>{near.SIZE}</p>"
    assert near.get(f"key {near.SIZE}", "a newer token") is None


def test_a_purge_during_a_request_leaves_no_stale_entry(client, library, monkeypatch):
    """A page rendered from what the database held before a change is never served
    after it: the entry keeps the token its request began with."""
    real_render = page_cache.AnonymousPageCacheMiddleware.__call__

    def render_then_purge(self, request):
        response = real_render(self, request)
        page_cache.purge()  # a publish committed while this request was rendering
        return response

    monkeypatch.setattr(page_cache.AnonymousPageCacheMiddleware, "__call__", render_then_purge)
    assert get(client, url_of(library))[1] == "miss"
    monkeypatch.setattr(page_cache.AnonymousPageCacheMiddleware, "__call__", real_render)
    assert get(client, url_of(library))[1] == "miss"
    assert get(client, url_of(library))[1] == "hit"


def test_a_lost_generation_token_never_revives_old_entries(client, library):
    get(client, url_of(library))
    assert get(client, url_of(library))[1] == "hit"
    cache.delete(page_cache.GENERATION_KEY)  # evicted
    assert get(client, url_of(library))[1] == "miss"


def redis_url() -> str:
    """Redis for the production cache: REDIS_URL, or the one on this machine (db 14,
    keys under a prefix of this run, so nothing else's keys are touched)."""
    import os

    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        message = f"no Redis answers at {url} (.ci/run starts one)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.mark.parametrize("backend", ["redis", "files"])
def test_the_cache_works_the_same_on_redis_and_on_files(
    client, settings, tmp_path, library, record, backend
):
    """Production's two shared caches: Redis (REDIS_URL) and files (the default,
    shared by every worker on the machine)."""
    import uuid

    if backend == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url(),
                "KEY_PREFIX": f"sandyq-test-{uuid.uuid4().hex}",
                "TIMEOUT": 60,
            }
        }
    else:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
    try:
        assert get(client, url_of(library))[1] == "miss"
        with CaptureQueriesContext(connection) as queries:
            assert get(client, url_of(library))[1] == "hit"
        assert len(queries) == 0
        new = publish(draft(library, title="Redis арқылы жарияланған", access_level="public"))
        response, source = get(client, url_of(library))
        assert source == "miss"
        assert new.title in text(response)
    finally:
        cache.delete(page_cache.GENERATION_KEY)  # the rest expire within the minute


PURGED = []


class RecordingBackend:
    """A frontend cache (proxy) that notes what it is told to purge."""

    def __init__(self, params):
        pass

    def invalidates_hostname(self, hostname):
        return True

    def purge(self, url):
        PURGED.append(url)

    def purge_batch(self, urls):
        PURGED.extend(urls)


def test_a_proxy_in_front_is_told_to_purge_the_page_and_what_lists_it(
    settings, tree, library, django_capture_on_commit_callbacks
):
    settings.WAGTAILFRONTENDCACHE = {
        "proxy": {"BACKEND": "tests.home.test_page_cache.RecordingBackend"}
    }
    PURGED.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = publish(draft(library, title="Проксиден өтетін шешім", access_level="public"))
    purged = {url.removeprefix("http://localhost") for url in PURGED}
    for page in (new, library, tree["district"], tree["region"], tree["home"]):
        for language in ("kk", "ru", "en"):
            assert url_of(page, language) in purged, (page, language)
    for language in ("kk", "ru", "en"):
        for name in ("documents_feed", "documents_feed_rss", "announcements_feed"):
            assert any(url.endswith(feed(name, language=language)) for url in PURGED), name
    assert any(url.endswith("/sitemap.xml") for url in PURGED)


def test_a_deep_address_is_routed_in_two_queries_and_a_wrong_way_there_is_404(
    rf, tree, library, record, django_assert_num_queries
):
    from django.http import Http404

    components = record.url_path.removeprefix(tree["home"].url_path).strip("/").split("/")
    assert len(components) == 4  # region, district, library, record
    home = tree["home"].specific
    with django_assert_num_queries(2):
        found = home.route(rf.get("/"), components)
    assert found.page == record
    assert type(found.page) is type(record)
    wrong_way = [components[0], "басқа-аудан", *components[2:]]
    with pytest.raises(Http404):
        home.route(rf.get("/"), wrong_way)


def test_a_moved_record_leaves_its_old_library_and_joins_the_new_one_at_once(
    client, tree, library, record
):
    other = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    for page in (library, other):
        get(client, url_of(page))
        assert get(client, url_of(page))[1] == "hit"
    record.move(other, pos="last-child")
    assert record.title not in text(get(client, url_of(library))[0])
    assert record.title in text(get(client, url_of(other))[0])


def test_a_hit_carries_the_content_security_policy(client, record):
    url = url_of(record)
    get(client, url)
    hit, source = get(client, url)
    assert source == "hit"
    policy = hit["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'nonce-" not in policy


def test_a_page_that_used_a_nonce_is_never_served_from_the_cache(client, record, monkeypatch):
    """A nonce is for one answer: a cached copy would carry one the header no longer names."""
    from docs_library.models import DocumentPage

    serve = DocumentPage.serve

    def serve_with_a_nonce(self, request, *args, **kwargs):
        str(request.csp_nonce)
        return serve(self, request, *args, **kwargs)

    monkeypatch.setattr(DocumentPage, "serve", serve_with_a_nonce)
    url = url_of(record)
    for _ in range(2):
        response, source = get(client, url)
        assert response.status_code == 200
        assert source != "hit"
        assert "'nonce-" in response["Content-Security-Policy"]


def test_a_file_read_in_the_background_shows_on_its_record_page_at_once(client, library):
    """The worker stores a file's page count and preview by a queryset update,
    which no signal reports: the record pages showing the file are purged all the same."""
    from docs_library.files.tasks import extract_document
    from docs_library.models import ExtractionStatus, LibraryDocument
    from tests.docs_library import samples
    from tests.factories import upload

    document = LibraryDocument.from_upload(upload(samples.kazakh_pdf(), "Шешім.pdf"))
    record = DocumentPageFactory(parent=library, title="Файлы бар шешім", main_file=document)
    # As it stands while the worker has not reached it yet.
    LibraryDocument.objects.filter(pk=document.pk).update(
        extraction_status=ExtractionStatus.PENDING, page_count=None, preview=""
    )
    before, source = get(client, url_of(record))
    assert source == "miss"
    assert "бет)" not in text(before) and 'class="preview"' not in text(before)
    assert get(client, url_of(record))[1] == "hit"

    extract_document(LibraryDocument.objects.get(pk=document.pk))
    after, source = get(client, url_of(record))
    assert source == "miss"
    assert "1 бет)" in text(after) and 'class="preview"' in text(after)


def test_an_organisations_listing_is_shared_and_follows_the_purge(client, settings, tree):
    """The sections, organisations and announcements of an organisation page are the
    same for everyone: a signed-in reader gets them from the shared fragments, and a
    new organisation or a new or withdrawn announcement shows at once."""
    from home.models import AnnouncementPage
    from tests.factories import AnnouncementFactory, AnnouncementIndexFactory, DistrictFactory

    region = tree["region"]
    client.force_login(UserFactory())
    assert "Әуезов ауданы" in text(get(client, url_of(region))[0])
    with CaptureQueriesContext(connection) as shared:
        get(client, url_of(region))
    settings.SANDYQ_PAGE_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as unshared:
        get(client, url_of(region))
    # The organisations' counts and the announcements: no query once shared.
    announcements = AnnouncementPage._meta.db_table

    def listing_queries(captured):
        return [q["sql"] for q in captured if "GROUP BY" in q["sql"] or announcements in q["sql"]]

    assert listing_queries(unshared.captured_queries)
    assert not listing_queries(shared.captured_queries)
    settings.SANDYQ_PAGE_CACHE_SECONDS = 600

    DistrictFactory(parent=region, title="Жаңа аудан")
    assert "Жаңа аудан" in text(get(client, url_of(region))[0])
    index = AnnouncementIndexFactory(parent=region, title="Облыс жаңалықтары")
    AnnouncementFactory(parent=index, title="Сайлауалды жиналыс", language="kk")
    html = text(get(client, url_of(region))[0])
    assert "Сайлауалды жиналыс" in html and "Облыс жаңалықтары" in html
    AnnouncementPage.objects.get(title="Сайлауалды жиналыс").unpublish()
    assert "Сайлауалды жиналыс" not in text(get(client, url_of(region))[0])
    client.logout()
    assert "Сайлауалды жиналыс" not in text(get(client, url_of(region))[0])


def test_a_librarys_trail_is_shared_and_follows_a_rename_above_it(client, settings, tree, library):
    """The links above a library are the same for everyone: a signed-in reader gets them
    without reading the ancestors, and a renamed district shows at once, in each language."""
    from home.models import DistrictBranchPage

    def trail(response):
        return text(response).split('class="breadcrumb')[1].split("</nav>")[0]

    def ancestor_queries(captured):
        table = DistrictBranchPage._meta.db_table
        return [q["sql"] for q in captured if f'FROM "{table}"' in q["sql"]]

    client.force_login(UserFactory())
    first = trail(get(client, url_of(library))[0])
    assert tree["district"].title in first and "Аудан құжаттары" in first
    with CaptureQueriesContext(connection) as shared:
        assert trail(get(client, url_of(library))[0]) == first
    settings.SANDYQ_PAGE_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as unshared:
        assert trail(get(client, url_of(library))[0]) == first
    assert ancestor_queries(unshared.captured_queries)
    assert not ancestor_queries(shared.captured_queries)
    settings.SANDYQ_PAGE_CACHE_SECONDS = 600

    district = DistrictBranchPage.objects.get(pk=tree["district"].pk)
    district.title, district.name_ru = "Жаңа атаулы аудан", "Новый район"
    district.save_revision().publish()
    assert "Жаңа атаулы аудан" in trail(get(client, url_of(library))[0])
    client.logout()
    for language, name in (("kk", "Жаңа атаулы аудан"), ("ru", "Новый район")):
        assert name in trail(get(client, url_of(library, language))[0])


def test_a_records_trail_organisation_and_feeds_are_shared_and_follow_a_rename(
    client, settings, tree, library, record
):
    """What a record's page shows of the pages above it (the trail, its organisation's
    link, the library's and the type's feeds) is the same for every reader: a
    signed-in reader gets it without reading the ancestors, and a renamed district
    shows everywhere on the record's page at once, in each language."""
    from home.models import DistrictBranchPage

    def parts(response):
        html = text(response)
        head = html.split("</head>")[0]
        feeds = [line for line in head.splitlines() if 'rel="alternate"' in line]
        row = html.split('class="meta-table"')[1].split("</table>")[0]
        return html.split('class="breadcrumb')[1].split("</nav>")[0], row, "\n".join(feeds)

    def ancestor_queries(captured):
        table = DistrictBranchPage._meta.db_table
        return [q["sql"] for q in captured if f'"{table}"' in q["sql"]]

    client.force_login(UserFactory())
    trail, row, feeds = parts(get(client, url_of(record))[0])
    assert tree["district"].title in trail and "Аудан құжаттары" in trail
    assert "Жария шешім" in trail  # the record's own title ends the trail, outside the fragment
    assert f'href="{url_of(tree["district"])}">{tree["district"].title}</a>' in row
    assert "Аудан құжаттары" in feeds and tree["district"].title in feeds
    with CaptureQueriesContext(connection) as shared:
        assert parts(get(client, url_of(record))[0]) == (trail, row, feeds)
    settings.SANDYQ_PAGE_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as unshared:
        assert parts(get(client, url_of(record))[0]) == (trail, row, feeds)
    assert ancestor_queries(unshared.captured_queries)
    assert not ancestor_queries(shared.captured_queries)
    assert len(shared.captured_queries) < len(unshared.captured_queries)
    settings.SANDYQ_PAGE_CACHE_SECONDS = 600

    district = DistrictBranchPage.objects.get(pk=tree["district"].pk)
    district.title, district.name_ru = "Жаңа атаулы аудан", "Новый район"
    district.save_revision().publish()
    for shown in parts(get(client, url_of(record))[0]):
        assert "Жаңа атаулы аудан" in shown and "Әуезов" not in shown
    client.logout()
    for language, name in (("kk", "Жаңа атаулы аудан"), ("ru", "Новый район")):
        for shown in parts(get(client, url_of(record, language))[0]):
            assert name in shown


def test_records_of_one_library_share_its_trail_but_not_their_titles(client, library, record):
    other = DocumentPageFactory(parent=library, title="Екінші шешім")
    first = text(client.get(url_of(record)))
    second = text(client.get(url_of(other)))
    assert "Жария шешім" in first and "Жария шешім" not in second
    assert "Екінші шешім" in second and "Екінші шешім" not in first
    trails = {key for key in cache._cache if "breadcrumb" in key}
    assert len(trails) == 1


def test_a_previewed_draft_title_never_reaches_another_reader(client, library):
    """A preview renders the library's trail with its draft's title; the shared links
    above it are kept, the title is not: readers still see the published one."""
    library.title = "Жарияланбаған жоба атауы"
    library.save_revision()
    preview = library.get_latest_revision_as_object().make_preview_request()
    assert "Жарияланбаған жоба атауы" in preview.rendered_content
    host = Site.objects.get(is_default_site=True).hostname  # what a preview is served as
    for user in (None, UserFactory()):
        if user:
            client.force_login(user)
        html = text(client.get(url_of(library), HTTP_HOST=host))
        assert "Аудан құжаттары" in html
        assert "Жарияланбаған" not in html


def test_each_page_of_organisations_is_its_own_and_a_made_up_one_is_not_kept(client, tree):
    from home import models
    from tests.factories import DistrictFactory

    region = tree["region"]
    for number in range(models.CHILD_ORGANISATIONS_PER_PAGE):
        DistrictFactory(parent=region, title=f"Аудан {number:03d}")
    client.force_login(UserFactory())
    first = text(client.get(url_of(region)))
    second = text(client.get(url_of(region), {"page": "2"}))
    # In Kazakh order А comes before Ә: the district of the tree is alone on page 2.
    assert "Аудан 000" in first and "Әуезов ауданы" not in first
    assert "Әуезов ауданы" in second and "Аудан 000" not in second
    again = text(client.get(url_of(region)))
    assert again.split('class="org-list"')[1] == first.split('class="org-list"')[1]

    def listings():
        return {key for key in cache._cache if "organisation_listing" in key}

    kept = listings()
    for made_up in ("99999", "abc", "-1", "0", "²", "١", "9" * 5000):
        response = client.get(url_of(region), {"page": made_up})
        assert response.status_code == 200
    assert listings() == kept
