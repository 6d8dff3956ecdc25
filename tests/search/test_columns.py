"""SQLite's engine: FTS5 plus arrays in memory (``search.engines.columns``) answer
as the SQL statement.

The statement of ``search.engines.database`` (PostgreSQL's engine, and the
fallback on SQLite) joins every match to its entry and its access rows; the
SQLite engine does the same work over arrays kept in step by a change log.
These tests hold the two to the same answers on a mixed archive, and the arrays
to the database whatever changes it: raw SQL, a rollback, a pruned log, a
migration that lost the log's triggers.
"""

import datetime
import random

import pytest

from django.db import connection, transaction

from docs_library.access import user_tokens
from docs_library.models import DocumentAccess
from home.models import PrimaryOrganisationPage
from search import analysis
from search.checks import change_log_is_written
from search.engines import base, columns, get_engine
from search.engines.base import EngineRequest, SearchFilters
from search.engines.database import DatabaseEngine
from search.engines.sqlite import SQLiteEngine
from search.models import EntryKind, SearchChange, SearchEntry, SearchText
from search.query import parse
from tests.docs_library.lifecycle import bulk_organisations
from tests.factories import DocumentPageFactory, LibraryFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="the arrays serve SQLite's engine; PostgreSQL searches with the statement",
    ),
]

WORDS = [
    "партия",
    "партиясы",
    "партияның",
    "құжат",
    "құжаттар",
    "құжаттың",
    "жиналыс",
    "жиналысы",
    "шешім",
    "шешімі",
    "есеп",
    "есебі",
    "хаттама",
    "бюджет",
    "документ",
    "документы",
    "собрание",
]
QUERIES = [
    "партия",
    "партиясы",
    "құжаттар",
    "шешім есеп",
    "жиналыс -бюджет",
    '"партия құжат"',
    "документ",
    "02-05/117",
    "бюджет 02-05/117",
    "хаттамалары",
]


def search(engine, query, tokens, **kwargs):
    filters = kwargs.pop("filters", SearchFilters())
    return engine.search(
        EngineRequest(query=parse(query), tokens=tokens, filters=filters, **kwargs)
    )


@pytest.fixture
def archive(tree):
    """Forty records with real access tokens and 300 other pages, words and facets at random."""
    rng = random.Random(11)
    library = LibraryFactory(parent=tree["primary"], title="Кітапхана")
    levels = ["public", "members", "organisation", "restricted"]
    records = [
        DocumentPageFactory(parent=library, title=f"Құжат {n}", access_level=rng.choice(levels))
        for n in range(40)
    ]
    others = bulk_organisations(tree["district"], PrimaryOrganisationPage, 300, "Толтырма")
    SearchEntry.objects.bulk_create(
        SearchEntry(
            page_id=page.pk,
            kind=rng.choice([EntryKind.ORGANISATION, EntryKind.ANNOUNCEMENT]),
            title=page.title,
            entry_type="organisation",
            path=page.path,
            analyser_version=analysis.ANALYSER_VERSION,
        )
        for page in others.only("pk", "path", "title")
    )
    regions = [tree["region"].pk, tree["home"].pk, None]
    entries = list(SearchEntry.objects.all())
    texts = []
    for entry in entries:
        entry.entry_type = rng.choice(["decision", "circular", "report", "organisation"])
        entry.date = rng.choice(
            [None, datetime.date(2015 + rng.randrange(10), 1 + rng.randrange(12), 1)]
        )
        entry.year = entry.date.year if entry.date else None
        entry.language = rng.choice(["kk", "ru", ""])
        entry.status = rng.choice(["current", "current", "archived"])
        entry.region_id = rng.choice(regions)
        entry.registration_key = rng.choice(["", "", "", "02x05x117"])
        title = " ".join(rng.choices(WORDS, k=3))
        text = " ".join(rng.choices(WORDS, k=rng.randrange(5, 30)))
        texts.append(
            SearchText(
                entry_id=entry.page_id,
                title_words=" ".join(analysis.tokenise(title)),
                title_keys=analysis.index_terms(title),
                text_words=" ".join(analysis.tokenise(text)),
                text_keys=analysis.index_terms(text),
            )
        )
    SearchEntry.objects.bulk_update(
        entries,
        ["entry_type", "date", "year", "language", "status", "region", "registration_key"],
    )
    SearchText.objects.bulk_update(
        texts, ["title_words", "title_keys", "text_words", "text_keys"], batch_size=200
    )
    return records


def test_the_engine_on_sqlite_is_the_in_memory_one():
    assert isinstance(get_engine(), SQLiteEngine)


@pytest.mark.parametrize("heavy", [False, True], ids=["scored", "heavy"])
def test_answers_are_the_statements_for_every_reader_filter_sort_and_page(
    archive, tree, monkeypatch, heavy
):
    """Heavy: every query is heavy (ordered by date after the tiers, docs/search.md)."""
    from home import roles

    if heavy:
        monkeypatch.setattr(base, "HEAVY_MATCHES", 0)
        monkeypatch.setattr(base, "HEAVY_SHARE", 0.0)

    reader = UserFactory()
    roles.grant(roles.READER, reader, tree["primary"])
    readers = [None, frozenset(), frozenset({"public"}), user_tokens(reader)]
    variants = [
        {},
        {"sort": "newest"},
        {"sort": "oldest", "offset": 10},
        {"offset": 10},
        {"limit": 50},
        {"filters": SearchFilters(facets={"type": "decision"})},
        {"filters": SearchFilters(facets={"year": 2019, "language": "kk"})},
        {"filters": SearchFilters(facets={"region": tree["region"].pk, "status": "archived"})},
        {"filters": SearchFilters(status="current", date_from=datetime.date(2018, 1, 1))},
        {"filters": SearchFilters(date_to=datetime.date(2020, 6, 30))},
        {"filters": SearchFilters(organisation_path=tree["primary"].path)},
        {"filters": SearchFilters(facets={"type": "nothing-has-it"})},
    ]
    fast, statement = SQLiteEngine(), DatabaseEngine("sqlite")
    compared = 0
    for query in QUERIES:
        for tokens in readers:
            for variant in variants:
                expected = search(statement, query, tokens, **variant)
                answer = search(fast, query, tokens, **variant)
                label = (query, tokens, variant)
                assert answer.page_ids == expected.page_ids, label
                assert answer.total == expected.total, label
                assert answer.facets == expected.facets, label
                compared += bool(expected.total)
    assert compared > 200  # most combinations found something to compare


def found(tokens, query="ксилофон"):
    return search(SQLiteEngine(), query, tokens, limit=50).page_ids


@pytest.fixture
def record(archive):
    """A public record, the only page with the word «ксилофон»."""
    record = next(page for page in archive if page.access_level == "public")
    SearchText.objects.filter(entry_id=record.pk).update(
        title_words="ксилофон", title_keys="ксилофон"
    )
    return record


def test_raw_sql_changes_of_access_and_facets_are_seen_at_once(record):
    assert record.pk in found(frozenset({"public"}))
    with connection.cursor() as cursor:  # no signal, no indexing: only the triggers see this
        cursor.execute("DELETE FROM docs_library_documentaccess WHERE page_id = %s", [record.pk])
    assert record.pk not in found(frozenset({"public"}))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO docs_library_documentaccess(page_id, token) VALUES (%s, 'members')",
            [record.pk],
        )
        cursor.execute("UPDATE search_searchentry SET year = 1999 WHERE page_id = %s", [record.pk])
    assert record.pk in found(frozenset({"members"}))
    answer = search(SQLiteEngine(), "ксилофон", frozenset({"members"}))
    assert answer.facets["year"].get(1999) == 1


def test_a_rolled_back_change_is_forgotten_even_when_its_log_number_is_reused(archive, record):
    assert record.pk in found(frozenset({"public"}))
    with pytest.raises(RuntimeError), transaction.atomic():
        DocumentAccess.objects.filter(page=record).delete()
        assert record.pk not in found(frozenset({"public"}))  # synced inside
        raise RuntimeError("rolled back")
    # The next change, of another page, takes the rolled-back log number again
    # (with another stamp): the record must not stay hidden.
    other = next(page for page in archive if page.pk != record.pk)
    SearchEntry.objects.filter(page_id=other.pk).update(language="ru")
    assert record.pk in found(frozenset({"public"}))


def test_a_process_left_behind_by_the_pruned_log_reloads_everything(record):
    store = columns.columns_for(connection)
    assert record.pk in found(frozenset({"public"}))
    seen = store.mark.seq
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_searchchange(page_id, stamp) "
            "SELECT 0, random() FROM (WITH RECURSIVE n(i) AS "
            "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10050) SELECT i FROM n)"
        )
        cursor.execute("DELETE FROM docs_library_documentaccess WHERE page_id = %s", [record.pk])
    assert not SearchChange.objects.filter(seq=seen).exists()  # the trigger pruned it
    assert SearchChange.objects.count() <= 10_001
    assert record.pk not in found(frozenset({"public"}))
    assert store.mark.seq > seen


def test_without_the_log_triggers_search_reads_the_tables_and_the_check_says_why(record):
    assert change_log_is_written(databases=["default"]) == []
    with connection.cursor() as cursor:  # what rebuilding the table in a migration does
        cursor.execute("DROP TRIGGER search_searchchange_documentaccess_delete")
        cursor.execute("DELETE FROM docs_library_documentaccess WHERE page_id = %s", [record.pk])
    [error] = change_log_is_written(databases=["default"])
    assert error.id == "search.E002" and "documentaccess_delete" in error.msg
    # The arrays never heard of the delete; the engine must not trust them.
    assert record.pk not in found(frozenset({"public"}))
