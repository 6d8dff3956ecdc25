"""The admin's document form: every upload is checked, a replaced file is kept.

Set as ``WAGTAILDOCS_DOCUMENT_FORM_BASE``, so Wagtail's single and multiple
upload views and the edit view all use it.
"""

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from wagtail.documents.forms import BaseDocumentForm

from .validation import validate_upload


class LibraryDocumentForm(BaseDocumentForm):
    version_comment = forms.CharField(
        label=_("What changed (when replacing the file)"),
        required=False,
        max_length=500,
    )

    def __init__(self, *args, **kwargs):
        self.user = kwargs.get("user")
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["version_comment"]

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and "file" in self.changed_data:
            self.upload_info = validate_upload(upload, upload.name)
        return upload

    def save(self, commit=True):
        # The old file's version row and the document's new file stand or fall
        # together: a server killed in between leaves neither.
        with transaction.atomic():
            return self._save(commit)

    def _save(self, commit):
        replacing = "file" in self.changed_data and self.instance.pk and self.original_file
        if replacing and commit:
            self.instance.keep_current_file_as_version(
                self.original_file.name,
                user=self.user,
                comment=self.cleaned_data.get("version_comment", ""),
            )
            # The old file now belongs to its version; Wagtail must not delete it.
            self.original_file = None
        if "file" in self.changed_data:
            self.instance.apply_upload(self.upload_info, replacing=bool(replacing))
        return super().save(commit=commit)
