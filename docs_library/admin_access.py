"""Admin listings and choosers show no record the user may not see.

Imported by the app config (docs_library/wagtail_hooks.py belongs to other
admin views), so these hooks are registered whenever docs_library is.
"""

from wagtail import hooks

from .access import visible_files, visible_pages


@hooks.register("construct_explorer_page_queryset")
def hide_records_in_explorer(parent_page, pages, request):
    return visible_pages(request.user, pages)


@hooks.register("construct_page_chooser_queryset")
def hide_records_in_chooser(pages, request):
    return visible_pages(request.user, pages)


@hooks.register("construct_document_chooser_queryset")
def hide_files_in_chooser(documents, request):
    return visible_files(request.user, documents)
