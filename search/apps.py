from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The hook through which the page models' ``search_terms`` field reaches the
# analyser: home and docs_library never import search.
SEARCH_TERMS_HOOK = "sandyq_search_terms"


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")

    def ready(self):
        from wagtail import hooks

        from . import checks, indexing, signal_handlers  # noqa: F401 - checks registers itself

        hooks.register(SEARCH_TERMS_HOOK, indexing.search_terms)
        signal_handlers.register()
