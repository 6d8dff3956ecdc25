"""Atom and RSS 2.0 feeds of the newest announcements, for the whole party or one organisation
and everything below it, in the language of its address (/kk/, /ru/, /en/).

Each translation group appears once, in the feed's language where it has one, as on
the organisation pages; only published announcements outside any view restriction.
"""

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from wagtail.models import Page, Site

from .models import AnnouncementPage, OrganisationPage, one_per_translation_group

FEED_LENGTH = 30


class PageFeed(Feed):
    """What every Sandyq feed says of a published page it lists (announcements
    here, records in ``docs_library.feeds``); ``get_object`` keeps the request."""

    feed_type = Atom1Feed
    request = None

    def item_title(self, item):
        return str(item)

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_url(self.request)

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at


class AnnouncementsFeed(PageFeed):
    def get_object(self, request, organisation_id=None):
        self.request = request
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
        announcements = one_per_translation_group(
            announcements.descendant_of(organisation), within=organisation
        )
        return announcements.order_by("-date", "-pk")[:FEED_LENGTH]


class AnnouncementsRssFeed(AnnouncementsFeed):
    feed_type = Rss201rev2Feed
