from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.encoding import uri_to_iri
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wagtail.models import Page, Site

from home import page_cache
from home.models import (
    AnnouncementIndexPage,
    AnnouncementPage,
    OrganisationPage,
    RegionalBranchPage,
    breadcrumb,
)

register = template.Library()


def _shared_value(context, name, parts, compute):
    """A value that is the same for everyone on this host in this language (and
    these ``parts``), from the page cache's fragments (``home.page_cache``)."""
    request = context.get("request")
    if request is None:
        return compute()
    key = (request.get_host(), translation.get_language(), *parts)
    return page_cache.shared_value(request, name, key, compute)


def _shared(context, name, parts, render):
    """HTML that is the same for everyone on this host in this language (and these
    ``parts``), as ``_shared_value``."""
    return mark_safe(_shared_value(context, name, parts, lambda: str(render())))  # noqa: S308


@register.simple_tag(takes_context=True)
def language_switcher(context):
    """Links to the same page in every interface language."""
    request = context.get("request")
    path = request.get_full_path() if request else "/"

    def render():
        current = translation.get_language()
        languages = []
        for code, _name in settings.LANGUAGES:
            info = translation.get_language_info(code)
            languages.append(
                {
                    "code": code,
                    "name_local": info["name_local"],
                    "url": translate_url(path, code),
                    "current": code == current,
                }
            )
        return render_to_string("includes/language_switcher.html", {"languages": languages})

    if request is None or not page_cache.shareable_query(request):
        return mark_safe(render())  # noqa: S308 - our template's HTML
    return _shared(context, "language_switcher", (path,), render)


@register.simple_tag(takes_context=True)
def regions_menu(context):
    request = context.get("request")

    def render():
        regions = RegionalBranchPage.objects.live().order_by("sort_key")
        return render_to_string(
            "includes/regions_menu.html", {"regions": regions, "request": request}
        )

    return _shared(context, "regions_menu", (), render)


def _site_root(request):
    site = Site.find_for_request(request) if request else None
    return site.root_page if site else None


@register.simple_tag(takes_context=True)
def home_url(context):
    request = context.get("request")

    def render():
        root = _site_root(request)
        return root.get_url(request) if root else "/"

    return _shared(context, "home_url", (), render)


@register.simple_tag(takes_context=True)
def central_menu(context):
    """The central office's first document library and announcement list, as items
    of the main menu."""
    request = context.get("request")

    def render():
        root = _site_root(request)
        root = root.specific_deferred if root else None
        sections = root.sections() if isinstance(root, OrganisationPage) else {}
        return render_to_string(
            "includes/central_menu.html", {"central": sections, "request": request}
        )

    return _shared(context, "central_menu", (), render)


#: Pages of an organisation's organisations whose HTML is shared; past it, rendered each time
#: (a made-up ``?page=`` must not fill the cache).
SHARED_LISTING_PAGES = 50


@register.simple_tag(takes_context=True)
def organisation_listing(context, page):
    """An organisation's sections and a page of its organisations, with their counts.

    Every reader gets the same (live pages, the sections open to the public), so
    the HTML is a shared fragment (``home.page_cache``), purged with the pages:
    a signed-in reader, whose page is never cached whole, no longer pays for the
    tree queries either.
    """
    request = context.get("request")
    number = request.GET.get("page", "1") if request else "1"

    def render():
        return render_to_string(
            "includes/organisation_listing.html", page.listing(number), request=request
        )

    shared = number.isascii() and number.isdigit() and len(number) <= 3  # "²", 5,000 digits
    if request is None or not (shared and 0 < int(number) <= SHARED_LISTING_PAGES):
        return mark_safe(render())  # noqa: S308 - our template's HTML
    return _shared(context, "organisation_listing", (page.pk, int(number)), render)


@register.simple_tag(takes_context=True)
def organisation_announcements(context, page):
    """An organisation's latest announcements and the link to all of them: the same
    for every reader, a shared fragment as above."""

    def render():
        return render_to_string(
            "includes/organisation_announcements.html",
            {
                "latest_announcements": page.latest_announcements(),
                "announcement_lists": page.sections()["announcement_lists"],
            },
            request=context.get("request"),
        )

    return _shared(context, "organisation_announcements", (page.pk,), render)


@register.simple_tag(takes_context=True)
def shared_breadcrumb(context, page):
    """The trail of links above ``page``, then its title.

    The links are the same for every reader (every ancestor is named, as its
    own type: a query per page type), so they are a shared fragment as above,
    one for all the children of a page: the records of a library share their
    library's. The title is not in it: a preview shows a draft's title, which
    must not be kept for anyone else."""
    request = context.get("request")

    def render():
        return render_to_string(
            "includes/breadcrumb_trail.html", {"breadcrumb": breadcrumb(page)}, request=request
        )

    return render_to_string(
        "includes/breadcrumb.html",
        {
            "trail_html": _shared(context, "breadcrumb", (_parent_path(page),), render),
            "current_title": page.title,
        },
        request=request,
    )


def _parent_path(page) -> str:
    """The tree path of the page's parent, read off its own (no query)."""
    return page.path[: -page.steplen]


@register.simple_tag(takes_context=True)
def organisation_link(context, organisation_id):
    """A link to an organisation under its name in the reader's language, shared
    like the trail (a record names the organisation that issued it)."""

    def render():
        organisation = Page.objects.get(pk=organisation_id).specific
        return render_to_string(
            "includes/organisation_link.html",
            {"organisation": organisation},
            request=context.get("request"),
        )

    return _shared(context, "organisation_link", (organisation_id,), render)


FEED_TYPES = (("", "application/atom+xml"), ("_rss", "application/rss+xml"))


def _feed(title, name, *args):
    """A feed in both its formats: Atom at ``name``, RSS 2.0 at ``name``_rss."""
    return [
        {"title": title, "url": reverse(name + suffix, args=args), "type": content_type}
        for suffix, content_type in FEED_TYPES
    ]


def _announcements_feed(organisation):
    if organisation.depth <= 2:  # the central office: the whole party
        return _feed(_("Sandyq: latest announcements"), "announcements_feed")
    return _feed(
        _("%(organisation)s: announcements") % {"organisation": organisation.display_name},
        "organisation_announcements_feed",
        organisation.pk,
    )


def _documents_feed(organisation):
    if organisation.depth <= 2:
        return _feed(_("Sandyq: latest documents"), "documents_feed")
    return _feed(
        _("%(organisation)s: documents") % {"organisation": organisation.display_name},
        "organisation_documents_feed",
        organisation.pk,
    )


def _library_feed(library):
    return _feed(
        _("%(library)s: documents") % {"library": library.title}, "library_feed", library.pk
    )


def _document_type_feed(record):
    """The feed of the record's type, in its organisation (the party's for the central office)."""
    kind = {"type": record.get_document_type_display()}
    organisation = record.organisation
    if organisation is None or organisation.depth <= 2:
        return _feed(
            _("Sandyq: documents of type “%(type)s”") % kind,
            "document_type_feed",
            record.document_type,
        )
    organisation = organisation.specific_deferred
    return _feed(
        _("%(organisation)s: documents of type “%(type)s”")
        % {"organisation": getattr(organisation, "display_name", organisation.title), **kind},
        "organisation_document_type_feed",
        organisation.pk,
        record.document_type,
    )


@register.inclusion_tag("includes/feed_links.html", takes_context=True)
def feed_links(context):
    """The feeds that carry what this page lists, as <link rel="alternate">, each in
    Atom and RSS 2.0; a view that is not a page (search, sign-in, errors) announces
    the party's feeds.

    Libraries and records are told apart by their model's label: the page apps
    do not import docs_library.
    """
    page = context.get("page")
    feeds = []
    if page is None:
        feeds += _feed(_("Sandyq: latest announcements"), "announcements_feed")
        feeds += _feed(_("Sandyq: latest documents"), "documents_feed")
    else:
        page_class = page.specific_class or type(page)
        label = page_class._meta.label_lower
        if issubclass(page_class, OrganisationPage):
            feeds += _announcements_feed(page.specific)
            feeds += _documents_feed(page.specific)
        elif issubclass(page_class, AnnouncementIndexPage):
            feeds += _announcements_feed(page.get_parent().specific)
        elif issubclass(page_class, AnnouncementPage):
            organisation = page.specific.organisation()
            if organisation is not None:
                feeds += _announcements_feed(organisation)
        elif label == "docs_library.documentlibrarypage":
            feeds += _library_feed(page)
        elif label == "docs_library.documentpage":
            # The same for every record of a library, organisation and type: shared.
            record = page.specific
            feeds += _shared_value(
                context,
                "record_feeds",
                (_parent_path(record), record.organisation_id, record.document_type),
                lambda: [*_library_feed(record.get_parent()), *_document_type_feed(record)],
            )
    return {"feeds": feeds}


# A month inside a date, as running text writes it: lower case in Kazakh
# («12 сәуір 2019»), genitive in Russian («12 апреля 2019»). Django's "E" format
# reads the same context, but its Kazakh capitalises; Sandyq's catalogue holds these.
MONTHS_IN_DATES = {
    1: pgettext_lazy("alt. month", "January"),
    2: pgettext_lazy("alt. month", "February"),
    3: pgettext_lazy("alt. month", "March"),
    4: pgettext_lazy("alt. month", "April"),
    5: pgettext_lazy("alt. month", "May"),
    6: pgettext_lazy("alt. month", "June"),
    7: pgettext_lazy("alt. month", "July"),
    8: pgettext_lazy("alt. month", "August"),
    9: pgettext_lazy("alt. month", "September"),
    10: pgettext_lazy("alt. month", "October"),
    11: pgettext_lazy("alt. month", "November"),
    12: pgettext_lazy("alt. month", "December"),
}


@register.filter
def running_date(value):
    """A date for running text in the reader's language: 12 сәуір 2019, 12 апреля 2019."""
    if not value:
        return ""
    return f"{value.day} {MONTHS_IN_DATES[value.month]} {value.year}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


# OpenGraph names a language with its country, from the locales it knows.
OPENGRAPH_LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_US"}


@register.inclusion_tag("includes/opengraph.html", takes_context=True)
def opengraph(context, page, title, description=""):
    """The page's meta description and OpenGraph card: its title, its summary, its
    address in the reader's language and that language. No image: a card may name
    only this site's files, and a record's preview is not public everywhere."""
    current = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return {
        "request": context.get("request"),
        "page": page,
        "title": title,
        "description": " ".join(str(description).split()),
        "locale": OPENGRAPH_LOCALES.get(current, OPENGRAPH_LOCALES["kk"]),
        "alternate_locales": [
            locale for language, locale in OPENGRAPH_LOCALES.items() if language != current
        ],
    }


@register.simple_tag(takes_context=True)
def absolute_url(context, url):
    """``url`` with this site's scheme and host, for what is printed on paper: an IRI,
    so that Kazakh and Russian letters read as letters, not %-escapes."""
    request = context.get("request")
    return uri_to_iri(request.build_absolute_uri(url)) if request else url
