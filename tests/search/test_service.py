"""The search service finds what staff type, in the form they type it, on either database."""

import datetime

import pytest

from django.utils import translation

from search import service
from search.engines.base import SearchFilters

pytestmark = pytest.mark.django_db


def titles(results):
    return [result.title for result in results.results]


def find(party, query, user=None, **kwargs):
    """Public search unless told otherwise: what anyone may see, whoever asks."""
    kwargs.setdefault("per_page", 50)
    kwargs.setdefault("scope", service.PUBLIC)
    return service.search(user or party.users.anonymous, query, **kwargs)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # партия finds партиямыздың, партияның, партиясы as well as партия itself
        ("партия", {"report", "rules", "tasks", "announcement"}),
        ("партиясы", {"report", "rules", "tasks", "announcement"}),
        ("партияның", {"report", "rules", "tasks", "announcement"}),
        # құжаттар finds құжат and құжаттап
        ("құжаттар", {"circulation", "circular"}),
        # Russian: документы finds документ
        ("документы", {"russian"}),
        ("решения", {"russian"}),
        # Kazakh typed in the 2021 Latin alphabet finds the Cyrillic text
        ("partiia", {"report", "rules", "tasks", "announcement"}),
        ("qujat", {"circulation", "circular"}),
        ("qūjattar", {"circulation", "circular"}),
    ],
)
def test_inflected_and_latin_queries_find_their_documents(party, query, expected):
    found = {result.page_id for result in find(party, query).results}
    wanted = {
        (party.announcement if name == "announcement" else getattr(party.docs, name)).pk
        for name in expected
    }
    assert wanted <= found, (query, titles(find(party, query)))
    assert party.docs.secret.pk not in found


def test_every_word_must_appear_in_some_form(party):
    results = find(party, "партия жарғысы")
    assert titles(results) == ["Партия туралы ереже"]


def test_text_inside_a_file_is_found_with_a_marked_snippet(party):
    results = find(party, "мұрағаттандырудың")
    assert titles(results) == ["Кеңес хаттамасы"]
    assert "<mark>мұрағаттандыру</mark>" in results.results[0].snippet


def test_exact_form_ranks_above_other_forms(party):
    ranked = titles(find(party, "партия"))
    assert ranked[0] == "Партия туралы ереже"  # the only one with «партия» as typed
    ranked = titles(find(party, "партиямыздың"))
    assert ranked[0] == "Партиямыздың жылдық есебі"


def test_registration_number_typed_exactly_finds_its_document_first(party):
    for typed in ("02-05/117", "№ 02-05/117", "02/05/117", "циркуляр 02-05/117"):
        ranked = titles(find(party, typed))
        assert ranked[0] == "Циркуляр бастауыш ұйымдарға", typed
        assert "№ 02-05/117 циркулярды орындау туралы" in ranked


def test_a_phrase_in_quotes_needs_its_words_in_order(party):
    assert titles(find(party, '"жылдық есебі"')) == ["Партиямыздың жылдық есебі"]
    assert titles(find(party, '"есебі жылдық"')) == []


def test_a_word_with_a_minus_is_left_out(party):
    found = titles(find(party, "партия -жарғысы"))
    assert "Партия туралы ереже" not in found
    assert "Партиямыздың жылдық есебі" in found


def test_snippets_mark_the_matched_forms_and_escape_the_text(party):
    party.docs.rules.summary = "<b>Партия</b> жарғысы & ережесі"
    party.docs.rules.save()
    result = find(party, "партиялар").results[0]
    assert result.title == "Партия туралы ереже"
    assert str(result.snippet) == ("&lt;b&gt;<mark>Партия</mark>&lt;/b&gt; жарғысы &amp; ережесі")


def test_facets_count_regions_types_years_languages(party):
    with translation.override("kk"):
        results = find(party, "партия")
    facets = {facet.name: {v.value: v.count for v in facet.values} for facet in results.facets}
    labels = {facet.name: {v.value: v.label for v in facet.values} for facet in results.facets}
    assert results.total == 4
    assert facets["region"] == {party.karaganda.pk: 2, party.home.pk: 1, party.almaty.pk: 1}
    assert labels["region"][party.karaganda.pk] == "Қарағанды облысы"
    assert facets["type"] == {"decision": 2, "report": 1, "announcement": 1}
    assert facets["year"] == {2026: 2, 2025: 1, 2024: 1}
    assert facets["language"] == {"kk": 4}
    assert "status" not in facets  # public search shows current material only


def test_choosing_a_facet_narrows_results_but_not_its_own_counts(party):
    results = find(party, "партия", filters=SearchFilters(facets={"type": "decision"}))
    assert results.total == 2
    assert set(titles(results)) == {"Партия туралы ереже", "Жиналыс шешімі"}
    facets = {facet.name: {v.value: v.count for v in facet.values} for facet in results.facets}
    assert facets["type"] == {"decision": 2, "report": 1, "announcement": 1}
    assert facets["year"] == {2026: 1, 2024: 1}
    [selected] = [v for f in results.facets if f.name == "type" for v in f.values if v.selected]
    assert selected.value == "decision"


def test_organisation_subtree_and_date_range_filters(party):
    in_karaganda = find(
        party, "партия", filters=SearchFilters(organisation_path=party.karaganda.path)
    )
    assert set(titles(in_karaganda)) == {"Партиямыздың жылдық есебі", "Партиясы жаңа кеңсе ашты"}
    since = find(
        party,
        "партия",
        filters=SearchFilters(
            date_from=datetime.date(2025, 1, 1), date_to=datetime.date(2025, 12, 31)
        ),
    )
    assert titles(since) == ["Партиямыздың жылдық есебі"]


def test_sorting_newest_and_oldest(party):
    newest = titles(find(party, "партия", sort="newest"))
    assert newest == [
        "Партиясы жаңа кеңсе ашты",
        "Партия туралы ереже",
        "Партиямыздың жылдық есебі",
        "Жиналыс шешімі",
    ]
    assert titles(find(party, "партия", sort="oldest")) == list(reversed(newest))


def test_pages_of_results_cover_every_result_once(party):
    first = find(party, "партия", per_page=3)
    second = find(party, "партия", per_page=3, page=2)
    beyond = find(party, "партия", per_page=3, page=99)
    assert (first.total, first.page.num_pages) == (4, 2)
    assert len(first.results) == 3 and len(second.results) == 1
    assert set(titles(first)) | set(titles(second)) == set(titles(find(party, "партия")))
    assert beyond.page.number == 2 and titles(beyond) == titles(second)


def test_organisation_pages_and_announcements_are_found_with_documents(party):
    results = find(party, "Қарағанды")
    assert "Қарағанды облысы" in titles(results)
    assert find(party, "кеңсеге").results[0].kind == "announcement"


def test_archived_pages_are_in_the_archive_only(party, monkeypatch):
    """Archiving arrives with its own issue; a page with ``archived_at`` set is archived."""
    from search import indexing

    monkeypatch.setattr(
        indexing,
        "status_of",
        lambda page: "archived" if page.pk == party.docs.rules.pk else "current",
    )
    indexing.update_page(party.docs.rules)
    outsider = party.users.outsider
    archive = find(party, "партия", outsider, scope=service.ARCHIVE)
    public = find(party, "партия", outsider)
    assert "Партия туралы ереже" in titles(archive)
    assert "Партия туралы ереже" not in titles(public)
    status = {f.name: {v.value: v.count for v in f.values} for f in archive.facets}["status"]
    assert status == {"current": 4, "archived": 1}  # 3 public + 1 for members, 1 archived
    only_archived = find(
        party,
        "партия",
        outsider,
        scope=service.ARCHIVE,
        filters=SearchFilters(facets={"status": "archived"}),
    )
    assert titles(only_archived) == ["Партия туралы ереже"]
    assert "status" not in {facet.name for facet in public.facets}


def test_status_reads_archived_at_when_pages_have_it(party):
    from search.indexing import status_of

    party.docs.rules.archived_at = "2026-05-01"
    assert status_of(party.docs.rules) == "archived"
    assert status_of(party.docs.report) == "current"


def test_autocomplete_suggests_titles_and_registration_numbers(party):
    anonymous = party.users.anonymous
    titles_found = [s["title"] for s in service.autocomplete(anonymous, "партиям")]
    assert titles_found == ["Партиямыздың жылдық есебі"]
    [first, *_] = service.autocomplete(anonymous, "02-05/1")
    assert first["registration_number"] in {"02-05/117", "02-05/130"}
    numbers = {s["registration_number"] for s in service.autocomplete(anonymous, "02-05/13")}
    assert numbers == {"02-05/130"}
    assert service.autocomplete(anonymous, "п") == []
    assert service.autocomplete(anonymous, "") == []
    suggestion = service.autocomplete(anonymous, "Құжат айн")[0]
    assert suggestion["url"] == party.docs.circulation.url


def test_results_link_to_their_pages_as_wagtail_does_with_one_site_or_several(party, rf):
    from wagtail.models import Page, Site

    def links(request):
        results = service.search(party.users.admin, "партия", request=request, per_page=50)
        return {result.page_id: result.url for result in results.results}

    def wagtail_urls(request, page_ids):
        return {page.pk: page.get_url(request) for page in Page.objects.filter(pk__in=page_ids)}

    request = rf.get("/kk/search/", SERVER_NAME="localhost")
    found = links(request)
    assert found and found == wagtail_urls(request, found)
    assert all(url.startswith("/") for url in found.values())

    # A second site on the Almaty branch: read there, pages outside it link in full.
    site = Site.objects.create(hostname="almaty.example", port=80, root_page=party.almaty)
    try:
        found = links(rf.get("/kk/search/", SERVER_NAME="almaty.example"))
        assert found == wagtail_urls(rf.get("/kk/search/", SERVER_NAME="almaty.example"), found)
        assert any(url.startswith("http://localhost/kk/") for url in found.values())
    finally:
        site.delete()  # Wagtail forgets its cached site paths only when told
