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
import time
from types import SimpleNamespace

import pytest

from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings

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
    publish_new_record,
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


# Answered again after a change (``tasks.index_changed``, ``refresh_kept_answers_task``)


@pytest.fixture
def refreshed(settings):
    settings.SANDYQ_SEARCH_REFRESHED_QUERIES = 20
    cache.delete(kept._key("asked"))
    cache.delete(kept._key("pending"))


def fresh(user, query="партия", **kwargs):
    """The answer computed now, nothing kept or looked up."""
    with override_settings(SANDYQ_SEARCH_CACHE_SECONDS=0):
        return answer(user, query, **kwargs)


@pytest.mark.parametrize("who", READERS)
def test_after_a_publish_the_heavy_queries_asked_lately_are_answered_again(party, refreshed, who):
    """The readers asked; a record is published (its entry written by the task, which
    schedules the refresh when it commits); each reader's next search finds the new
    answer kept, exactly what the statement answers now, without running it."""
    user = getattr(party.users, who)
    before = answer(user)
    assert statements(lambda: answer(user))[1] == 0
    _who, page_id, _present = publish_new_record(party)
    after, ran = statements(lambda: answer(user))
    assert ran == 0
    assert after == fresh(user)
    # a public record: every reader of the archive finds it, counted and listed
    assert page_id in after[1] and page_id not in before[1]
    assert after[0] == before[0] + 1


def test_without_refreshing_a_change_costs_the_next_reader_a_first_search(party, settings):
    settings.SANDYQ_SEARCH_REFRESHED_QUERIES = 0
    admin = party.users.admin
    answer(admin)
    publish_new_record(party)
    assert statements(lambda: answer(admin))[1] == 1
    assert kept.asked() == []


def test_only_heavy_queries_are_asked_again_and_only_the_latest(
    party, refreshed, settings, monkeypatch
):
    settings.SANDYQ_SEARCH_REFRESHED_QUERIES = 2
    admin = party.users.admin
    answer(admin, sort="newest")
    answer(admin, sort="oldest")
    answer(admin)
    assert len(kept.asked()) == 2  # the oldest of the three fell off
    answer(admin, sort="oldest")  # kept: asked again without running, not moved up
    publish_new_record(party)
    assert statements(lambda: answer(admin))[1] == 0
    assert statements(lambda: answer(admin, sort="oldest"))[1] == 0
    assert statements(lambda: answer(admin, sort="newest"))[1] == 1  # not asked lately
    no_query_heavy(monkeypatch)
    cache.delete(kept._key("asked"))
    answer(admin, "ереже")
    assert kept.asked() == []


def test_a_refresh_waiting_to_run_serves_every_change_meanwhile(party, refreshed, monkeypatch):
    """With a worker (not the immediate backend), changes while a refresh waits
    schedule no other; once it has started, the next change schedules one."""
    from search import tasks

    task, enqueued = tasks.refresh_kept_answers_task, []
    waiting = SimpleNamespace(enqueue=lambda: enqueued.append(task))
    monkeypatch.setattr(tasks, "refresh_kept_answers_task", waiting)
    admin = party.users.admin
    answer(admin)
    publish_new_record(party)
    publish_new_record(party)
    assert len(enqueued) == 1
    assert statements(lambda: answer(admin))[1] == 1  # not yet refreshed: a first search
    assert task.call() == 1  # the worker runs it
    publish_new_record(party)
    assert len(enqueued) == 2
    task.call()
    after, ran = statements(lambda: answer(admin))
    assert ran == 0 and after == fresh(admin)


def test_after_inheritance_is_blocked_the_answers_asked_lately_are_answered_again(party, refreshed):
    """A block rewrites the access rows below it and no entry: the refresh follows
    it too, and the reader who lost the record no longer finds it, kept."""
    from home import roles

    reader, secret = party.users.reader, party.docs.secret.pk
    assert secret in answer(reader, SECRET)[1]
    roles.set_inheritance_blocked(party.libraries.igilik, True)
    after, ran = statements(lambda: answer(reader, SECRET))
    assert ran == 0
    assert after == fresh(reader, SECRET) and secret not in after[1]


def test_a_remembered_statement_that_fails_does_not_stop_the_refresh(party, refreshed, caplog):
    """A statement of the code before a deploy may no longer run: it is skipped and
    logged, and the others are answered again."""
    from search import tasks

    admin = party.users.admin
    answer(admin)
    broken = ("SELECT no_such_column FROM search_searchentry", [])
    key = kept._key("asked")
    cache.set(key, [(*broken, time.time()), *cache.get(key)], 600)
    publish_new_record(party)  # the refresh runs (immediate tasks)
    assert "A remembered search statement failed again" in caplog.text
    after, ran = statements(lambda: answer(admin))
    assert ran == 0 and after == fresh(admin)
    assert tasks.refresh_kept_answers_task.call() == 2
