from django.db.models.signals import post_save

from wagtail.signals import init_new_page, post_page_move

from .models import DocumentLibraryPage, DocumentPage, LibraryDocument


def update_owning_organisation(sender, instance, **kwargs):
    """A moved subtree may now belong to another organisation: re-read it for each record."""
    moved = DocumentPage.objects.filter(path__startswith=instance.path)
    for page in moved.only("pk", "path", "depth", "organisation"):
        organisation = page.find_organisation()
        if organisation != page.organisation:
            DocumentPage.objects.filter(pk=page.pk).update(organisation=organisation)


def queue_extraction_of_new_file(sender, instance, **kwargs):
    """A new or replaced file is read in the background, whoever saved it."""
    if getattr(instance, "_needs_extraction", False):
        from .tasks import queue_extraction

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
    post_page_move.connect(update_owning_organisation, dispatch_uid="docs_library_page_moved")
    post_save.connect(
        queue_extraction_of_new_file, sender=LibraryDocument, dispatch_uid="docs_library_extract"
    )
