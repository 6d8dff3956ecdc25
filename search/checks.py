"""A database check: entries analysed by another analyser version must be rewritten.

``ANALYSER_VERSION`` moves whenever ``search.analysis`` can produce different
keys; entries written before no longer meet the queries analysed now. The
check runs with ``manage.py check --database default`` and before ``migrate``
applies anything, so a deployment is told to run ``rebuild_search_index``.
"""

from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.database)
def search_index_is_current(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    from . import analysis
    from .models import SearchEntry

    try:
        stale = SearchEntry.objects.exclude(analyser_version=analysis.ANALYSER_VERSION).count()
    except DatabaseError:  # not migrated yet
        return []
    if not stale:
        return []
    return [
        checks.Warning(
            f"{stale} search entries were analysed by another analyser version "
            f"than {analysis.ANALYSER_VERSION}; searches miss their words until they are "
            "rewritten.",
            hint="Run: manage.py rebuild_search_index",
            id="search.W001",
        )
    ]
