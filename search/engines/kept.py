"""PostgreSQL: a heavy query's answer kept in the shared cache until the index changes.

A heavy query (the party's name, «отан», a region's name) matches most of the
archive, and the statement of ``search.engines.database`` then joins, checks
and groups every visible match: at 10,000 documents tens of milliseconds, at
100,000 several hundred, however the page is ranked. Its answer (the page of
ids, the total and the facet counts; never titles or snippets, which the
service reads afresh) depends on nothing but the statement's text and
parameters, which hold the reader's access tokens, the filters, the sort and
the page, and on three tables: the entries, their text and their
``DocumentAccess`` tokens. So the answer is kept in the shared cache (Redis in
production), keyed by the statement, and served again while none of the
three tables has changed.

**Changed since when.** Migration ``search/0007`` has a statement-level
trigger on each of the three tables write the changing transaction's id into
``search_committed_change``, in the same transaction. An answer is labelled
with the snapshot read just before its statement ran (``pg_current_snapshot``;
the statement's own snapshot is the same or newer, so the label can only be
too old, never too new), and it holds while every id in the table that is
not visible in that snapshot belongs to no committed transaction: since this
is asked under a snapshot of its own, an id that is there and not visible in
the label is a change the answer may not include. A counter or a sequence
could not tell this: a transaction that took its number first may commit last.

**Not kept:**

- an answer read in a transaction that has a transaction id of its own
  (it has written something, or may yet): its own later changes would count
  as visible in its label. Such a transaction may still use a kept answer,
  unless it changed one of the three tables itself (its id is then in the
  table and newer than the label);
- while any of the three triggers is missing or disabled (a restore without
  them, ``ALTER TABLE … DISABLE TRIGGER``), nothing is kept or used; and an
  answer kept before a trigger was disabled, dropped or made again is not used
  after it is back (the changes in between went unrecorded): the label holds
  the catalog row versions of the triggers;
- a label older than ``WINDOW`` transactions, after which the triggers drop
  ids; and an answer from another database or an earlier log table (the key
  names the database, the label the table's oid).

Changes made with ``session_replication_role = replica`` (a data-only
``pg_restore --disable-triggers``) fire no trigger and change no catalog row:
clear the cache after such a restore.

``SANDYQ_SEARCH_CACHE_SECONDS`` is how long an answer may live at most
(``0``: nothing is kept). docs/search.md, "Heavy words", has the measurements.

**Answered again after a change.** On a busy archive every publish ends every
kept answer, and the next reader of each heavy query would pay its first
search (0.15–0.3 s at 100,000 documents). So the statements of the heavy
queries readers asked lately (``remember``: the last
``SANDYQ_SEARCH_REFRESHED_QUERIES``, each for ``SANDYQ_SEARCH_CACHE_SECONDS``
after its last first search) are answered again in the background once a
change of the index commits (``search.tasks.index_changed``, called where the
index is written, schedules ``refresh_kept_answers_task``), and kept under the new snapshot
by the same rule. A change that commits while a refresh runs schedules
another; one waiting refresh serves any number of changes. Nothing about the
rule above changes: a refreshed answer is used only while its label holds.
A block of inheritance (access rows rewritten, no entry) schedules one too; a
role granted or taken rewrites no row, it changes the reader's own tokens and so
their statement.
"""

from __future__ import annotations

import hashlib
import time
from importlib import import_module

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from .base import EngineResult

_migration = import_module("search.migrations.0007_committed_changes_on_postgresql")
LOG = _migration.TABLE
WINDOW = _migration.WINDOW
TRIGGERS = [_migration.trigger_name(table) for table in _migration.WATCHED]
# Those of them that exist and fire (``tgenabled`` 'D' is disabled, 'R' replica only).
ENABLED_TRIGGERS = "FROM pg_trigger WHERE tgname = ANY(%s) AND tgenabled IN ('O', 'A')"

# One statement: the snapshot for an answer read now, whether it may be kept, what
# records changes (the log table and each enabled trigger, by their catalog rows'
# versions: a trigger disabled and enabled again, or made again, is another), and
# whether the snapshot of the kept answer (if any) still holds.
CHECK = (
    "SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned() IS NULL, "  # noqa: S608 - a name of ours and %s only
    "to_regclass(%s)::oid::text || (SELECT coalesce(string_agg(' ' || tgname || ':' || "
    f"  xmin::text, '' ORDER BY tgname), '') {ENABLED_TRIGGERS}), "
    "CASE WHEN %s::text IS NULL THEN FALSE ELSE "
    "pg_snapshot_xmin(%s::pg_snapshot)::text::bigint "
    "  >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint - %s "
    f"AND NOT EXISTS (SELECT 1 FROM {LOG} c "
    "  WHERE c.xid >= pg_snapshot_xmin(%s::pg_snapshot)::text::bigint "
    "  AND NOT pg_visible_in_snapshot(c.xid::text::xid8, %s::pg_snapshot)) END"
)


def missing_triggers(cursor) -> list[str]:
    """The triggers of migration 0007 that are not there or not enabled (``search.W004``)."""
    cursor.execute(f"SELECT tgname {ENABLED_TRIGGERS}", [TRIGGERS])  # noqa: S608 - ours
    there = {name for (name,) in cursor.fetchall()}
    return [name for name in TRIGGERS if name not in there]


#: Moves when what is kept changes shape (``EngineResult``), so a deploy reads no old answer.
ANSWER_VERSION = 1


def _key(*parts) -> str:
    """A cache key of this database's (and these parts')."""
    database = connection.settings_dict
    text = repr((database["NAME"], database["HOST"], database["PORT"], *parts))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"sandyq-search-kept:{ANSWER_VERSION}:{digest}"


class KeptAnswer:
    """The kept answer of one statement, if it still holds, and the label for a new one."""

    def __init__(self, sql: str, params):
        self.key = _key(sql, list(params))
        self.label: tuple[str, str] | None = None

    def find(self, cursor) -> EngineResult | None:
        """The answer kept for this statement while nothing it reads has changed, else None.

        Must be asked on the cursor the statement will run on, right before it.
        """
        seconds = settings.SANDYQ_SEARCH_CACHE_SECONDS
        if not seconds:
            return None
        kept = cache.get(self.key)
        watch, snapshot, answer = kept if kept else (None, None, None)
        cursor.execute(CHECK, [LOG, TRIGGERS, snapshot, snapshot, WINDOW, snapshot, snapshot])
        now, clean, watch_now, unchanged = cursor.fetchone()
        if watch_now is None or watch_now.count(" ") != len(TRIGGERS):
            return None  # not migrated, or changes go unrecorded: never trust, never keep
        if clean:
            self.label = (watch_now, now)
        if kept and unchanged and watch == watch_now:
            return answer
        return None

    def keep(self, answer: EngineResult) -> None:
        """Keep ``answer``, read by the statement right after ``find``, if it may be."""
        if self.label is not None:
            watch, snapshot = self.label
            cache.set(self.key, (watch, snapshot, answer), settings.SANDYQ_SEARCH_CACHE_SECONDS)


# Answered again after a change -------------------------------------------------------

#: How long a scheduled refresh keeps others from being scheduled, should it never
#: run (no worker): then the next change schedules one again.
PENDING_SECONDS = 300


def refreshing() -> bool:
    """Whether heavy statements are remembered and answered again after changes."""
    return bool(settings.SANDYQ_SEARCH_REFRESHED_QUERIES and settings.SANDYQ_SEARCH_CACHE_SECONDS)


def remember(sql: str, params) -> None:
    """A reader's heavy statement was answered by running it: refresh it after changes."""
    if not refreshing():
        return
    key, now, entry = _key("asked"), time.time(), (sql, list(params))
    others = [item for item in asked(with_times=True) if item[:2] != entry]
    limit = settings.SANDYQ_SEARCH_REFRESHED_QUERIES
    cache.set(key, [(*entry, now), *others][:limit], settings.SANDYQ_SEARCH_CACHE_SECONDS)


def asked(with_times: bool = False) -> list:
    """The heavy statements asked lately, newest first, as (sql, params)."""
    if not refreshing():
        return []
    oldest = time.time() - settings.SANDYQ_SEARCH_CACHE_SECONDS
    items = [item for item in cache.get(_key("asked"), []) if item[2] > oldest]
    return items if with_times else [(sql, params) for sql, params, _at in items]


def claim_refresh() -> bool:
    """True for the one change that schedules a refresh while none is waiting
    (``search.tasks.index_changed``)."""
    return cache.add(_key("pending"), True, PENDING_SECONDS)


def refresh_started() -> None:
    """From now on a committed change schedules another refresh."""
    cache.delete(_key("pending"))
