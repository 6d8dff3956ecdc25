"""Admin panels of the document record that show its life rather than edit it.

The page class names them in its body; what they show comes from
``lifecycle.states``, which reads Wagtail's audit log and no model of ours,
and from the record's files.
"""

from wagtail.admin.panels import Panel

from ..lifecycle.states import lifecycle_state, review_history
from ..models.services import services


class ReviewHistoryPanel(Panel):
    """Plone's ``review_history``: who did what to the record, when, and what they said.

    Read from Wagtail's audit log, so it needs no bookkeeping of its own and
    agrees with the admin's History view; only the steps of the record's life
    are listed (submissions, approvals, requests for changes, publication,
    archiving, withdrawal), not every saved draft.
    """

    class BoundPanel(Panel.BoundPanel):
        template_name = "docs_library/admin/review_history_panel.html"

        def is_shown(self):
            return bool(self.instance.pk)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["state"] = lifecycle_state(self.instance)
            context["entries"] = review_history(self.instance)
            context["record"] = self.instance
            return context


class FileTextPanel(Panel):
    """Whether the text of each of the record's files could be read, and if not, why.

    A file whose text failed is missing from search; its editors are told
    why in their own language, with the way to the file, where they can have
    it read again.
    """

    class BoundPanel(Panel.BoundPanel):
        template_name = "docs_library/admin/file_text_panel.html"

        def files(self):
            record = self.instance
            files = [record.main_file] if record.main_file_id else []
            files += [attachment.document for attachment in record.attachments.all()]
            return [file for file in files if file is not None and file.pk]

        def is_shown(self):
            return bool(self.instance.pk) and bool(self.files())

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            user = self.request.user if self.request else None
            context["files"] = [
                (file, user is not None and services.can_edit_file(user, file))
                for file in self.files()
            ]
            return context
