from wagtail.signals import post_page_move

from .models import DocumentPage


def update_owning_organisation(sender, instance, **kwargs):
    """A moved subtree may now belong to another organisation: re-read it for each record."""
    moved = DocumentPage.objects.filter(path__startswith=instance.path)
    for page in moved.only("pk", "path", "depth", "organisation"):
        organisation = page.find_organisation()
        if organisation != page.organisation:
            DocumentPage.objects.filter(pk=page.pk).update(organisation=organisation)


def register():
    post_page_move.connect(update_owning_organisation, dispatch_uid="docs_library_post_page_move")
