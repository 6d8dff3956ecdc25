"""A heavy query's answer kept in the shared cache on PostgreSQL (``search.engines.kept``).

The answer (ids, total, facet counts) is keyed by the search statement, so by
the reader's access tokens too, and trusted only while no transaction outside
the snapshot it was read under has committed a change of the entries, their
text or their access tokens. These tests commit for real (a kept answer is
never written inside a transaction that has written anything, which every
test in a rolled-back transaction has), and hold the kept answers to what the
statement answers now: any change is seen by the very next search, whoever
made it and however; a change committed by another connection while the
answer was being read is not trusted; a reader never gets another reader's
answer; and without the triggers nothing is kept.
"""

import threading

import pytest

from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from search import checks, service
from search.engines import kept
from tests.search.conftest import SECRET, build_corpus
from tests.search.test_heavy import READERS, every_query_heavy, no_query_heavy
from tests.search.test_heavy_kept import (
    CHANGES,
    access_given_by_raw_sql,
    access_taken_by_raw_sql,
    answer,
    found,
    raw,
    text_loses_the_word_by_raw_sql,
)
from tests.search.test_leaks import visible_secret_titles

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="answers are kept on PostgreSQL; SQLite keeps its heavy queries' ids instead",
    ),
]


@pytest.fixture
def party(monkeypatch):
    every_query_heavy(monkeypatch)
    return build_corpus()


def statements(search):
    """What ``search()`` returns, and how many search statements it ran."""
    with CaptureQueriesContext(connection) as captured:
        result = search()
    return result, sum("hits AS MATERIALIZED" in query["sql"] for query in captured)


def test_a_repeated_heavy_search_is_answered_without_running_its_statement(party):
    admin = party.users.admin
    first, ran = statements(lambda: answer(admin))
    again, ran_again = statements(lambda: answer(admin))
    assert first[0] and again == first
    assert ran == 1 and ran_again == 0
    # another sort, page size or filter is another statement, kept apart
    newest, ran = statements(lambda: answer(admin, sort="newest"))
    assert ran == 1 and sorted(newest[1]) == sorted(first[1])
    assert statements(lambda: answer(admin, sort="newest"))[1] == 0


def test_an_ordinary_query_is_not_kept(party, monkeypatch):
    no_query_heavy(monkeypatch)
    admin = party.users.admin
    assert statements(lambda: answer(admin))[1] == 1
    assert statements(lambda: answer(admin))[1] == 1


def test_nothing_is_kept_when_the_setting_is_zero(party, settings):
    settings.SANDYQ_SEARCH_CACHE_SECONDS = 0
    admin = party.users.admin
    assert statements(lambda: answer(admin))[1] == 1
    assert statements(lambda: answer(admin))[1] == 1


@pytest.mark.parametrize("who", READERS)
def test_a_reader_never_gets_the_answer_kept_for_another(party, client, who):
    """The superuser's answer is kept first; each reader's own comes from their tokens."""
    for _ in range(2):
        answer(party.users.admin, SECRET)
        answer(party.users.admin)
    user = getattr(party.users, who)
    results = service.search(user, SECRET, scope=service.ARCHIVE, per_page=50)
    assert {r.title for r in results.results} == visible_secret_titles(party, who)
    assert results.total == len(visible_secret_titles(party, who))
    if who == "anonymous":  # and on the public search page itself, twice
        for _ in range(2):
            page = client.get("/kk/search/", {"q": "партия"}).content.decode()
            assert "Партия туралы ереже" in page
            assert SECRET not in page


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_is_seen_by_the_very_next_heavy_search(party, change):
    for who in READERS:
        answer(getattr(party.users, who))
    assert statements(lambda: answer(party.users.admin))[1] == 0  # kept
    who, page_id, present = change(party)
    user = getattr(party.users, who)
    assert (page_id in found(user)) is present
    # the new answer is kept in its turn
    assert statements(lambda: answer(user))[1] == 0


def test_a_change_committed_while_the_answer_was_read_is_not_trusted(party):
    """The changing transaction began before the search and commits after it.

    A counter or a sequence read with the answer would call that answer
    current, and so would "nothing newer than the snapshot's horizon": a later
    transaction has committed meanwhile, so the running one is below it. The
    snapshot the answer was read under lists it as still running.
    """
    admin, rules = party.users.admin, party.docs.rules.pk
    written, release, done = threading.Event(), threading.Event(), threading.Event()

    def other_connection():
        try:
            with transaction.atomic():
                text_loses_the_word_by_raw_sql(party)
                written.set()
                release.wait(30)
        finally:
            connections.close_all()
            done.set()

    worker = threading.Thread(target=other_connection)
    worker.start()
    try:
        assert written.wait(30)
        raw("SELECT pg_current_xact_id()", [])  # a later transaction commits first
        assert rules in found(admin)  # read (and kept) while the change is uncommitted
    finally:
        release.set()
        worker.join(30)
    assert done.is_set()
    assert rules not in found(admin)


def test_a_transaction_sees_its_own_change_and_a_rolled_back_one_leaves_the_answer_kept(party):
    admin, rules = party.users.admin, party.docs.rules.pk
    answer(admin)
    with pytest.raises(RuntimeError), transaction.atomic():
        text_loses_the_word_by_raw_sql(party)
        assert rules not in found(admin)
        assert rules not in found(admin)  # not answered from before its change
        raise RuntimeError("rolled back")
    # nothing was committed: the answer kept before still holds, and is right
    result, ran = statements(lambda: found(admin))
    assert rules in result and ran == 0


def test_an_answer_read_inside_a_writing_transaction_is_not_kept(party):
    admin = party.users.admin
    with transaction.atomic():
        raw("SELECT pg_current_xact_id()", [])  # a transaction id of its own, no change
        answer(admin)
    assert statements(lambda: answer(admin))[1] == 1


def test_without_the_triggers_nothing_is_kept_or_trusted(party):
    admin, rules = party.users.admin, party.docs.rules.pk
    answer(admin)
    raw(f"ALTER TABLE search_searchtext DISABLE TRIGGER {kept.TRIGGERS[1]}", [])
    try:
        text_loses_the_word_by_raw_sql(party)  # unrecorded
        result, ran = statements(lambda: found(admin))
        assert rules not in result and ran == 1
        assert statements(lambda: found(admin))[1] == 1
        [warning] = checks.change_log_is_written(databases=["default"])
        assert warning.id == "search.W004" and kept.TRIGGERS[1] in warning.msg
    finally:
        raw(f"ALTER TABLE search_searchtext ENABLE TRIGGER {kept.TRIGGERS[1]}", [])
    assert statements(lambda: found(admin))[1] == 1
    assert statements(lambda: found(admin))[1] == 0
    assert checks.change_log_is_written(databases=["default"]) == []


def recorded() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {kept.LOG}")  # noqa: S608 - our table's name
        return cursor.fetchone()[0]


def test_the_triggers_record_each_changing_transaction_once(party):
    before = recorded()
    with transaction.atomic():
        access_taken_by_raw_sql(party)
        access_given_by_raw_sql(party)
        text_loses_the_word_by_raw_sql(party)
    assert recorded() == before + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        access_taken_by_raw_sql(party)
        raise RuntimeError("rolled back")
    assert recorded() == before + 1
