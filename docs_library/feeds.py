"""An Atom feed of the newest public records, for the whole party or one library.

Feed readers do not sign in, so the feed shows what an anonymous visitor may
open, asked of the access policy like every other channel.
"""

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from .access import viewable
from .models import DocumentLibraryPage, DocumentPage

FEED_LENGTH = 30


class LatestDocumentsFeed(Feed):
    feed_type = Atom1Feed
    subtitle = _("The newest public documents")

    def get_object(self, request, library_id=None):
        self.request = request
        if library_id is None:
            return None
        return get_object_or_404(DocumentLibraryPage.objects.live(), pk=library_id)

    def title(self, library):
        return library.title if library else _("Sandyq: latest documents")

    def link(self, library):
        return library.get_url(self.request) if library else "/"

    def items(self, library):
        records = DocumentPage.objects.live().current()  # archived records are not news
        if library is not None:
            records = records.descendant_of(library)
        records = viewable(AnonymousUser(), records)
        return records.order_by("-document_date", "-pk")[:FEED_LENGTH]

    def item_title(self, item):
        return str(item)

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_url(self.request)

    def item_pubdate(self, item):
        return item.first_published_at
