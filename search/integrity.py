"""Whether the database search index holds what it should.

A lost full-text table, a restore without it or a bad migration leaves search
answering "0 results" with HTTP 200, which nobody notices. So the number of
indexed pages is compared with the number of pages that should be indexed
(live pages of the searched types, ``indexing.searched_models``): the
``search.W003`` check does it on ``manage.py check --database default``, and
the search service does it at most once a minute per process while the
answer is "healthy", on every search while it is not, logging an error and
telling staff on the search page. ``manage.py rebuild_search_index`` repairs.

A page counts as indexed when it has an entry, its text, and (on SQLite) a
row in the FTS5 index, which is external-content and can lose its rows
without the tables it indexes noticing. Elasticsearch keeps its own index and
is not looked at here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from wagtail.models import Page

from search.engines import rows
from search.indexing import searched_models
from search.models import SearchEntry, SearchText

logger = logging.getLogger("sandyq.search")

#: Missing pages tolerated before the index counts as out of step: indexing
#: runs in tasks, so a few new pages may wait for the worker.
TOLERATED_MISSING = 5
TOLERATED_SHARE = 0.1
#: A healthy verdict is trusted this long; a broken one is checked again each time.
CHECK_INTERVAL = 60.0
LOG_INTERVAL = 60.0


@dataclass(frozen=True)
class IndexHealth:
    expected: int
    entries: int
    texts: int
    full_text: int

    @property
    def indexed(self) -> int:
        return min(self.entries, self.texts, self.full_text)

    @property
    def missing(self) -> int:
        return max(self.expected - self.indexed, 0)

    @property
    def broken(self) -> bool:
        if not self.expected:
            return False
        tolerated = max(TOLERATED_MISSING, self.expected * TOLERATED_SHARE)
        return self.indexed == 0 or self.missing > tolerated

    def describe(self) -> str:
        return (
            f"the search index holds {self.indexed} of the {self.expected} pages it should "
            f"({self.entries} entries, {self.texts} texts, {self.full_text} full-text rows)"
        )


def expected_count() -> int:
    content_types = ContentType.objects.get_for_models(*searched_models()).values()
    return Page.objects.live().filter(content_type__in=list(content_types)).count()


def full_text_count(entries_texts: int) -> int:
    """Rows in the full-text index: FTS5's own on SQLite; the texts themselves elsewhere."""
    if connection.vendor != "sqlite":
        return entries_texts  # PostgreSQL's tsvector is a generated column of the text
    return rows.sqlite_full_text_rows()


def measure() -> IndexHealth:
    texts = SearchText.objects.count()
    return IndexHealth(
        expected=expected_count(),
        entries=SearchEntry.objects.count(),
        texts=texts,
        full_text=full_text_count(texts),
    )


_healthy_until = 0.0
_logged_at = -LOG_INTERVAL


def forget() -> None:
    """Check again at the next search (after a rebuild, and in tests)."""
    global _healthy_until, _logged_at
    _healthy_until, _logged_at = 0.0, -LOG_INTERVAL


def guard() -> IndexHealth | None:
    """The index's health when it is broken, else None; cheap while it is healthy."""
    global _healthy_until, _logged_at
    now = time.monotonic()
    if now < _healthy_until:
        return None
    health = measure()
    if not health.broken:
        _healthy_until = now + CHECK_INTERVAL
        return None
    if now - _logged_at >= LOG_INTERVAL:
        _logged_at = now
        logger.error(
            "Search answers from a broken index: %s. Run manage.py rebuild_search_index.",
            health.describe(),
        )
    return health


def repair() -> dict[str, int]:
    """Make the entries, their texts and the full-text index agree again.

    Entries without text (and texts without entry) are dropped, so the
    rebuild writes them again; on
    SQLite the FTS5 index is rebuilt from the texts when it holds another
    number of rows than they are.
    """
    dropped, _ = SearchEntry.objects.filter(text__isnull=True).delete()
    SearchText.objects.exclude(entry_id__in=SearchEntry.objects.values("pk")).delete()
    refilled = 0
    if connection.vendor == "sqlite":
        texts = SearchText.objects.count()
        if full_text_count(texts) != texts:
            rows.rebuild_sqlite_full_text()
            refilled = texts
    forget()
    return {"dropped": dropped, "refilled": refilled}
