"""Hostile and odd queries: each gives results or a clear message, never an error."""

import pytest

from django.urls import reverse

from wagtail.models import Page

from docs_library.access import can_view
from search import service
from search.query import MAX_QUERY_LENGTH, parse

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    "   ",
    "\n\t",
    '"',
    "'",
    '""',
    '"партия',
    'партия"',
    '"партия жарғысы',
    "(",
    ")",
    "((партия",
    "партия)",
    "[]",
    "{}",
    "{title_words}: партия",
    "title_words:партия",
    "AND",
    "OR",
    "NOT",
    "NOT партия",
    "-партия",
    "-",
    "--",
    "*",
    "парт*",
    "?",
    "NEAR(партия құжат)",
    "партия^2",
    "a~2",
    "\\",
    '\\"',
    "'; DROP TABLE search_searchentry; --",
    "' OR '1'='1",
    "1; SELECT * FROM auth_user",
    "%",
    "_",
    "партия%",
    "'партия':*",
    "партия <-> құжат",
    "partiia:*A",
    "a&b|c",
    "!партия",
    "&|!",
    ":*",
    '{"query": {"match_all": {}}}',
    "title:(партия OR құжат)",
    "_id:1",
    "<script>alert(1)</script>",
    "&amp; &lt;mark&gt;",
    "😀",
    "👍🏽 партия",
    "🇰🇿",
    "партия 😀 құжат",
    "ﷺ",
    "\u200b",
    "\x00",
    "партия\x00құжат",
    "\u202eпартия",
    "Партия Partiia ПАРТИЯ",
    "пaртия",  # a Latin «a» inside Cyrillic
    "日本語",
    "العربية",
    "x" * 10_000,
    "партия " * 2_000,
    "-" * 300,
    '"' * 101,
    "(" * 500,
    "02-05/117 OR 1=1",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_fail(party, query):
    reader = party.users.reader
    for scope in (service.PUBLIC, service.ARCHIVE):
        results = service.search(reader, query, scope=scope)
        assert results.total >= len(results.results)
        pages = Page.objects.filter(pk__in=[result.page_id for result in results.results])
        assert all(can_view(reader, page.specific) for page in pages)
        if results.query.is_empty:
            assert results.total == 0 and not results.results
    assert isinstance(service.autocomplete(party.users.reader, query, scope="archive"), list)


def test_hostile_queries_through_the_pages_and_the_endpoint(party, client):
    client.force_login(party.users.reader)
    for query in HOSTILE:
        for name in ("search:public", "search:archive"):
            response = client.get(reverse(name), {"q": query})
            assert response.status_code == 200, (name, query[:40])


def test_the_text_of_a_hostile_query_is_escaped(party, client):
    response = client.get(reverse("search:public"), {"q": "<script>alert(1)</script>"})
    assert b"<script>alert(1)" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_operators_are_words_to_look_for_not_syntax(party):
    as_words = service.search(party.users.anonymous, "партия жарғысы", scope=service.PUBLIC)
    with_syntax = service.search(
        party.users.anonymous, "(партия) AND {жарғысы}*", scope=service.PUBLIC
    )
    assert [r.page_id for r in with_syntax.results] == [r.page_id for r in as_words.results]
    assert as_words.total == 1


def test_long_queries_are_cut_and_the_reader_is_told(party):
    results = service.search(party.users.anonymous, "партия " * 2_000, scope=service.PUBLIC)
    assert results.query.truncated
    assert len(results.query.text) == MAX_QUERY_LENGTH
    assert any(str(MAX_QUERY_LENGTH) in notice for notice in results.notices)
    assert results.total > 0


def test_a_query_with_nothing_to_search_for_says_so(party):
    results = service.search(party.users.anonymous, "😀 ?!", scope=service.PUBLIC)
    assert results.total == 0
    assert results.notices


@pytest.mark.parametrize(
    ("query", "words", "phrases", "excluded"),
    [
        ("партия", ["партия"], [], []),
        ('"жылдық есебі" партия', ["партия"], [("жылдық", "есебі")], []),
        ("партия -жарғы", ["партия"], [], ["жарғы"]),
        ("партия NOT жарғы", ["партия"], [], ["жарғы"]),
        ("02-05/117", ["02", "05", "117", "02x05x117"], [], []),
        ('"партия"', ["партия"], [], []),
    ],
)
def test_queries_are_read_into_words_phrases_and_exclusions(query, words, phrases, excluded):
    parsed = parse(query)
    assert [word.exact for word in parsed.words] == words
    assert parsed.phrases == phrases
    assert [word.exact for word in parsed.excluded] == excluded


def test_a_registration_number_is_recognised_however_it_is_written():
    for typed in ("02-05/117", "№ 02-05/117", "02/05/117", "02 05 117", "02.05.117"):
        assert parse(typed).registration_keys[0] == "02x05x117"
    assert "02x05x117" in parse("циркуляр 02-05/117").registration_keys
    assert parse("партия").registration_keys == ()
