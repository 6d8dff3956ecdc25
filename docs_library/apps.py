from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocsLibraryConfig(AppConfig):
    name = "docs_library"
    verbose_name = _("Document libraries")

    def ready(self):
        # Every signal of the app is connected here, and nowhere at import time.
        # This app stands before ``wagtail.admin`` in INSTALLED_APPS, so the review
        # workflow's mail takes the dispatch_uids Wagtail's own notifiers use.
        from . import access, signal_handlers
        from .admin import access as admin_access  # noqa: F401 - the admin's querysets hooks
        from .admin import permissions
        from .circulation import circulars, notifications
        from .files import serving
        from .lifecycle import archive, workflow
        from .models import services

        # What the pages and the review task ask of the rooms above the models.
        services.provide(
            viewable=access.viewable,
            can_view=access.can_view,
            can_edit_file=access.can_edit_file,
            anonymous_may_view=access.anonymous_may_view,
            may_review=access.may_review,
            reviews_somewhere=workflow.reviews_somewhere,
            approval_route=workflow.route_for,
            approvers_done=workflow.approvers_done,
            may_approve=access.may_approve,
            permission_tester=permissions.RecordPermissionTester,
            deny=serving.deny,
            withdrawal_notice=archive.serve_withdrawal_notice,
            acknowledgement_context=circulars.acknowledgement_context,
        )
        permissions.register()
        signal_handlers.register()
        archive.connect_signals()
        circulars.connect_signals()
        notifications.connect_review_mail()
        notifications.guard_wagtail_mail()
