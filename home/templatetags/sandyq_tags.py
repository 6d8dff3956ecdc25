from django import template
from django.conf import settings
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wagtail.models import Site

from home.models import (
    AnnouncementIndexPage,
    AnnouncementPage,
    OrganisationPage,
    RegionalBranchPage,
)

register = template.Library()


@register.inclusion_tag("includes/language_switcher.html", takes_context=True)
def language_switcher(context):
    """Links to the same page in every interface language."""
    request = context.get("request")
    path = request.get_full_path() if request else "/"
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
    return {"languages": languages}


@register.inclusion_tag("includes/regions_menu.html", takes_context=True)
def regions_menu(context):
    regions = RegionalBranchPage.objects.live().order_by("sort_key")
    return {"regions": regions, "request": context.get("request")}


@register.simple_tag(takes_context=True)
def home_url(context):
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    root = site.root_page if site else None
    return root.get_url(request) if root else "/"


@register.simple_tag(takes_context=True)
def central_sections(context):
    """The central office's libraries and announcement lists, for the main menu."""
    request = context.get("request")
    if request is None:
        return {}
    if not hasattr(request, "_sandyq_central_sections"):
        site = Site.find_for_request(request)
        root = site.root_page.specific_deferred if site else None
        sections = root.sections() if isinstance(root, OrganisationPage) else {}
        request._sandyq_central_sections = sections
    return request._sandyq_central_sections


def _announcements_feed(organisation):
    if organisation.depth <= 2:  # the central office: the whole party
        return _("Sandyq: latest announcements"), reverse("announcements_feed")
    return (
        _("%(organisation)s: announcements") % {"organisation": organisation.display_name},
        reverse("organisation_announcements_feed", args=[organisation.pk]),
    )


def _library_feed(library):
    return (
        _("%(library)s: documents") % {"library": library.title},
        reverse("library_feed", args=[library.pk]),
    )


@register.inclusion_tag("includes/feed_links.html", takes_context=True)
def feed_links(context):
    """The feeds that carry what this page lists, as <link rel="alternate">.

    Libraries and records are told apart by their model's label: the page apps
    do not import docs_library.
    """
    page = context.get("page")
    feeds = []
    if page is not None:
        page_class = page.specific_class or type(page)
        label = page_class._meta.label_lower
        if issubclass(page_class, OrganisationPage):
            feeds.append(_announcements_feed(page.specific))
            if page.depth <= 2:
                feeds.append((_("Sandyq: latest documents"), reverse("documents_feed")))
        elif issubclass(page_class, AnnouncementIndexPage):
            feeds.append(_announcements_feed(page.get_parent().specific))
        elif issubclass(page_class, AnnouncementPage):
            organisation = page.specific.organisation()
            if organisation is not None:
                feeds.append(_announcements_feed(organisation))
        elif label == "docs_library.documentlibrarypage":
            feeds.append(_library_feed(page))
        elif label == "docs_library.documentpage":
            feeds.append(_library_feed(page.get_parent()))
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
