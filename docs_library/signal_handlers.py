from collections import defaultdict

from django_tasks.signals import task_finished

from django.db.models.signals import post_save

from wagtail.signals import init_new_page, post_page_move

from home.models import nearest_organisation_ids
from home.signals import inheritance_changed

from . import access, worker
from .files.tasks import queue_extraction
from .models import DocumentLibraryPage, DocumentPage, LibraryDocument


def update_moved_records(sender, instance, **kwargs):
    """A moved subtree may belong to another organisation and inherit other grants."""
    moved = list(DocumentPage.objects.filter(path__startswith=instance.path))
    now_under = defaultdict(list)
    nearest = nearest_organisation_ids(moved)
    for page in moved:
        if nearest[page.pk] != page.organisation_id:
            now_under[nearest[page.pk]].append(page.pk)
    for organisation_id, page_ids in now_under.items():
        DocumentPage.objects.filter(pk__in=page_ids).update(organisation_id=organisation_id)
    access.refresh_tokens(moved)


def refresh_record_tokens(sender, instance, **kwargs):
    """Saving, publishing or unpublishing a record may change who can open it."""
    if instance.path:
        access.refresh_tokens([instance])


def refresh_tokens_below(sender, page, **kwargs):
    access.refresh_tokens(DocumentPage.objects.filter(path__startswith=page.path))


def queue_extraction_of_new_file(sender, instance, **kwargs):
    """A new or replaced file is read in the background, whoever saved it."""
    if getattr(instance, "_needs_extraction", False):
        instance._needs_extraction = False
        queue_extraction(instance)


def apply_library_defaults(sender, page, parent, **kwargs):
    """A new record starts with its library's default type and access level."""
    library = parent.specific
    if isinstance(page, DocumentPage) and isinstance(library, DocumentLibraryPage):
        page.document_type = library.default_document_type
        page.access_level = library.default_access_level


def register():
    init_new_page.connect(apply_library_defaults, dispatch_uid="docs_library_defaults")
    post_page_move.connect(update_moved_records, dispatch_uid="docs_library_page_moved")
    post_save.connect(
        refresh_record_tokens, sender=DocumentPage, dispatch_uid="docs_library_tokens"
    )
    inheritance_changed.connect(refresh_tokens_below, dispatch_uid="docs_library_blocks")
    post_save.connect(
        queue_extraction_of_new_file, sender=LibraryDocument, dispatch_uid="docs_library_extract"
    )
    task_finished.connect(worker.extraction_task_failed, dispatch_uid="docs_library_task_failed")
