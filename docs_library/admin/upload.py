"""Wagtail's multiple document upload, without its public parking place for files.

When an uploaded file is fine but another field of the upload form is not (a
title over 255 characters, a collection the editor may not add to), Wagtail's
``AddView`` keeps the file as a ``wagtailcore.UploadedFile`` until the editor
completes the form. That model stores in the *default* storage, the public
``MEDIA_ROOT`` under ``wagtail_uploads/``, where the web server hands files to
anyone who knows the name, and the document later made from it skips
``LibraryDocument.apply_upload`` (no checked name, type or checksum, no text
extraction). Document files belong under ``PRIVATE_MEDIA_ROOT`` and nowhere
else, so here such an upload is refused like a bad file, with the other
field's message: nothing is stored, and the editor uploads again with the
field put right.

``cms/urls.py`` mounts the view at Wagtail's own address, ahead of the admin's URLs.
"""

from django.utils.translation import gettext_lazy as _

from wagtail.documents.views.multiple import AddView

NOT_STORED = _("The file was not stored. Put this right and upload it again:")


class RefuseFileOnOtherErrors:
    """Upload form mixin: any field's error is also the file's, so Wagtail refuses it."""

    def full_clean(self):
        super().full_clean()  # fields, form and model validation: every error is known
        if self.is_bound and self.errors and "file" not in self.errors:
            others = [
                f"{self.fields[name].label}: {error}" if name in self.fields else str(error)
                for name, errors in self.errors.items()
                for error in errors
            ]
            for message in (NOT_STORED, *others):
                self.add_error("file", message)


class AddDocumentsView(AddView):
    def get_upload_form_class(self):
        # Wagtail makes the form class anew for each request (modelform_factory).
        form_class = super().get_upload_form_class()
        return type(form_class.__name__, (RefuseFileOnOtherErrors, form_class), {})
