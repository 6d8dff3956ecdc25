"""The one place that answers "may this user see this?" for documents.

``can_view(user, obj)`` answers for one record or file; ``viewable(user,
queryset)`` narrows a queryset of records in one query-level filter. Page views,
file downloads, old versions, previews and listings all ask here.

Until local roles arrive (the access-control issue), what a user may see is:
public records for everyone; members-only records for any signed-in, active
user; organisation and restricted records only for those who may edit
documents in the admin. Unpublished records only for editors. Nothing is
granted by default.
"""

from django.db.models import Q

from wagtail.models import Page

from .models import AccessLevel, DocumentPage, LibraryDocument


def _is_document_editor(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return (
        user.is_superuser
        or user.has_perm("wagtaildocs.change_document")
        or (user.has_perm("docs_library.change_librarydocument"))
    )


def visible_levels(user) -> list[str]:
    if _is_document_editor(user):
        return list(AccessLevel.values)
    if user.is_authenticated and user.is_active:
        return [AccessLevel.PUBLIC, AccessLevel.MEMBERS]
    return [AccessLevel.PUBLIC]


def viewable(user, queryset):
    """The records of ``queryset`` the user may see: one filter, no loop."""
    levels = visible_levels(user)
    condition = Q(access_level__in=levels)
    if not _is_document_editor(user):
        condition &= Q(live=True)
    return queryset.filter(condition)


def records_showing(document: LibraryDocument):
    """The records whose main file or attachment this file is."""
    return DocumentPage.objects.filter(
        Q(main_file=document) | Q(attachments__document=document)
    ).distinct()


def can_view(user, obj) -> bool:
    if isinstance(obj, Page) and not isinstance(obj, DocumentPage):
        obj = obj.specific
    if isinstance(obj, DocumentPage):
        return viewable(user, DocumentPage.objects.filter(pk=obj.pk)).exists()
    if isinstance(obj, LibraryDocument):
        if _is_document_editor(user):
            return True
        return viewable(user, records_showing(obj)).exists()
    return False
