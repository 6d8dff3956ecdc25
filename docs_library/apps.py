from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocsLibraryConfig(AppConfig):
    name = "docs_library"
    verbose_name = _("Document libraries")

    def ready(self):
        from . import admin_access, signal_handlers  # noqa: F401 - registers admin hooks

        signal_handlers.register()
