"""Sandyq's own search index on the database: one row per searchable page.

Wagtail's database backend keeps one text blob per object and cannot put the
access policy, facets or an exact-over-stem ranking inside its query, and at
100k documents it is unusable on SQLite and scans the whole table on
PostgreSQL (``docs/search.md``, ``benchmarks/search.py``). So the search app keeps
this table, written by ``search.indexing`` whenever a page, its file text or
its place in the tree changes, and lets the full-text engine pick candidates
from it before anything else is joined:

* on SQLite an FTS5 table (``search_entry_fts``, external content: it stores
  no second copy of the text) indexes the four token columns of
  ``SearchText``, kept in step by triggers, so a cascade delete or a test
  flush cannot leave it stale;
* on PostgreSQL a stored ``tsvector`` column of ``SearchText`` (``vector``,
  the four token columns weighted A-D with the ``simple`` configuration)
  under a GIN index.

Both are made by migration 0001 for the database it runs on and are not model
fields, so the ORM never reads them. A later migration that rebuilds this table
on SQLite (altering a column does) drops the triggers with it and must run
0001's ``SQLITE_SCHEMA`` statements again (they are idempotent).

The facet columns (region, type, year, language, status) are copied here so
counting them never touches the page tables. Access is decided by the
``docs_library.access`` tokens: on PostgreSQL by an ``EXISTS`` on
``DocumentAccess`` at query time; on SQLite from arrays in memory that a
change log (``SearchChange``, written by triggers on this table, on
``SearchText`` and on ``DocumentAccess``) keeps in step
(``search.engines.columns``). A migration that rebuilds any of them on SQLite
drops those triggers too and must make them again (the ``TRIGGERS`` of
migrations 0003 and 0006); the ``search.E002`` check says so.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    ANNOUNCEMENT = "announcement", _("Announcement")
    ORGANISATION = "organisation", _("Organisation")


class EntryStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    ARCHIVED = "archived", _("Archived")


class SearchEntry(models.Model):
    page = models.OneToOneField(
        "wagtailcore.Page", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    title = models.CharField(max_length=255)
    registration_number = models.CharField(max_length=50, blank=True)
    # The registration number's parts joined (№ 02-05/117 → 02x05x117): a query
    # equal to it puts the document first.
    registration_key = models.CharField(max_length=64, blank=True, db_index=True)

    entry_type = models.CharField(max_length=20)
    date = models.DateField(null=True)
    year = models.PositiveSmallIntegerField(null=True)
    language = models.CharField(max_length=5, blank=True)
    region = models.ForeignKey(
        "wagtailcore.Page", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(
        max_length=10, choices=EntryStatus.choices, default=EntryStatus.CURRENT
    )

    analyser_version = models.PositiveSmallIntegerField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self):
        return f"{self.kind} {self.page_id}: {self.title}"


class SearchText(models.Model):
    """A page's tokens, kept apart from its entry so entry rows stay small.

    A search reads the entry row of every candidate (facets, access, ranking
    keys); with kilobytes of tokens in the same row, SQLite would read a page
    or more per candidate. The full-text index is built over this table.
    """

    entry = models.OneToOneField(
        SearchEntry,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="text",
        db_column="page_id",
    )
    # Normalised words as written (exact matches) and analysed keys (stems,
    # folded Latin), for the title (with number and keywords) and for the text
    # (summary, body, file text); space-separated, in text order.
    title_words = models.TextField(blank=True)
    title_keys = models.TextField(blank=True)
    text_words = models.TextField(blank=True)
    text_keys = models.TextField(blank=True)

    class Meta:
        verbose_name = _("search text")
        verbose_name_plural = _("search texts")

    def __str__(self):
        return f"text of {self.entry_id}"


class SearchChange(models.Model):
    """A page whose entry, text or access tokens changed (SQLite only; search migrations
    0003 and 0006).

    Written by triggers on ``SearchEntry``, ``SearchText`` and ``DocumentAccess``
    in the same transaction as the change, read by ``search.engines.columns`` to
    keep each process's arrays in step, and by ``search.engines.sqlite`` to know
    whether a heavy query's ids kept in memory still hold. ``stamp`` is random,
    so a process can tell the row it applied last from another that took its
    number after a rollback.
    The triggers keep the newest 10,000 rows.
    """

    seq = models.AutoField(primary_key=True)
    page_id = models.IntegerField()
    stamp = models.BigIntegerField()

    class Meta:
        verbose_name = _("search change")
        verbose_name_plural = _("search changes")

    def __str__(self):
        return f"change {self.seq}: page {self.page_id}"
