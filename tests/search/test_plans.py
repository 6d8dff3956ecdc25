"""The full-text index chooses the candidates; access and facets are joined to them.

Stock Wagtail search walks every index entry and is unusable at scale
(``docs/search.md``, ``benchmarks/search.py``); these tests keep Sandyq's
statement from drifting into such a plan on either database.

SQLite's plan does not depend on table sizes (an FTS5 ``MATCH`` is always
the virtual table's). PostgreSQL's does: on a dozen rows any path looks as
cheap as another, and on a real archive the planner reads the text table
whole for any word in a fair share of the documents, because it does not
count the vectors it must detoast on the way (``search.engines.database``).
So there the corpus is first grown to an archive of a few thousand entries
with vectors of kilobytes, in which some words are in nearly every entry, and
analysed, as a real archive would be; then every shape of query is planned
as the engine runs it (``planned``: its own planner settings, nothing more)
and must find its candidates through the GIN index.
"""

import datetime
import random
import re

import pytest

from django.db import connection

from home.models import PrimaryOrganisationPage
from search import analysis, service
from search.engines.base import EngineRequest, SearchFilters
from search.engines.database import DatabaseEngine, planned
from search.models import EntryKind, SearchEntry, SearchText
from search.query import parse
from tests.docs_library.lifecycle import bulk_organisations

pytestmark = pytest.mark.django_db

FILLER_ENTRIES = 3000
# In nearly every filler entry, as «партия» is in every real record.
COMMON_WORDS = [
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
RARE_WORDS = 4000  # made-up words, each in a few per cent of the entries


def grow_archive(party):
    """Entries with vectors of several kilobytes, then fresh planner statistics."""
    pages = bulk_organisations(party.almaly, PrimaryOrganisationPage, FILLER_ENTRIES, "Толтырма")
    rng = random.Random(7)
    letters = "абвгдежзиклмнопрстуқғңөұүһі"
    rare = ["".join(rng.choices(letters, k=9)) for _ in range(RARE_WORDS)]
    entries, texts = [], []
    for number, page in enumerate(pages.only("pk", "path", "title")):
        entries.append(
            SearchEntry(
                page_id=page.pk,
                kind=EntryKind.ORGANISATION,
                title=page.title,
                entry_type="organisation",
                date=datetime.date(2015, 1, 1) + datetime.timedelta(days=number),
                year=2015 + number // 365,
                language="kk",
                path=page.path,
                region_id=party.almaty.pk,
                analyser_version=analysis.ANALYSER_VERSION,
            )
        )
        words = " ".join(rng.choices(COMMON_WORDS, k=150) + rng.choices(rare, k=350))
        texts.append(SearchText(entry_id=page.pk, text_words=words, text_keys=words))
    SearchEntry.objects.bulk_create(entries, batch_size=500)
    SearchText.objects.bulk_create(texts, batch_size=500)
    with connection.cursor() as cursor:
        # New GIN entries wait in the index's pending list, which the planner
        # prices as a full read; a real archive's have long been merged.
        for index in ("search_text_vector", "search_text_words", "search_text_keys"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        for table in ("search_searchentry", "search_searchtext", "docs_library_documentaccess"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 - fixed names


def shapes(party):
    """Every shape of query the archive and the public search send, by name."""
    reader = party.users.reader
    archive = service.tokens_for(reader, service.ARCHIVE)
    public = service.tokens_for(party.users.anonymous, service.PUBLIC)

    def request(query, tokens=archive, sort="relevance", **filters):
        return EngineRequest(
            query=parse(query), tokens=tokens, filters=SearchFilters(**filters), sort=sort
        )

    current = {"status": "current"}
    return {
        "rare word": request("партия"),
        "common word (heavy)": request("жиналыс"),
        "common words, another form": request("жиналыстар есептің"),
        "two common words": request("жиналыс хаттама"),
        "a rare and a common word": request("партия жиналыс"),
        "phrase": request('"жиналыс есеп"'),
        "excluded word": request("жиналыс -бюджет"),
        "registration number": request("02-05/117"),
        "facets": request("жиналыс", facets={"type": "organisation", "year": 2016}),
        "subtree, dates": request(
            "жиналыс",
            organisation_path=party.almaty.path,
            date_from=datetime.date(2016, 1, 1),
            date_to=datetime.date(2017, 1, 1),
        ),
        "archive status facet": request("жиналыс хаттама", facets=current),
        "newest first": request("жиналыс", sort="newest"),
        "oldest first, page 3": EngineRequest(
            query=parse("есеп"), tokens=archive, filters=SearchFilters(), sort="oldest", offset=20
        ),
        "public scope": request("жиналыс", tokens=public, status="current"),
        "superuser": request("жиналыс", tokens=None),
    }


def explain(sql, params) -> str:
    """The plan of a statement as the engine runs it."""
    engine = DatabaseEngine()
    with planned(engine.dialect) as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(row[-1] for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def index_problems(plan: str) -> list[str]:
    """What in a PostgreSQL plan reads the search tables other than by their indexes.

    A one-word query's candidates come from the unweighted GIN indexes of
    words and keys (search migration 0005), which need no second look at the
    row; other queries' from the weighted vector's GIN index; excluded words
    of a one-word query are tested on the candidates' vectors (``c``). The
    words' and keys' index functions tested row by row would parse the text.
    """
    problems = []
    if not re.search(r"Bitmap Index Scan on search_text_(words|keys|vector)", plan):
        problems.append("no GIN index of the search text is used")
    for line in plan.splitlines():
        line = line.strip()
        if line.startswith("->"):
            line = line[2:].strip()
        if line.startswith("Seq Scan on search_search"):
            problems.append(line)
        if line.startswith("Filter:") and "sandyq_search_" in line:
            problems.append(f"the text parsed row by row: {line}")
        if line.startswith("Filter:") and "@@" in line and "c.vector" not in line:
            problems.append(f"the match tested row by row: {line}")
    return problems


@pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL's planner")
def test_every_query_shape_finds_its_candidates_through_the_index(party):
    grow_archive(party)
    engine = DatabaseEngine()
    failures = {}
    for name, request in shapes(party).items():
        plan = explain(*engine.statement(request))
        problems = index_problems(plan)
        if problems:
            failures[name] = (problems, plan)
    assert not failures, "\n\n".join(
        f"{name}: {problems}\n{plan}" for name, (problems, plan) in failures.items()
    )


@pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL's planner")
def test_a_heavy_query_reads_no_vector_to_rank_and_a_light_one_does(party):
    """In the grown archive «жиналыс» is in nearly every entry: heavy, ordered by date."""
    grow_archive(party)
    engine = DatabaseEngine()
    tokens = service.tokens_for(party.users.reader, service.ARCHIVE)

    def rank_lookups(query):
        request = EngineRequest(query=parse(query), tokens=tokens, filters=SearchFilters())
        sql, params = engine.statement(request)
        with planned(engine.dialect) as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        [line] = [line for line in plan if "Index Scan using search_searchtext_pkey" in line]
        return line

    assert "never executed" in rank_lookups("жиналыс")
    assert "never executed" not in rank_lookups("партия")


@pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL's planner")
def test_autocomplete_reads_no_table_whole(party):
    grow_archive(party)
    engine = DatabaseEngine()
    tokens = service.tokens_for(party.users.reader, service.ARCHIVE)
    for prefix in (["жин"], ["парт"], ["толтырма", "1"]):
        plan = explain(*engine.autocomplete_statement(prefix, tokens, "", 8))
        assert "Seq Scan on search_search" not in plan, plan


def plan(party, query="партия"):
    request = EngineRequest(
        query=parse(query),
        tokens=service.tokens_for(party.users.reader, service.ARCHIVE),
        filters=SearchFilters(facets={"type": "decision"}),
    )
    if connection.vendor != "sqlite":
        grow_archive(party)
    return explain(*DatabaseEngine().statement(request)).splitlines()


def test_the_full_text_index_comes_first(party):
    lines = plan(party)
    if connection.vendor == "sqlite":
        first_scan = next(line for line in lines if line.startswith(("SCAN", "SEARCH")))
        assert first_scan.startswith("SCAN search_entry_fts VIRTUAL TABLE")
        assert any("USING INTEGER PRIMARY KEY" in line for line in lines)
        assert not any(line.startswith("SCAN e") for line in lines)  # never every entry
    else:
        text = "\n".join(lines)
        assert not index_problems(text), text


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
