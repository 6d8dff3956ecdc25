"""Admin wiring for approval routes: the approval sheet (PDF) in the record's
header, the routes as snippets.

The steps themselves (``ParallelApprovalTask``) need no wiring: Wagtail lists
every ``Task`` subclass under Workflows › Tasks, and its own Approve and
Return buttons ask the task, which asks ``access.may_approve``.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy

from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.models import WorkflowState
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .. import access
from ..circulation import approval_sheet
from ..models import ApprovalRoute, DocumentPage


def approval_sheet_view(request, page_id):
    record = get_object_or_404(DocumentPage, pk=page_id)
    if not access.may_see_approval_sheet(request.user, record):
        raise Http404
    try:
        pdf = approval_sheet.render(record)
    except approval_sheet.SheetFontMissing:
        return TemplateResponse(
            request,
            "docs_library/admin/approval_sheet_unavailable.html",
            {"record": record},
            status=503,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = slugify(record.registration_number or record.slug, allow_unicode=False) or "record"
    response["Content-Disposition"] = f'inline; filename="approval-sheet-{name}.pdf"'
    return response


@hooks.register("register_admin_urls")
def register_approval_sheet_url():
    return [
        path(
            "records/<int:page_id>/approval-sheet.pdf",
            approval_sheet_view,
            name="sandyq_approval_sheet",
        )
    ]


class ApprovalSheetButton(PageMenuItem):
    label = gettext_lazy("Approval sheet (PDF)")
    icon_name = "doc-full"
    priority = 75

    def is_shown(self, user):
        return WorkflowState.objects.for_instance(
            self.page
        ).exists() and access.may_see_approval_sheet(user, self.page)

    @property
    def url(self):
        return reverse("sandyq_approval_sheet", args=[self.page.pk])


@hooks.register("register_page_header_buttons")
def approval_sheet_header_button(page, user, view_name, next_url=None):
    if issubclass(page.specific_class or type(None), DocumentPage):
        yield ApprovalSheetButton(page=page.specific)


class ApprovalRouteViewSet(SnippetViewSet):
    model = ApprovalRoute
    icon = "tasks"
    menu_label = gettext_lazy("Approval routes")
    list_display = ["organisation", "document_type", "workflow"]


register_snippet(ApprovalRouteViewSet)
