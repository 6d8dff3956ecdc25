"""Database checks of the search index.

* W001: entries analysed by another analyser version must be rewritten.
  ``ANALYSER_VERSION`` moves whenever ``search.analysis`` can produce different
  keys; entries written before no longer meet the queries analysed now, so a
  deployment is told to run ``rebuild_search_index``.
* E002 (SQLite): the change log's triggers must exist, or ``search.engines.columns``
  would not hear of changes; the engine then falls back to reading every
  entry, and this check says why.
* W004 (PostgreSQL): the triggers that record changing transactions must exist
  and be enabled, or ``search.engines.kept`` keeps no heavy query's answer
  (searches stay correct, and slower).
* W003: the index holds far fewer pages than should be searched (emptied or
  half-written tables, a lost FTS5 index; ``search.integrity``).

They run with ``manage.py check --database default`` and before ``migrate``
applies anything (E002 waits until no migration is pending).
"""

from django.core import checks
from django.db import DatabaseError

from . import analysis
from .engines import get_engine, kept
from .engines.columns import missing_triggers
from .integrity import measure
from .models import SearchEntry


@checks.register(checks.Tags.database)
def search_index_is_current(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
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


@checks.register(checks.Tags.database)
def change_log_is_written(app_configs=None, databases=None, **kwargs):
    """The triggers that record changes exist: SQLite's change log for each process's
    search arrays (E002), PostgreSQL's committed changes for kept answers (W004)."""
    from django.db import connections

    errors = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor == "postgresql":
            errors += _committed_changes_recorded(connection)
        if connection.vendor != "sqlite":
            continue
        try:
            with connection.cursor() as cursor:
                missing = missing_triggers(cursor)
        except DatabaseError:
            continue
        if missing and not _migrations_pending(connection):
            errors.append(
                checks.Error(
                    f"The search change log is not written: triggers {', '.join(missing)} "
                    "are missing, so search reads every entry from the database (slowly).",
                    hint="A migration rebuilt search_searchentry, search_searchtext or "
                    "docs_library_documentaccess; it must make the TRIGGERS of search "
                    "migrations 0003 and 0006 again (see search.models).",
                    id="search.E002",
                )
            )
    return errors


def _committed_changes_recorded(connection) -> list:
    try:
        with connection.cursor() as cursor:
            missing = kept.missing_triggers(cursor)
    except DatabaseError:
        return []
    if not missing or _migrations_pending(connection):
        return []
    return [
        checks.Warning(
            f"Changes of the search index are not recorded: triggers {', '.join(missing)} "
            "are missing or disabled, so no heavy query's answer is kept (searches for the "
            "commonest words run in full every time).",
            hint="Enable them, or make them again as search migration 0007 does.",
            id="search.W004",
        )
    ]


@checks.register(checks.Tags.database)
def search_index_is_filled(app_configs=None, databases=None, **kwargs):
    """The index holds (nearly) every page it should: not emptied, not left half-written."""
    from django.db import connections

    if "default" not in (databases or []) or get_engine().name == "elasticsearch":
        return []
    try:
        if _migrations_pending(connections["default"]):
            return []
        health = measure()
    except DatabaseError:
        return []
    if not health.broken:
        return []
    # A warning, not an error: ``migrate`` runs database checks, and a deploy
    # must not stop on a state that rebuild_search_index repairs afterwards.
    return [
        checks.Warning(
            f"Search answers from a broken index: {health.describe()}, so searches miss "
            "what is not in it.",
            hint="Run: manage.py rebuild_search_index",
            id="search.W003",
        )
    ]


def _migrations_pending(connection) -> bool:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
