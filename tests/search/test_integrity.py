"""A broken search index is noticed: by ``manage.py check``, in the log and by staff.

The index is broken the way a bad restore or migration breaks it, with raw
SQL behind the ORM's back; ``rebuild_search_index`` repairs it.
"""

import io
import logging

import pytest

from django.core import checks
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation

from home import roles
from search import integrity
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BANNER = "The search index is incomplete or empty"


@pytest.fixture(autouse=True)
def fresh_verdict():
    integrity.forget()
    yield
    integrity.forget()


def w003():
    messages = checks.run_checks(databases=["default"])
    return [message for message in messages if message.id == "search.W003"]


def search_as(client, user, query="партия"):
    if user is not None:
        client.force_login(user)
    with translation.override("en"):
        response = client.get(reverse("search:public"), {"q": query})
    assert response.status_code == 200
    return response


def delete_full_text_rows():
    """What the issue did: the FTS5 index (SQLite) or the texts it is built on lose their rows."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO search_entry_fts(search_entry_fts) VALUES ('delete-all')")
        else:
            cursor.execute("DELETE FROM search_searchtext")


def delete_texts():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_searchtext")


@pytest.fixture
def editor(party):
    user = UserFactory(username="karaganda.search.editor")
    roles.grant(roles.EDITOR, user, party.karaganda)
    return user


def test_a_whole_index_passes_the_check_and_shows_no_banner(party, client):
    assert not integrity.measure().broken
    assert w003() == []
    response = search_as(client, party.users.admin)
    assert response.context["results"].total > 0
    assert BANNER not in response.content.decode()


@pytest.mark.parametrize("break_index", [delete_full_text_rows, delete_texts])
def test_an_emptied_index_is_reported_and_rebuilt(party, client, editor, caplog, break_index):
    break_index()

    health = integrity.measure()
    assert health.broken and health.indexed == 0 and health.expected > 0
    [warning] = w003()
    assert warning.level == checks.WARNING
    assert "rebuild_search_index" in warning.hint

    with caplog.at_level(logging.ERROR, logger="sandyq.search"):
        staff = search_as(client, editor)
    assert staff.context["results"].total == 0
    assert BANNER in staff.content.decode()
    assert any(
        record.name == "sandyq.search"
        and record.levelno == logging.ERROR
        and "broken index" in record.getMessage()
        for record in caplog.records
    )
    client.logout()
    for reader in (None, party.users.reader):  # readers are not alarmed
        assert BANNER not in search_as(client, reader).content.decode()

    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out, stderr=io.StringIO())

    assert not integrity.measure().broken
    assert w003() == []
    repaired = search_as(client, editor)
    assert repaired.context["results"].total > 0
    assert BANNER not in repaired.content.decode()


def test_a_partly_emptied_index_is_out_of_step(party):
    health = integrity.measure()
    keep = health.expected // 2 - integrity.TOLERATED_MISSING
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM search_searchtext WHERE page_id NOT IN "
            "(SELECT page_id FROM search_searchtext ORDER BY page_id LIMIT %s)",
            [max(keep, 1)],
        )

    broken = integrity.measure()
    assert 0 < broken.indexed < health.expected
    assert broken.broken
    assert w003()


def test_a_few_pages_waiting_for_the_worker_are_tolerated(party):
    before = integrity.measure()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM search_searchtext WHERE page_id IN "
            "(SELECT page_id FROM search_searchtext ORDER BY page_id LIMIT 1)"
        )

    health = integrity.measure()
    assert health.missing == before.missing + 1
    assert not health.broken
    assert w003() == []


def test_a_healthy_verdict_is_not_measured_again_for_a_minute(party, django_assert_num_queries):
    assert integrity.guard() is None
    with django_assert_num_queries(0):
        assert integrity.guard() is None
