"""Heavy queries: words in most of the archive, ordered newest first instead of by score.

A query that matches more than a fifth of the entries (and more than
``HEAVY_MATCHES``) is ordered, after the registration, exact and language
tiers, by date instead of by its score (docs/search.md, "Heavy words"). That
is the only thing allowed to change: the pages that match, the total and every
facet count must be what the scored path gives, for every reader, and nothing
a reader may not open may show in a title, a snippet or a count. On the small
corpus of the conftest the thresholds are lowered so that every query is heavy.
"""

import pytest

from home.models import reader_language
from search import service
from search.engines import base
from search.models import SearchEntry
from search.query import parse
from tests.search.conftest import SECRET
from tests.search.test_leaks import PRIVATE_WORDS, visible_secret_titles

pytestmark = pytest.mark.django_db

READERS = ("anonymous", "outsider", "reader", "admin")
QUERIES = ("партия", "партиясы", SECRET, "құжат", "02-05/117", '"партия туралы"', "партия -ереже")


def every_query_heavy(monkeypatch):
    monkeypatch.setattr(base, "HEAVY_MATCHES", 0)
    monkeypatch.setattr(base, "HEAVY_SHARE", 0.0)


def no_query_heavy(monkeypatch):
    monkeypatch.setattr(base, "HEAVY_MATCHES", 10**9)


def snapshot(user, query, scope, **kwargs):
    results = service.search(user, query, scope=scope, per_page=50, **kwargs)
    return (
        results.total,
        {result.page_id for result in results.results},
        [(f.name, [(v.value, v.count) for v in f.values]) for f in results.facets],
    )


@pytest.mark.parametrize("who", READERS)
def test_heavy_queries_find_and_count_what_the_scored_ones_do(party, monkeypatch, who):
    user = getattr(party.users, who)
    compared = 0
    for scope in (service.ARCHIVE, service.PUBLIC):
        for query in QUERIES:
            for sort in ("relevance", "newest", "oldest"):
                no_query_heavy(monkeypatch)
                scored = snapshot(user, query, scope, sort=sort)
                every_query_heavy(monkeypatch)
                heavy = snapshot(user, query, scope, sort=sort)
                assert heavy == scored, (scope, query, sort)
                compared += bool(scored[0])
    assert compared >= 12  # most of them found something to compare


def expected_order(page_ids, query, language):
    """The documented heavy order: exact tier, language tier, undated last, newest, newer page."""
    entries = SearchEntry.objects.select_related("text").in_bulk(page_ids)
    parsed = parse(query, language)
    exact = {word.exact for word in parsed.words}

    def key(page_id):
        entry = entries[page_id]
        words = set(f"{entry.text.title_words} {entry.text.text_words}".split())
        in_language = bool(parsed.language) and entry.language == parsed.language
        date = entry.date.toordinal() if entry.date else 0
        return (-(exact <= words), -in_language, entry.date is None, -date, -page_id)

    return sorted(page_ids, key=key)


@pytest.mark.parametrize("query", ["партия", "партия ұйым", "құжат"])
def test_a_heavy_query_lists_the_exact_tier_first_then_the_newest(party, monkeypatch, query):
    every_query_heavy(monkeypatch)
    SearchEntry.objects.filter(pk=party.docs.rules.pk).update(date=None)  # undated: last
    results = service.search(party.users.admin, query, scope=service.ARCHIVE, per_page=50)
    ids = [result.page_id for result in results.results]
    assert len(ids) >= 2
    assert ids == expected_order(ids, query, reader_language())


def test_the_registration_number_still_comes_first_in_a_heavy_query(party, monkeypatch):
    every_query_heavy(monkeypatch)
    results = service.search(party.users.admin, "02-05/117", scope=service.ARCHIVE)
    assert results.results[0].page_id == party.docs.circular.pk
    assert party.docs.reference.pk in {result.page_id for result in results.results}


@pytest.mark.parametrize(("sort", "newest"), [("newest", True), ("oldest", False)])
def test_a_heavy_query_sorted_by_date_keeps_that_order(party, monkeypatch, sort, newest):
    every_query_heavy(monkeypatch)
    results = service.search(
        party.users.admin, "партия", scope=service.ARCHIVE, per_page=50, sort=sort
    )
    ids = [result.page_id for result in results.results]
    entries = SearchEntry.objects.in_bulk(ids)
    assert len(ids) >= 5
    direction = -1 if newest else 1

    def key(page_id):  # undated last; then by date, then by page, the same way
        date = entries[page_id].date
        return (date is None, direction * (date.toordinal() if date else 0), direction * page_id)

    assert ids == sorted(ids, key=key)


MAY_READ = {
    "anonymous": set(),
    "outsider": {"мүшелерге арналған"},
    "reader": {"мүшелерге арналған", "жабық хаттамасы", "құпия"},
    "admin": set(PRIVATE_WORDS),
}


@pytest.mark.parametrize("who", READERS)
def test_a_heavy_query_shows_nothing_a_reader_may_not_open(party, monkeypatch, who):
    """The private records say «партия» too: their titles, snippets and counts show only
    to those who may open them."""
    every_query_heavy(monkeypatch)
    user = getattr(party.users, who)
    private = (party.docs.secret, party.docs.members, party.docs.restricted, party.docs.draft)
    for scope in (service.ARCHIVE, service.PUBLIC):
        allowed = visible_secret_titles(party, who) if scope == service.ARCHIVE else set()
        may_read = MAY_READ[who] if scope == service.ARCHIVE else set()
        for query in ("партия", "партия ұйым", SECRET):
            results = service.search(user, query, scope=scope, per_page=50)
            shown = " ".join(f"{r.title} {r.snippet}" for r in results.results)
            for page in private:
                if page.title not in allowed:
                    assert page.pk not in {r.page_id for r in results.results}
                    assert page.title not in shown, (scope, query)
            for word in set(PRIVATE_WORDS) - may_read:
                assert word not in shown, (scope, query, word)
            years = {v.value for f in results.facets if f.name == "year" for v in f.values}
            # Only the private records are of 2019; every one that matches says «партия».
            secret_2019 = {party.docs.secret.title, party.docs.restricted.title} & allowed
            if query == SECRET or query == "партия":
                assert (2019 in years) == bool(secret_2019), (scope, query)
