from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("Organisations")

    def ready(self):
        from . import page_cache

        page_cache.connect_signals()
