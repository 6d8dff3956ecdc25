"""Admin wiring for document libraries: the file history and comparison view.

Wagtail 8.0's document edit view takes no extra header buttons from hooks
(its ``header_more_buttons`` is fixed in the class, and the documents app has
no viewset to extend), so the way in is from the record that shows the file:
a "File versions" item in the page header of a DocumentPage.
"""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem

from ..access import can_edit_file
from ..models import DocumentPage
from .views import document_versions, extract_again


@hooks.register("register_admin_urls")
def register_document_versions_url():
    return [
        path(
            "documents/<int:document_id>/versions/",
            document_versions,
            name="sandyq_document_versions",
        ),
        path(
            "documents/<int:document_id>/extract-again/",
            extract_again,
            name="sandyq_extract_again",
        ),
    ]


class FileVersionsButton(PageMenuItem):
    label = _("File versions")
    icon_name = "history"
    priority = 70

    def is_shown(self, user):
        document = self.page.main_file
        return document is not None and can_edit_file(user, document)

    @property
    def url(self):
        return reverse("sandyq_document_versions", args=[self.page.main_file_id])


@hooks.register("register_page_header_buttons")
def file_versions_header_button(page, user, view_name, next_url=None):
    if issubclass(page.specific_class or type(None), DocumentPage):
        yield FileVersionsButton(page=page.specific)
