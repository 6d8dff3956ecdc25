from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocsLibraryConfig(AppConfig):
    name = "docs_library"
    verbose_name = _("Document libraries")

    def ready(self):
        from . import admin_access, notifications, permissions, signal_handlers  # noqa: F401

        permissions.register()
        signal_handlers.register()
        notifications.guard_wagtail_mail()
