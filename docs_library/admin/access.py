"""The Wagtail admin shows and acts on no record the user may not see.

Three layers, each asking ``access`` (see ``permissions`` for the policies):

- ``HiddenRecordsMiddleware``: every admin URL that names a page or a file
  (``/admin/pages/<id>/…``, ``/admin/documents/edit/<id>/``, the admin API,
  bulk actions, editing sessions) answers 404 when it is a record, or a file
  of records, the user may not see, before Wagtail's view runs; the kinds of
  id are read from the URL's own keyword names, so views Wagtail adds later
  are covered too (``tests/test_admin_matrix.py`` walks the URL registry);
- the hooks below narrow what Wagtail lists outside its permission policies:
  explorer, choosers, dashboard panels and page count, the admin API's files;
- ``PageTypesUsageView`` takes the place of Wagtail's report (cms/urls.py),
  which names the last edited page of every type across the whole site.

Imported by the app config, so these hooks are registered whenever
docs_library is.
"""

from contextlib import suppress

from django.apps import apps
from django.http import Http404

from wagtail import hooks
from wagtail.admin.site_summary import PagesSummaryItem
from wagtail.admin.views.home import (
    LockedPagesPanel,
    RecentEditsPanel,
    UserObjectsInWorkflowModerationPanel,
    WorkflowObjectsToModeratePanel,
)
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.models import Page

from ..access import hidden_file_ids, hidden_page_ids, visible_files, visible_pages
from ..models import DocumentPage, LibraryDocument

# --- URLs that name a page or a file -------------------------------------------------------

#: Keyword arguments of admin URLs that hold a page's id, whatever the view.
PAGE_ID_KWARGS = frozenset(
    {"page_id", "parent_page_id", "page_to_move_id", "destination_id", "page_pk"}
)
#: Keyword arguments that hold a file's id.
FILE_ID_KWARGS = frozenset({"document_id", "doc_id"})
#: URL namespaces whose ``pk`` is a page's or a file's id.
PK_KINDS = {
    "wagtailadmin_pages": "page",
    "wagtailadmin_api:pages": "page",
    "wagtaildocs": "file",
    "wagtaildocs_chooser": "file",
    "wagtailadmin_api:documents": "file",
}


def _model_kind(app_label, model_name):
    """The kind ("page", "file" or None) of the model a URL names by app and model."""
    if not (app_label and model_name):
        return None
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return None
    if issubclass(model, Page):
        return "page"
    if issubclass(model, LibraryDocument):
        return "file"
    return None


def named_ids(request, match) -> dict[str, set[int]]:
    """The page and file ids an admin request names: {"page": {…}, "file": {…}}."""
    named = {"page": set(), "file": set()}

    def add(kind, value):
        with suppress(TypeError, ValueError):  # "live", "latest" in revision comparisons
            named[kind].add(int(value))

    kwargs = match.kwargs
    for name, value in kwargs.items():
        if name in PAGE_ID_KWARGS:
            add("page", value)
        elif name in FILE_ID_KWARGS:
            add("file", value)
    if "pk" in kwargs and (kind := PK_KINDS.get(match.namespace)):
        add(kind, kwargs["pk"])
    # Editing sessions and bulk actions name the model, then the object or ?id=…
    kind = _model_kind(kwargs.get("app_label"), kwargs.get("model_name"))
    if kind and "object_id" in kwargs:
        add(kind, kwargs["object_id"])
    if kind and match.url_name == "wagtail_bulk_action":
        for value in request.GET.getlist("id"):
            add(kind, value)
    return named


class HiddenRecordsMiddleware:
    """Answer 404 for an admin URL naming a record or file its user may not see."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or not match.route.startswith("admin/"):
            return None
        if not request.user.is_authenticated:
            return None  # Wagtail sends the visitor to sign in, naming nothing
        named = named_ids(request, match)
        if hidden_page_ids(request.user, named["page"]) or hidden_file_ids(
            request.user, named["file"]
        ):
            raise Http404
        return None


# --- listings outside the permission policies ------------------------------------------------


@hooks.register("construct_explorer_page_queryset")
def hide_records_in_explorer(parent_page, pages, request):
    return visible_pages(request.user, pages)


@hooks.register("construct_page_chooser_queryset")
def hide_records_in_chooser(pages, request):
    return visible_pages(request.user, pages)


@hooks.register("construct_document_chooser_queryset")
def hide_files_in_chooser(documents, request):
    return visible_files(request.user, documents)


def _visible(user, objects, page_of):
    """Keep the items of ``objects`` whose page (``page_of(item)``) ``user`` may see."""
    objects = list(objects)
    page_ids = {getattr(page_of(item), "pk", None) for item in objects}
    hidden = hidden_page_ids(user, page_ids - {None})
    return [item for item in objects if getattr(page_of(item), "pk", None) not in hidden]


def _filtered_panel(panel_class, key, page_of):
    class Panel(panel_class):
        def get_context_data(self, parent_context):
            context = super().get_context_data(parent_context)
            context[key] = _visible(parent_context["request"].user, context[key], page_of)
            return context

    Panel.__name__ = panel_class.__name__
    return Panel


def _content_object(item):
    return item.content_object if isinstance(item.content_object, Page) else None


_PANELS = {
    WorkflowObjectsToModeratePanel: _filtered_panel(
        WorkflowObjectsToModeratePanel, "states", lambda state: state["obj"]
    ),
    UserObjectsInWorkflowModerationPanel: _filtered_panel(
        UserObjectsInWorkflowModerationPanel, "workflow_states", _content_object
    ),
    RecentEditsPanel: _filtered_panel(RecentEditsPanel, "last_edits", lambda edit: edit[1]),
    LockedPagesPanel: _filtered_panel(LockedPagesPanel, "locked_pages", lambda page: page),
}


@hooks.register("construct_homepage_panels")
def hide_records_in_dashboard_panels(request, panels):
    for index, panel in enumerate(panels):
        if type(panel) in _PANELS:
            panels[index] = _PANELS[type(panel)]()


class VisiblePagesSummaryItem(PagesSummaryItem):
    """The dashboard's page count, less the records the user may not see."""

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        root_page = context["root_page"]
        if root_page is not None:
            hidden = DocumentPage.objects.descendant_of(root_page).exclude(
                pk__in=visible_pages(self.request.user, DocumentPage.objects.all()).values("pk")
            )
            context["total_pages"] -= hidden.count()
        return context


@hooks.register("construct_homepage_summary_items")
def count_only_visible_pages(request, items):
    for index, item in enumerate(items):
        if type(item) is PagesSummaryItem:
            items[index] = VisiblePagesSummaryItem(request)


# The admin API's pages endpoint lists ``explorable_instances``: the page policy covers it.


class VisibleDocumentsAdminAPIViewSet(DocumentsAdminAPIViewSet):
    def get_queryset(self):
        return visible_files(self.request.user, super().get_queryset())


@hooks.register("construct_admin_api", order=100)  # after wagtail.documents registers its own
def hide_files_in_admin_api(router):
    router.register_endpoint("documents", VisibleDocumentsAdminAPIViewSet)


# --- reports ------------------------------------------------------------------------------


class PageTypesUsageView(PageTypesUsageReportView):
    """Wagtail's report, naming as "last edited" only a record the user may see."""

    def decorate_paginated_queryset(self, page_types):
        page_types = super().decorate_paginated_queryset(page_types)
        user = self.request.user
        for item in page_types:
            page = item.last_edited_page
            if page is None or not hidden_page_ids(user, [page.pk]):
                continue
            pages = visible_pages(user, DocumentPage.objects.all())
            item.last_edited_page = pages.order_by("-latest_revision_created_at").first()
        return page_types
