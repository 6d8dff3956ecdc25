from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocsLibraryConfig(AppConfig):
    name = "docs_library"
    verbose_name = _("Document libraries")

    def ready(self):
        # Every signal of the app is connected here, and nowhere at import time.
        # This app stands before ``wagtail.admin`` in INSTALLED_APPS, so the review
        # workflow's mail takes the dispatch_uids Wagtail's own notifiers use.
        from . import signal_handlers
        from .admin import access as admin_access  # noqa: F401 - the admin's querysets hooks
        from .admin import permissions
        from .circulation import circulars, notifications
        from .lifecycle import archive, workflow

        permissions.register()
        signal_handlers.register()
        archive.connect_signals()
        circulars.connect_signals()
        workflow.connect_signals()
        notifications.guard_wagtail_mail()
