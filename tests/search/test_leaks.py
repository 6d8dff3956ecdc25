"""The leak matrix for search: results, snippets, facets, totals and autocomplete.

The private records (see conftest) carry «Ксилофонтау» in their title, text and
file, and a year (2019, 2018), type (order, resolution) and language (en,
mixed) no public record has. Each kind of user must see exactly the records
the access policy lets them open, on every channel search has.
"""

import json

import pytest

from django.urls import reverse

from docs_library.access import viewable
from docs_library.models import DocumentPage
from search import service
from tests.search.conftest import SECRET

pytestmark = pytest.mark.django_db

PRIVATE_WORDS = ("жабық хаттамасы", "құпия", "шектеулі", "мүшелерге арналған")


def visible_secret_titles(party, who):
    """What each user may open of the records carrying the secret word."""
    docs = party.docs
    return {
        "anonymous": set(),
        "outsider": {docs.members.title},  # members: any signed-in member
        "reader": {docs.members.title, docs.secret.title},  # Reader of the owning organisation
        "admin": {docs.members.title, docs.secret.title, docs.restricted.title},
    }[who]


@pytest.mark.parametrize("who", ["anonymous", "outsider", "reader", "admin"])
def test_archive_search_shows_each_user_exactly_what_they_may_open(party, who):
    user = getattr(party.users, who)
    results = service.search(user, SECRET, scope=service.ARCHIVE, per_page=50)
    found = {result.title for result in results.results}
    assert found == visible_secret_titles(party, who)
    assert results.total == len(found)
    assert party.docs.draft.title not in found  # unpublished: never a result
    facets = {f.name: {v.value: v.count for v in f.values} for f in results.facets}
    assert sum(facets["type"].values()) == len(found)
    assert (2019 in facets["year"]) == (party.docs.secret.title in found)
    assert ("order" in facets["type"]) == bool(
        found & {party.docs.secret.title, party.docs.restricted.title}
    )


@pytest.mark.parametrize("who", ["anonymous", "outsider", "reader", "admin"])
def test_public_search_shows_only_public_material_whoever_is_signed_in(party, who):
    results = service.search(getattr(party.users, who), SECRET, scope=service.PUBLIC)
    assert results.total == 0
    assert results.results == []
    assert all(not facet.values for facet in results.facets)


@pytest.mark.parametrize("who", ["anonymous", "outsider", "reader"])
def test_totals_facets_and_pages_are_as_if_hidden_records_did_not_exist(party, who):
    """The private records also say «партия»: nothing about them may show in the counts."""
    user = getattr(party.users, who)

    def snapshot():
        results = service.search(user, "партия", scope=service.ARCHIVE, per_page=3)
        second = service.search(user, "партия", scope=service.ARCHIVE, per_page=3, page=2)
        return (
            results.total,
            results.page.num_pages,
            [r.page_id for r in results.results + second.results],
            [str(r.snippet) for r in results.results + second.results],
            [(f.name, [(v.value, v.count) for v in f.values]) for f in results.facets],
        )

    before = snapshot()
    hidden = DocumentPage.objects.exclude(pk__in=viewable(user, DocumentPage.objects.all()))
    assert hidden.exists()
    for page in hidden:
        page.delete()
    assert snapshot() == before


def test_snippets_of_a_record_come_from_its_text_for_those_who_may_read_it(party):
    results = service.search(party.users.reader, SECRET, scope=service.ARCHIVE)
    snippet = next(str(r.snippet) for r in results.results if r.page_id == party.docs.secret.pk)
    assert "<mark>" in snippet and "жабық шешімі" in snippet


@pytest.mark.parametrize(
    ("who", "scope", "expected"),
    [
        ("anonymous", "public", set()),
        ("anonymous", "archive", set()),
        ("outsider", "public", set()),
        ("outsider", "archive", {"members"}),
        ("reader", "public", set()),
        ("reader", "archive", {"members", "secret"}),
        ("admin", "archive", {"members", "secret", "restricted"}),
    ],
)
def test_autocomplete_suggests_only_what_the_user_may_open(party, who, scope, expected):
    user = getattr(party.users, who)
    suggestions = service.autocomplete(user, SECRET[:6], scope=scope)
    titles = {s["title"] for s in suggestions}
    assert titles == {getattr(party.docs, name).title for name in expected}


def test_the_autocomplete_endpoint_asks_for_the_signed_in_user(party, client):
    url = reverse("search:autocomplete")
    anonymous = json.loads(client.get(url, {"q": SECRET[:6], "scope": "archive"}).content)
    assert anonymous == {"results": []}
    client.force_login(party.users.reader)
    archive = json.loads(client.get(url, {"q": SECRET[:6], "scope": "archive"}).content)
    public = json.loads(client.get(url, {"q": SECRET[:6]}).content)
    assert {s["title"] for s in archive["results"]} == {
        party.docs.secret.title,
        party.docs.members.title,
    }
    assert public == {"results": []}


@pytest.mark.parametrize("who", ["outsider", "reader"])
def test_search_pages_never_show_private_text_to_those_who_may_not_read_it(party, client, who):
    user = getattr(party.users, who)
    client.force_login(user)
    public = client.get(reverse("search:public"), {"q": SECRET}).content.decode()
    archive = client.get(reverse("search:archive"), {"q": SECRET}).content.decode()
    for word in PRIVATE_WORDS:
        assert word not in public
    may_read = {
        "outsider": {"мүшелерге арналған"},
        "reader": {"мүшелерге арналған", "жабық хаттамасы", "құпия"},
    }[who]
    for word in PRIVATE_WORDS:
        assert (word in archive) == (word in may_read), word
    assert ('data-facet="year"' in archive) and (("2019" in archive) == (who == "reader"))


def test_the_archive_needs_a_signed_in_user(party, client):
    response = client.get(reverse("search:archive"), {"q": SECRET})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_grant_shows_a_record_at_once_and_a_revoke_hides_it(party):
    from home import roles

    outsider = party.users.outsider
    before = service.search(outsider, SECRET, scope=service.ARCHIVE)
    roles.grant(roles.READER, outsider, party.igilik)
    granted = service.search(outsider, SECRET, scope=service.ARCHIVE)
    roles.revoke(roles.READER, outsider, party.igilik)
    revoked = service.search(outsider, SECRET, scope=service.ARCHIVE)
    assert party.docs.secret.pk not in [r.page_id for r in before.results]
    assert party.docs.secret.pk in [r.page_id for r in granted.results]
    assert revoked.total == before.total
