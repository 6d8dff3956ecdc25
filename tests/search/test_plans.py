"""The full-text index chooses the candidates; access and facets are joined to them.

Stock Wagtail search walks every index entry and is unusable at scale
(``shared/reference/SEARCH-PERFORMANCE.md``); these tests keep Sandyq's
statement from drifting into such a plan on either database.
"""

import pytest

from django.db import connection

from search import service
from search.engines.base import EngineRequest, SearchFilters
from search.engines.database import DatabaseEngine
from search.query import parse

pytestmark = pytest.mark.django_db


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
        # A handful of rows would be read sequentially anyway; ask what an index
        # scan looks like, as the planner chooses it on a real archive.
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
        assert "search_text_vector" in text
        assert "Seq Scan on search_searchentry" not in text


def test_access_is_checked_through_the_token_index(party):
    text = "\n".join(plan(party))
    assert "documentaccess" in text
    if connection.vendor == "sqlite":
        assert "COVERING INDEX" in text
