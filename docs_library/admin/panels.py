"""Admin panels of the document record that show its life rather than edit it.

The page class names them in its body; what they show comes from
``lifecycle.states``, which reads Wagtail's audit log and no model of ours.
"""

from wagtail.admin.panels import Panel

from ..lifecycle.states import lifecycle_state, review_history


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
