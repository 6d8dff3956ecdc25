"""A heavy query's ids kept between searches on SQLite (``search.engines.columns.FoundIds``).

Listing every id of a word in nearly every document is most of what a heavy
search still costs on SQLite (docs/search.md, "Heavy words"), so each process
keeps the lists of the last heavy queries and trusts them only while the
change log has not moved since they were read. These tests hold the kept
lists to what FTS5 would answer now: the second search gives the first one's
answer without asking FTS5; any change (through the ORM or raw SQL, of an
entry, its text or its access) is seen by the very next search; a rolled-back
change is not trusted; and one list serves every reader, each of whom still
sees only what they may open. On the small corpus every query is made heavy.
"""

import pytest

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from docs_library.access import user_tokens
from search import service
from search.engines import columns, rows
from search.engines.base import EngineRequest, SearchFilters
from search.engines.database import DatabaseEngine, SQLiteDialect
from search.engines.sqlite import SQLiteEngine, _ids, _patched, ids_apart
from search.models import SearchEntry
from search.query import parse
from tests.factories import DocumentPageFactory
from tests.search.test_heavy import QUERIES, READERS, every_query_heavy
from tests.search.test_leaks import PRIVATE_WORDS, visible_secret_titles

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="the ids are kept by SQLite's engine; PostgreSQL searches with the statement",
    ),
]


@pytest.fixture(autouse=True)
def heavy(monkeypatch):
    every_query_heavy(monkeypatch)


def answer(user, query="партия", **kwargs):
    results = service.search(user, query, scope=service.ARCHIVE, per_page=50, **kwargs)
    return (
        results.total,
        [result.page_id for result in results.results],
        [(f.name, [(v.value, v.count) for v in f.values]) for f in results.facets],
    )


def found(user, query="партия"):
    return set(answer(user, query)[1])


def listings(search, patches=False):
    """What ``search()`` returns, and how many times it asked FTS5 for every id of a
    match (or, with ``patches``, for the ids among a few changed pages)."""
    with CaptureQueriesContext(connection) as captured:
        result = search()
    asked = [query["sql"] for query in captured if "group_concat(rowid)" in query["sql"]]
    return result, sum(("rowid IN" in sql) is patches for sql in asked)


@pytest.mark.parametrize("query", ["партия", "партия ұйым", '"партия туралы"', "партия -ереже"])
def test_a_repeated_heavy_search_answers_the_same_without_asking_fts5_again(party, query):
    admin = party.users.admin
    first, asked = listings(lambda: answer(admin, query))
    again, asked_again = listings(lambda: answer(admin, query))
    assert first[0] and again == first
    assert asked >= 1 and asked_again == 0
    for sort in ("newest", "oldest"):  # the same list of every match, sorted another way
        assert listings(lambda s=sort: answer(admin, query, sort=s))[1] == 0


def test_one_kept_list_serves_every_reader_with_their_own_visibility(party):
    answer(party.users.admin)  # the admin's search keeps the ids of every match
    fast, statement = SQLiteEngine(), DatabaseEngine("sqlite")
    readers = [getattr(party.users, who) for who in READERS]
    for user in readers:
        tokens = user_tokens(user)
        for sort in ("relevance", "newest"):
            request = EngineRequest(
                query=parse("партия"), tokens=tokens, filters=SearchFilters(), sort=sort, limit=50
            )
            kept, asked = listings(lambda r=request: fast.search(r))
            expected = statement.search(request)
            assert asked == 0
            assert (kept.page_ids, kept.total, kept.facets) == (
                expected.page_ids,
                expected.total,
                expected.facets,
            )


@pytest.mark.parametrize("who", READERS)
def test_ids_kept_from_the_admins_search_show_a_reader_nothing_private(party, who):
    answer(party.users.admin, "партия")
    user = getattr(party.users, who)
    results = service.search(user, "партия", scope=service.ARCHIVE, per_page=50)
    allowed = visible_secret_titles(party, who)
    private = (party.docs.secret, party.docs.members, party.docs.restricted, party.docs.draft)
    shown = " ".join(f"{r.title} {r.snippet}" for r in results.results)
    for page in private:
        if page.title not in allowed:
            assert page.pk not in {r.page_id for r in results.results}
            assert page.title not in shown
    if who == "anonymous":
        assert not any(word in shown for word in PRIVATE_WORDS)


def raw(sql, params):
    with connection.cursor() as cursor:  # no signal, no indexing: only the triggers see this
        cursor.execute(sql, params)


def publish_new_record(party):
    record = DocumentPageFactory(
        parent=party.libraries.central, title="Партия съезінің қарары", language="kk"
    )
    return "admin", record.pk, True


def unpublish(party):
    party.docs.rules.unpublish()
    return "admin", party.docs.rules.pk, False


def open_to_everyone(party):
    party.docs.members.access_level = "public"
    party.docs.members.save()
    return "anonymous", party.docs.members.pk, True


def text_loses_the_word_by_raw_sql(party):
    raw(
        "UPDATE search_searchtext SET title_words = 'ереже', title_keys = 'ереже', "
        "text_words = '', text_keys = '' WHERE page_id = %s",
        [party.docs.rules.pk],
    )
    return "admin", party.docs.rules.pk, False


def access_taken_by_raw_sql(party):
    raw("DELETE FROM docs_library_documentaccess WHERE page_id = %s", [party.docs.report.pk])
    return "anonymous", party.docs.report.pk, False


def access_given_by_raw_sql(party):
    raw(
        "INSERT INTO docs_library_documentaccess(page_id, token) VALUES (%s, 'public')",
        [party.docs.restricted.pk],
    )
    return "anonymous", party.docs.restricted.pk, True


#: Every kind of change a kept answer must notice (also ``test_kept_answers.py``).
CHANGES = [
    publish_new_record,
    unpublish,
    open_to_everyone,
    text_loses_the_word_by_raw_sql,
    access_taken_by_raw_sql,
    access_given_by_raw_sql,
]


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_is_seen_by_the_very_next_heavy_search(party, change):
    for who in READERS:
        answer(getattr(party.users, who))
    assert listings(lambda: answer(party.users.admin))[1] == 0  # kept
    who, page_id, present = change(party)
    assert (page_id in found(getattr(party.users, who))) is present
    # and the answer is the statement's, now kept again
    user = getattr(party.users, who)
    assert answer(user) == answer(user)


@pytest.mark.parametrize(
    "change",
    [publish_new_record, unpublish, text_loses_the_word_by_raw_sql, access_taken_by_raw_sql],
)
def test_after_an_edit_only_the_changed_pages_are_asked_again(party, change):
    """The kept lists are patched, not listed again, and give the statement's answer."""
    for page in vars(party.docs).values():  # an earlier test may have changed them in memory
        page.refresh_from_db()
    for who in READERS:
        answer(getattr(party.users, who))
    who, page_id, present = change(party)
    user = getattr(party.users, who)
    (_total, ids, _facets), full = listings(lambda: answer(user))
    assert (page_id in ids) is present
    assert full == 0
    assert listings(lambda: answer(party.users.admin), patches=True)[1] == 0  # kept again
    request = EngineRequest(
        query=parse("партия"), tokens=user_tokens(user), filters=SearchFilters(), limit=50
    )
    fast, statement = SQLiteEngine().search(request), DatabaseEngine("sqlite").search(request)
    assert (fast.page_ids, fast.total, fast.facets) == (
        statement.page_ids,
        statement.total,
        statement.facets,
    )


def test_a_patched_list_is_what_fts5_lists_now(party):
    """Pages that leave, join and stay in a kept list, at its start, middle and end."""
    admin, dialect = party.users.admin, SQLiteDialect()
    answer(admin)
    first, middle, last = sorted(
        [party.docs.rules, party.docs.tasks, party.docs.report], key=lambda page: page.pk
    )
    for page in (first, last):  # the word taken out
        raw(
            "UPDATE search_searchtext SET title_words = 'ереже', title_keys = 'ереже', "
            "text_words = '', text_keys = '' WHERE page_id = %s",
            [page.pk],
        )
    raw(  # and put in
        "UPDATE search_searchtext SET title_words = 'партия', title_keys = 'партия' "
        "WHERE page_id = %s",
        [party.docs.circulation.pk],
    )
    raw("UPDATE search_searchentry SET language = language WHERE page_id = %s", [middle.pk])
    store = columns.columns_for(connection)
    match = dialect.build(parse("партия"))
    with connection.cursor() as cursor, store.lock:
        store.sync(cursor)
        kept = store.found.get(match, store.version)
        assert kept is not None and len(kept[1]) == 4
    with connection.cursor() as cursor:
        assert list(_patched(cursor, match, kept)) == list(_ids(cursor, match))
    now = found(admin)
    assert middle.pk in now and party.docs.circulation.pk in now
    assert first.pk not in now and last.pk not in now


def test_a_rolled_back_change_is_not_trusted(party):
    rules = party.docs.rules.pk
    admin = party.users.admin
    assert rules in found(admin)
    with pytest.raises(RuntimeError), transaction.atomic():
        text_loses_the_word_by_raw_sql(party)
        assert rules not in found(admin)
        assert rules not in found(admin)  # kept inside the transaction
        raise RuntimeError("rolled back")
    assert rules in found(admin)
    # The next change, of another page, takes the rolled-back log number again
    # (with another stamp): the ids kept inside the transaction stay unused.
    SearchEntry.objects.filter(page_id=party.docs.report.pk).update(language="ru")
    assert rules in found(admin)


def test_rebuilding_the_full_text_index_drops_the_kept_ids(party):
    admin = party.users.admin
    answer(admin)
    assert listings(lambda: answer(admin))[1] == 0
    rows.rebuild_sqlite_full_text()
    assert listings(lambda: answer(admin))[1] >= 1


def test_only_a_few_lists_are_kept(party):
    for word in ("партия", "құжат", "туралы", "есеп", "ереже", "шешім", "хат", "жиналыс", "ұйым"):
        answer(party.users.admin, word)
    assert len(columns.columns_for(connection).found) <= columns.FOUND_KEPT


@pytest.mark.parametrize(
    "query", [*QUERIES, "партия ұйым", "ұйым -ереже", '"партия туралы" ереже -жиналыс']
)
def test_the_lists_asked_apart_are_the_combined_match_ones(party, query):
    """One FTS5 query per word and column group, joined in numpy, lists what the one
    MATCH of every word and its exact-tier MATCH list."""
    dialect, parsed = SQLiteDialect(), parse(query)
    with connection.cursor() as cursor:
        matches, exact = ids_apart(cursor, dialect, parsed)
        assert list(matches) == list(_ids(cursor, dialect.build(parsed)))
        assert list(exact) == list(_ids(cursor, dialect.build_exact(parsed)))
    if query in ("партия", '"партия туралы"', "партия ұйым", "партия -ереже"):
        assert matches.size  # something to compare
