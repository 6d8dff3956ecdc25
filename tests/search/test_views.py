"""The search pages as a reader uses them: query, facets, sorting, pages, messages."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def get(client, name="search:public", **params):
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response


def test_search_pages_live_under_each_language_prefix(party, client):
    for language in ("kk", "ru", "en"):
        with translation.override(language):
            url = reverse("search:public")
        assert url == f"/{language}/search/"
        response = client.get(url, {"q": "партия"})
        assert response.status_code == 200
        assert f'<html lang="{language}">' in response.content.decode()


def test_results_link_to_their_pages_with_counts_and_facets(party, client):
    response = get(client, q="партия")
    html = response.content.decode()
    results = response.context["results"]
    assert results.total == 4
    assert f'href="{party.docs.rules.url}"' in html
    assert "<mark>Партия</mark>" in html
    assert 'data-facet="region"' in html and 'data-facet="type"' in html
    assert 'data-facet="status"' not in html  # public search: current material only
    assert 'href="/static/css/search.css"' in html


def test_a_facet_link_narrows_and_a_second_click_clears(party, client):
    results = get(client, q="партия").context["results"]
    [decision] = [
        v for f in results.facets if f.name == "type" for v in f.values if v.value == "decision"
    ]
    narrowed = client.get(reverse("search:public") + decision.url)
    assert narrowed.context["results"].total == 2
    [selected] = [
        v
        for f in narrowed.context["results"].facets
        if f.name == "type"
        for v in f.values
        if v.selected
    ]
    assert "type" not in parse_qs(urlparse(selected.url).query)
    assert parse_qs(urlparse(selected.url).query)["q"] == ["партия"]


def test_sorting_and_pages_keep_the_query_and_filters(party, client):
    response = get(client, q="партия", type="decision", sort="newest")
    assert [r.title for r in response.context["results"].results] == [
        "Партия туралы ереже",
        "Жиналыс шешімі",
    ]
    assert (
        response.context["query_prefix"]
        == "q=%D0%BF%D0%B0%D1%80%D1%82%D0%B8%D1%8F&type=decision&sort=newest"
    )


def test_an_empty_query_and_no_query_get_their_own_messages(party, client):
    first_visit = get(client).content.decode()
    empty = get(client, q="   ").content.decode()
    assert 'name="q"' in first_visit and "banner" not in first_visit
    assert 'class="banner"' in empty


def test_a_long_query_is_searched_cut_and_the_reader_is_told(party, client):
    response = get(client, q="партия " * 100)
    assert response.context["results"].query.truncated
    assert re.search(r'class="banner"[^>]*>[^<]*200', response.content.decode())


def test_malformed_parameters_are_ignored(party, client):
    response = get(
        client,
        q="партия",
        page="-3",
        year="twenty",
        region="'; DROP",
        type="nonsense",
        organisation="99999999",
        **{"from": "2026-13-45", "to": "yesterday"},
        sort="sideways",
    )
    assert response.context["results"].total == 4


def test_the_organisation_parameter_limits_to_a_subtree(party, client):
    response = get(client, q="партия", organisation=str(party.almaty.pk))
    assert [r.title for r in response.context["results"].results] == ["Жиналыс шешімі"]


def test_the_archive_searches_what_the_signed_in_reader_may_open(party, client):
    client.force_login(party.users.outsider)
    archive = get(client, "search:archive", q="партия").context["results"]
    public = get(client, q="партия").context["results"]
    assert archive.total == public.total + 1  # the record for members
    assert 'data-facet="status"' in get(client, "search:archive", q="партия").content.decode()


def test_autocomplete_answers_json(party, client):
    data = client.get(reverse("search:autocomplete"), {"q": "Құжат айн"}).json()
    assert data == {
        "results": [
            {
                "title": "Құжат айналымы туралы нұсқаулық",
                "registration_number": "",
                "url": party.docs.circulation.url,
            }
        ]
    }
