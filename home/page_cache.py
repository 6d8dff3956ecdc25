"""The anonymous page cache: public pages, feeds and the sitemap served from the
shared cache to visitors who are not signed in, and purged at once by any change.

What is cached: a 200 answer of one of ``CACHED_VIEWS`` (every Wagtail page, the
feeds, the sitemap, robots.txt) to a GET from a visitor with no session and no
messages cookie, when nothing in the answer is theirs: no cookie set (a CSRF
token or a session would set one), no ``Cache-Control: private``, no signed-in
user. The key is the scheme, host, language and full path with its query
string; a query string with a parameter no cached page reads (``QUERY_PARAMS``)
is never stored, so made-up addresses cannot flood the cache. Search results
are not cached: each query, filter and page is its own answer, so the key space
has no end and the hit rate would be low (search has its own speed work).

How it is purged: one *generation* token for the whole cache. Every entry
keeps the token that was current when its request began, and is served only
while that token is still current; ``purge`` replaces the token, so every
entry is stale at once. A page lists its children, the home page lists the
newest records of the whole party, feeds and the sitemap list everything, and
access changes reach whole subtrees: a per-page tag set would have to know all
of that and be wrong the day a template lists one thing more. Publishing is
rare next to reading, so starting the cache over on each change costs little.
The token is replaced at once and again when the transaction commits: a
request that read the database before the commit and stored its page under the
old token is not served afterwards. A missing token (evicted, or a fresh
cache) is replaced by a new random one, never by an old value.

Fragments that are the same for every visitor (the regions menu, the language
switcher, the newest public records) are cached under the same token
(``fragment``), so signed-in users and uncached pages get them cheaply too;
each process keeps its own copy of the fragments it used lately
(``NearFragments``), checked against the token the request read, so a page
asks the shared cache once for the token instead of once per fragment.

``connect_signals`` (from ``HomeConfig.ready``) purges on every save or delete
of a model that a public page may show (``purges_on``) and on Wagtail's
publish, unpublish and move signals; ``docs_library`` calls ``purge`` where it
changes records without a save (archiving, access tokens).

Where a caching proxy or CDN stands in front (``WAGTAILFRONTENDCACHE``, set
from ``FRONTEND_CACHE_URL``), Wagtail's frontend cache purges the changed
page, its ancestors (the pages that list it), the feeds and the sitemap there
too.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from contextlib import contextmanager

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import cc_delim_re

from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

GENERATION_KEY = "sandyq:pages:generation"
HEADER = "X-Sandyq-Cache"

# URL names (cms/urls.py, Wagtail's serve view) whose anonymous answers are cached.
FEED_NAMES = (
    "documents_feed",
    "library_feed",
    "organisation_documents_feed",
    "document_type_feed",
    "organisation_document_type_feed",
    "announcements_feed",
    "organisation_announcements_feed",
)
CACHED_VIEWS = frozenset(
    {"wagtail_serve", "sitemap", "sitemap_section", "robots_txt"}
    | set(FEED_NAMES)
    | {f"{name}_rss" for name in FEED_NAMES}
)
# Query parameters the cached pages read: a library's filters and pages, an
# organisation's pages of children, the sitemap's parts.
QUERY_PARAMS = frozenset({"page", "type", "year", "sort", "view", "p"})
# Never looked up: no cached view lives here.
SKIPPED_PREFIXES = ("/admin/", "/api/", "/documents/", "/static/", "/media/", "/i18n/")
MESSAGES_COOKIE = "messages"


def enabled() -> bool:
    return getattr(settings, "SANDYQ_PAGE_CACHE_SECONDS", 0) > 0


def _new_generation() -> str:
    return secrets.token_hex(8)


def current_generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _new_generation(), None)
        generation = cache.get(GENERATION_KEY)
    return generation


def generation_for(request) -> str:
    """The token read once per request, before the request reads the database."""
    generation = getattr(request, "_sandyq_generation", None)
    if generation is None:
        generation = current_generation()
        if request is not None:
            request._sandyq_generation = generation
    return generation


def _bump() -> None:
    cache.set(GENERATION_KEY, _new_generation(), None)


def _digest(*parts) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]


# Purging


def purge(*pages) -> None:
    """Every cached page and fragment is stale from now on (and again at commit).

    ``pages`` (optional) are purged from a frontend cache (proxy, CDN) too, with
    the pages that list them. Inside ``purge_once`` the purge waits for its end.
    """
    waiting = getattr(_once, "pages", None)
    if waiting is not None:
        _once.asked = True
        waiting.update({page.pk: page for page in pages})
        return
    _bump()
    connection = transaction.get_connection()
    if connection.in_atomic_block and not any(
        callback is _bump for _savepoints, callback, _robust in connection.run_on_commit
    ):
        transaction.on_commit(_bump)
    if pages and getattr(settings, "WAGTAILFRONTENDCACHE", None):
        transaction.on_commit(lambda: purge_frontend(pages))


_once = threading.local()


@contextmanager
def purge_once():
    """Purges asked for inside wait, and happen once when it ends (also on an error).

    For bulk work that changes thousands of rows (``import_archive``): the cache
    starts over once instead of once per row. What was committed meanwhile may
    be missing from cached pages until the end; nothing private is shown, since
    only purges wait, never the rows' own access tokens. Nested uses purge at the
    end of the outermost one.
    """
    if getattr(_once, "pages", None) is not None:
        yield
        return
    _once.pages, _once.asked = {}, False
    try:
        yield
    finally:
        pages, asked = _once.pages, _once.asked
        _once.pages = None
        if asked:
            purge(*pages.values())


def purge_frontend(pages) -> None:
    """The pages, their ancestors, the feeds and the sitemap, from the proxy's cache."""
    from django.urls import reverse

    from wagtail.contrib.frontend_cache.utils import PurgeBatch

    batch = PurgeBatch()
    for page in pages:
        for ancestor in page.get_ancestors(inclusive=True).filter(depth__gt=1):
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    batch.add_page(ancestor)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for name in ("documents_feed", "announcements_feed"):
                batch.add_url(settings.WAGTAILADMIN_BASE_URL + reverse(name))
                batch.add_url(settings.WAGTAILADMIN_BASE_URL + reverse(f"{name}_rss"))
    batch.add_url(settings.WAGTAILADMIN_BASE_URL + reverse("sitemap"))
    batch.purge()


# Models whose rows never show on a public page: saving them purges nothing.
QUIET_MODELS = frozenset(
    {
        "wagtailcore.revision",
        "wagtailcore.modellogentry",
        "wagtailcore.pagelogentry",
        "wagtailcore.workflowstate",
        "wagtailcore.taskstate",
        "wagtailcore.pagesubscription",
        "wagtailcore.referenceindex",
        "wagtailcore.comment",
        "wagtailcore.commentreply",
        "wagtailcore.uploadedfile",
        "wagtailimages.rendition",
        "docs_library.registrationsequence",
        "docs_library.documentaccess",  # written in bulk; access.refresh_tokens purges
        "docs_library.distribution",
        "docs_library.acknowledgement",
        "docs_library.mailpreference",
        "docs_library.assignment",
        "docs_library.execution",
    }
)
# Apps whose other models a public page may show, or that decide who sees it
# (local roles are guardian's object permissions; view restrictions are Wagtail's).
PURGING_APPS = frozenset(
    {
        "home",
        "docs_library",
        "wagtailcore",
        "wagtaildocs",
        "wagtailimages",
        "wagtailredirects",
        "guardian",
        "taggit",
    }
)


def purges_on(model) -> bool:
    meta = model._meta
    return meta.app_label in PURGING_APPS and meta.label_lower not in QUIET_MODELS


def _row_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    purge(*([instance] if isinstance(instance, Page) else []))


def _page_changed(sender, instance, **kwargs):
    purge(instance)


def _migrated(sender, **kwargs):
    """A deployment migrates: pages cached by the old templates and code go."""
    _bump()


def connect_signals() -> None:
    post_migrate.connect(_migrated, dispatch_uid="sandyq_page_cache_migrated")
    # Model by model: a receiver for every sender would cost each model its fast
    # (signal-free) bulk delete.
    for model in apps.get_models():
        if purges_on(model):
            label = model._meta.label_lower
            post_save.connect(_row_changed, sender=model, dispatch_uid=f"sandyq_cache_{label}")
            post_delete.connect(_row_changed, sender=model, dispatch_uid=f"sandyq_cache_{label}")
    # Wagtail unpublishes a page's descendants and moves subtrees with queryset
    # updates, and says so with these signals.
    page_published.connect(_page_changed, dispatch_uid="sandyq_page_cache_published")
    page_unpublished.connect(_page_changed, dispatch_uid="sandyq_page_cache_unpublished")
    post_page_move.connect(_page_changed, dispatch_uid="sandyq_page_cache_moved")


# Fragments


class NearFragments:
    """The fragments this process has read or made lately, by key and token.

    What the shared cache holds under a key and a token never changes while the
    token is current (a change replaces the token), so a process may keep its own
    copy and spare the shared cache a round trip per fragment: a record's page
    reads a dozen. Only text is kept here (fragments are HTML): an object would be
    shared by the requests of the process. At most ``SIZE`` entries, the least
    recently used dropped first; an entry of an old token is never served and is
    dropped in turn.
    """

    SIZE = 512

    def __init__(self):
        self._entries: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, generation: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != generation:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, generation: str, value) -> None:
        if not isinstance(value, str):
            return
        with self._lock:
            self._entries[key] = (generation, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)


_near = NearFragments()


def shared_value(request, name: str, parts, compute):
    """``compute()``, cached under ``name`` and ``parts`` with the current token.
    Only for what is the same for everyone who gets these ``parts``."""
    if not enabled():
        return compute()
    generation = generation_for(request)
    key = f"sandyq:fragment:{name}:{_digest(*parts)}"
    value = _near.get(key, generation)
    if value is not None:
        return value
    stored = cache.get(key)
    if stored is not None and stored[0] == generation:
        _near.put(key, generation, stored[1])
        return stored[1]
    value = compute()
    cache.set(key, (generation, value), settings.SANDYQ_PAGE_CACHE_SECONDS)
    _near.put(key, generation, value)
    return value


def fragment(request, name: str, parts, render) -> str:
    """HTML that is the same for everyone who gets these ``parts`` (a menu)."""
    return shared_value(request, name, parts, lambda: str(render()))


def _find_site(request):
    """Wagtail's site for this request, its root page loaded as its own type: what
    routing and the menus ask first, read from the cache instead of the database."""
    site = Site.find_for_request(request)
    if site is not None:
        site.root_page = site.root_page.specific
    return site


def remember_site(request, host: str) -> None:
    """Put the site on the request where Wagtail keeps it (``_wagtail_site``), so
    that ``Site.find_for_request`` answers every later call from memory."""
    if not hasattr(request, "_wagtail_site"):
        request._wagtail_site = shared_value(request, "site", (host,), lambda: _find_site(request))


# The middleware


def shareable_query(request) -> bool:
    """Does the query string hold only parameters the cached pages read?"""
    return set(request.GET).issubset(QUERY_PARAMS)


def _page_key(request, host: str) -> str | None:
    """The cache key of this request, or None when it must not come from the cache."""
    if request.method != "GET":
        return None
    cookies = request.COOKIES
    if cookies.get(settings.SESSION_COOKIE_NAME) or cookies.get(MESSAGES_COOKIE):
        return None
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    if not shareable_query(request):
        return None
    language = translation.get_language_from_request(request, check_path=True)
    return "sandyq:page:" + _digest(request.scheme, host, language, request.get_full_path())


def _storable(request, response) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name not in CACHED_VIEWS:
        return False
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = {
        value.split("=", 1)[0].strip().lower()
        for value in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    if cache_control & {"private", "no-store", "no-cache"}:
        return False
    if getattr(request, "_csp_nonce", None):
        # A nonce is for one answer only. django-csp (outside this middleware)
        # writes the header later, so ask whether the page used one.
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


class AnonymousPageCacheMiddleware:
    """Serves and stores anonymous public pages; placed right after whitenoise, so
    that a hit touches neither the session nor the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enabled() or request.path_info.startswith(SKIPPED_PREFIXES):
            return self.get_response(request)
        try:
            host = request.get_host()
        except Exception:  # noqa: BLE001 - a bad Host is answered (400) further in
            return self.get_response(request)
        key = _page_key(request, host)
        if key is not None:
            stored = cache.get_many([GENERATION_KEY, key])
            request._sandyq_generation = stored.get(GENERATION_KEY) or current_generation()
            entry = stored.get(key)
            if entry is not None and entry[0] == request._sandyq_generation:
                return self._replay(entry)
        remember_site(request, host)
        response = self.get_response(request)
        if key is None:
            return response
        if _storable(request, response):
            headers = [(name, value) for name, value in response.items()]
            entry = (request._sandyq_generation, response.status_code, headers, response.content)
            cache.set(key, entry, settings.SANDYQ_PAGE_CACHE_SECONDS)
            response[HEADER] = "miss"
        return response

    @staticmethod
    def _replay(entry) -> HttpResponse:
        _generation, status, headers, content = entry
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response[HEADER] = "hit"
        return response
