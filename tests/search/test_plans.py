"""The full-text index chooses the candidates; access and facets are joined to them.

Stock Wagtail search walks every index entry and is unusable at scale
(``docs/search.md``, ``benchmarks/search.py``); these tests keep Sandyq's
statement from drifting into such a plan on either database.

SQLite's plan does not depend on table sizes (an FTS5 ``MATCH`` is always
the virtual table's). PostgreSQL's planner reads a handful of rows
sequentially whatever the indexes, and on a dozen rows any index path may
look as cheap as another; so there the corpus is first grown to an archive of
a few thousand entries the query does not match and analysed, as a real
archive would be, and sequential scans are priced out.
"""

import random

import pytest

from django.db import connection

from home.models import PrimaryOrganisationPage
from search import analysis, service
from search.engines.base import EngineRequest, SearchFilters
from search.engines.database import DatabaseEngine
from search.models import EntryKind, SearchEntry, SearchText
from search.query import parse
from tests.docs_library.lifecycle import bulk_organisations

pytestmark = pytest.mark.django_db

FILLER_ENTRIES = 4000
FILLER_WORDS = [
    "жиналыс",
    "есеп",
    "хаттама",
    "бюджет",
    "жоспар",
    "мектеп",
    "аудан",
    "қала",
    "ауыл",
    "жол",
    "су",
    "жер",
]


def grow_archive(party):
    """Entries the queries below do not match, then fresh planner statistics."""
    pages = bulk_organisations(party.almaly, PrimaryOrganisationPage, FILLER_ENTRIES, "Толтырма")
    rng = random.Random(7)
    entries, texts = [], []
    for page in pages.only("pk", "path", "title"):
        entries.append(
            SearchEntry(
                page_id=page.pk,
                kind=EntryKind.ORGANISATION,
                title=page.title,
                entry_type="organisation",
                path=page.path,
                region_id=party.almaty.pk,
                analyser_version=analysis.ANALYSER_VERSION,
            )
        )
        words = " ".join(rng.choices(FILLER_WORDS, k=300))
        texts.append(SearchText(entry_id=page.pk, text_words=words, text_keys=words))
    SearchEntry.objects.bulk_create(entries, batch_size=1000)
    SearchText.objects.bulk_create(texts, batch_size=1000)
    with connection.cursor() as cursor:
        # New GIN entries wait in the index's pending list, which the planner
        # prices as a full read; a real archive's have long been merged.
        cursor.execute("SELECT gin_clean_pending_list('search_text_vector'::regclass)")
        for table in ("search_searchentry", "search_searchtext", "docs_library_documentaccess"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 - fixed names


def plan(party, query="партия"):
    request = EngineRequest(
        query=parse(query),
        tokens=service.tokens_for(party.users.reader, service.ARCHIVE),
        filters=SearchFilters(facets={"type": "decision"}),
    )
    sql, params = DatabaseEngine().statement(request)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [row[-1] for row in cursor.fetchall()]
        grow_archive(party)
        # Reading a table whole is the plan stock Wagtail search falls into;
        # priced out, what is left shows whether an index serves the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def test_the_full_text_index_comes_first(party):
    lines = plan(party)
    if connection.vendor == "sqlite":
        first_scan = next(line for line in lines if line.startswith(("SCAN", "SEARCH")))
        assert first_scan.startswith("SCAN search_entry_fts VIRTUAL TABLE")
        assert any("USING INTEGER PRIMARY KEY" in line for line in lines)
        assert not any(line.startswith("SCAN e") for line in lines)  # never every entry
    else:
        text = "\n".join(lines)
        assert "Bitmap Index Scan on search_text_vector" in text, text
        assert "Seq Scan on search_searchentry" not in text, text
        assert "Seq Scan on search_searchtext" not in text, text


def test_access_is_checked_through_an_index(party):
    text = "\n".join(plan(party))
    assert "documentaccess" in text
    assert "SCAN a\n" not in text + "\n" and "Seq Scan on docs_library_documentaccess" not in text


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own engine")
def test_the_sqlite_engine_reads_no_table_whole(party):
    """Every statement of a search with every filter is an FTS5 query or an index lookup."""
    from django.test.utils import CaptureQueriesContext

    from search.engines.sqlite import SQLiteEngine

    request = EngineRequest(
        query=parse("партия 02-05/117"),
        tokens=service.tokens_for(party.users.reader, service.ARCHIVE),
        filters=SearchFilters(facets={"type": "decision"}, organisation_path=party.karaganda.path),
    )
    SQLiteEngine().search(request)  # the arrays are loaded once, reading the tables whole
    with CaptureQueriesContext(connection) as queries:
        SQLiteEngine().search(request)
    statements = [query["sql"] for query in queries.captured_queries]
    assert any("MATCH" in sql for sql in statements)
    with connection.cursor() as cursor:
        for sql in statements:
            if sql.startswith("PRAGMA"):
                continue
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            for line in (row[-1] for row in cursor.fetchall()):
                if line.startswith("SCAN"):
                    assert "VIRTUAL TABLE" in line or "sqlite_" in line, (sql, line)
