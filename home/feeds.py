"""Atom and RSS 2.0 feeds of the newest announcements, for the whole party or one organisation
(with everything below it, or its own only), in the language of its address (/kk/, /ru/, /en/).

Each translation group appears once, in the feed's language where it has one, as on
the organisation pages; only published announcements outside any view restriction.
"""

import datetime

from django.contrib.syndication.views import Feed
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from wagtail.models import Page, Site

from .models import (
    AnnouncementPage,
    OrganisationPage,
    one_per_translation_group,
    organisation_page_models,
)

FEED_LENGTH = 30


def own_pages(pages, organisation):
    """``pages`` narrowed to the organisation's own: under its libraries and announcement
    lists (or its announcements themselves), not under an organisation below it."""
    children = organisation.get_children().not_type(*organisation_page_models()).only("path")
    own = Q()
    for child in children:
        own |= Q(path__startswith=child.path)
    return pages.filter(own) if own else pages.none()


class PageFeed(Feed):
    """What every Sandyq feed says of a published page it lists (announcements
    here, records in ``docs_library.feeds``); ``get_object`` keeps the request."""

    feed_type = Atom1Feed
    request = None
    date_field = "date"  # the page's own date, for a page without publishing times

    def _date_of(self, item):
        """Midnight of the page's own date: Atom needs a time on every entry, and a page
        made without being published (an import, a factory) has none of its own."""
        day = getattr(item, self.date_field, None)
        if day is None:
            return item.latest_revision_created_at
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))

    def item_title(self, item):
        return str(item)

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_url(self.request)

    def item_pubdate(self, item):
        return item.first_published_at or self._date_of(item)

    def item_updateddate(self, item):
        return item.last_published_at or self.item_pubdate(item)


class AnnouncementsFeed(PageFeed):
    own = False  # the organisation's own announcements only, not those of organisations below

    def get_object(self, request, organisation_id=None, own=False):
        self.request, self.own = request, own
        if organisation_id is None:
            site = Site.find_for_request(request)
            return site.root_page.specific if site else None
        page = get_object_or_404(Page.objects.live().public(), pk=organisation_id).specific
        if not isinstance(page, OrganisationPage):
            raise Http404
        return page

    def title(self, organisation):
        if organisation is None or organisation.depth <= 2:
            return _("Sandyq: latest announcements")
        if self.own:
            return _("%(organisation)s: its own announcements") % {
                "organisation": organisation.display_name
            }
        return _("%(organisation)s: announcements") % {"organisation": organisation.display_name}

    def subtitle(self, organisation):
        return _("The newest announcements")

    description = subtitle  # RSS asks for a description where Atom has a subtitle

    def link(self, organisation):
        return organisation.get_url(self.request) if organisation else "/"

    def items(self, organisation):
        announcements = AnnouncementPage.objects.live().public()
        if organisation is None:
            return announcements.none()
        announcements = announcements.descendant_of(organisation)
        if self.own:
            announcements = own_pages(announcements, organisation)
        announcements = one_per_translation_group(announcements, within=organisation)
        return announcements.order_by("-date", "-pk")[:FEED_LENGTH]


class AnnouncementsRssFeed(AnnouncementsFeed):
    feed_type = Rss201rev2Feed
