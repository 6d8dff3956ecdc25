"""Feeds of the newest public records, in Atom and RSS 2.0, in the language of
their address: for the whole party, one library, one organisation (with
everything below it, or its own only) or one document type (optionally within one organisation).

Feed readers do not sign in, so the feed shows what an anonymous visitor may
open, asked of the access policy like every other channel.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from wagtail.models import Page

from home.feeds import PageFeed, own_pages
from home.models import OrganisationPage

from .access import viewable
from .models import DocumentLibraryPage, DocumentPage, DocumentType

FEED_LENGTH = 30


@dataclass
class Scope:
    """What a documents feed covers; nothing set is the whole party."""

    library: DocumentLibraryPage | None = None
    organisation: OrganisationPage | None = None
    document_type: str = ""
    own: bool = False  # the organisation's own records only, not those of organisations below

    @property
    def type_label(self) -> str:
        return str(DocumentType(self.document_type).label) if self.document_type else ""


class LatestDocumentsFeed(PageFeed):
    date_field = "document_date"

    def get_object(
        self, request, library_id=None, organisation_id=None, document_type=None, own=False
    ):
        self.request = request
        scope = Scope(own=own)
        if library_id is not None:
            scope.library = get_object_or_404(
                DocumentLibraryPage.objects.live().public(), pk=library_id
            )
        if organisation_id is not None:
            page = get_object_or_404(Page.objects.live().public(), pk=organisation_id).specific
            if not isinstance(page, OrganisationPage):
                raise Http404
            scope.organisation = page
        if document_type is not None:
            if document_type not in DocumentType.values:
                raise Http404
            scope.document_type = document_type
        return scope

    def title(self, scope):
        if scope.library is not None:
            return scope.library.title
        if scope.organisation is not None and scope.document_type:
            return _("%(organisation)s: documents of type “%(type)s”") % {
                "organisation": scope.organisation.display_name,
                "type": scope.type_label,
            }
        if scope.organisation is not None and scope.own:
            return _("%(organisation)s: its own documents") % {
                "organisation": scope.organisation.display_name
            }
        if scope.organisation is not None:
            return _("%(organisation)s: documents") % {
                "organisation": scope.organisation.display_name
            }
        if scope.document_type:
            return _("Sandyq: documents of type “%(type)s”") % {"type": scope.type_label}
        return _("Sandyq: latest documents")

    def subtitle(self, scope):
        return _("The newest public documents")

    description = subtitle  # RSS asks for a description where Atom has a subtitle

    def link(self, scope):
        if scope.library is not None:
            return scope.library.get_url(self.request)
        if scope.document_type:
            query = {"type": scope.document_type}
            if scope.organisation is not None:
                query["organisation"] = scope.organisation.pk
            return f"{reverse('search:public')}?{urlencode(query)}"
        if scope.organisation is not None:
            return scope.organisation.get_url(self.request)
        return "/"

    def items(self, scope):
        records = DocumentPage.objects.live().current()  # archived records are not news
        for page in (scope.library, scope.organisation):
            if page is not None:
                records = records.descendant_of(page)
        if scope.organisation is not None and scope.own:
            records = own_pages(records, scope.organisation)
        if scope.document_type:
            records = records.filter(document_type=scope.document_type)
        records = viewable(AnonymousUser(), records)
        return records.order_by("-document_date", "-pk")[:FEED_LENGTH]

    def item_categories(self, item):
        return [DocumentType(item.document_type).label]


class LatestDocumentsRssFeed(LatestDocumentsFeed):
    feed_type = Rss201rev2Feed
