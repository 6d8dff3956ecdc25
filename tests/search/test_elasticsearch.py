"""The Elasticsearch path, checked by what it sends: settings, mappings, documents, queries.

No Elasticsearch server runs here and none is imitated: these tests assert the
index settings, the mapping, the documents and the query bodies Sandyq's code
produces. ``test_elasticsearch_live.py`` runs the same search against a real
server wherever ``ELASTICSEARCH_URL`` is set.
"""

import json
import re

import pytest
from elasticsearch.serializer import JSONSerializer

from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from docs_library.access import record_tokens
from docs_library.models import DocumentPage
from home import roles
from home.models import AnnouncementPage, RegionalBranchPage
from search import indexing, service
from search.backends import KEYS_ANALYZER, SandyqElasticsearchBackend
from search.engines import get_engine
from search.engines.base import EngineRequest, SearchFilters
from search.engines.elasticsearch import (
    ElasticsearchEngine,
    autocomplete_body,
    parse_response,
    search_body,
)
from search.query import parse
from tests.factories import AnnouncementFactory, DocumentPageFactory, LibraryFactory, UserFactory
from tests.search.test_robustness import HOSTILE

ES_SETTINGS = {
    "default": {
        "BACKEND": "search.backends",
        "URLS": ["http://127.0.0.1:9"],  # nothing listens; nothing here connects
        "INDEX_PREFIX": "unit_",
        "AUTO_UPDATE": False,
    }
}


@pytest.fixture
def backend():
    return SandyqElasticsearchBackend(
        {"URLS": ["http://127.0.0.1:9"], "INDEX_PREFIX": "unit_", "AUTO_UPDATE": False}
    )


def body_for(query, tokens=frozenset({"public"}), **kwargs):
    kwargs.setdefault("filters", SearchFilters())
    return search_body(EngineRequest(query=parse(query), tokens=tokens, **kwargs))


def operands(value):
    """The strings a body asks Elasticsearch to match: inside match, phrase, prefix, term."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("match", "match_phrase", "prefix", "term"):
                for clause in item.values():
                    yield (
                        clause["query"]
                        if isinstance(clause, dict) and "query" in clause
                        else (clause["value"] if isinstance(clause, dict) else clause)
                    )
            else:
                yield from operands(item)
    elif isinstance(value, list):
        for item in value:
            yield from operands(item)


def keys_of(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


# --- index settings and mapping -------------------------------------------------------


def test_index_settings_define_a_whitespace_analyser_for_the_keys(backend):
    analyzers = backend.settings["settings"]["analysis"]["analyzer"]
    assert analyzers[KEYS_ANALYZER] == {"type": "custom", "tokenizer": "whitespace"}
    assert analyzers["sandyq_text"]["tokenizer"] == "standard"
    assert "edgengram_analyzer" in analyzers  # Wagtail's own analysers stay


@pytest.mark.parametrize("model", [DocumentPage, AnnouncementPage, RegionalBranchPage])
def test_mapping_pins_the_analysed_field_and_adds_filter_fields(backend, model):
    properties = backend.mapping_class(model).get_mapping()["properties"]
    # One field under one name on every page type, never re-analysed.
    assert properties["search_terms"]["type"] == "text"
    assert properties["search_terms"]["analyzer"] == KEYS_ANALYZER
    assert properties["search_terms"]["search_analyzer"] == KEYS_ANALYZER
    assert not any(name.endswith("__search_terms") for name in properties)
    assert properties["sandyq_tokens"] == {"type": "keyword"}
    for name in ("sandyq_type", "sandyq_language", "sandyq_status", "sandyq_registration"):
        assert properties[name] == {"type": "keyword"}
    assert properties["sandyq_region"] == {"type": "integer"}
    assert properties["sandyq_year"] == {"type": "integer"}
    assert properties["sandyq_date"] == {"type": "date"}
    for name in ("sandyq_words", "sandyq_title_words", "sandyq_title_terms"):
        assert properties[name]["analyzer"] == KEYS_ANALYZER
    assert properties["sandyq_text"]["index_options"] == "offsets"


# --- documents ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_documents_carry_keys_tokens_and_facet_values(backend, tree):
    library = LibraryFactory(parent=tree["primary"])
    record = DocumentPageFactory(
        parent=library,
        title="Партиямыздың есебі",
        registration_number="02-05/117",
        summary="Құжаттарды қарау.",
        access_level="organisation",
    )
    document = backend.mapping_class(DocumentPage).get_document(record)
    assert document["sandyq_tokens"] == sorted(record_tokens(record))
    assert "public" not in document["sandyq_tokens"]
    assert {"партия", "partiia", "құжат", "qujat", "02x05x117"} <= set(
        document["search_terms"].split()
    )
    assert "партиямыздың" in document["sandyq_title_words"].split()
    assert document["sandyq_registration"] == "02x05x117"
    assert document["sandyq_region"] == tree["region"].pk
    assert document["sandyq_kind"] == "document"
    assert document["sandyq_type"] == record.document_type
    assert document["sandyq_status"] == "current"
    assert document["sandyq_text"].startswith("Құжаттарды қарау.")
    JSONSerializer().dumps(document)  # the client can send it

    announcement = AnnouncementFactory(parent=tree["district"])
    page_document = backend.mapping_class(AnnouncementPage).get_document(announcement)
    assert page_document["sandyq_tokens"] == ["public"]

    draft = DocumentPageFactory(parent=library, title="Жоба", live=False)
    assert "sandyq_kind" not in backend.mapping_class(DocumentPage).get_document(draft)


@pytest.mark.django_db
def test_a_block_resends_the_records_below_with_their_new_tokens(tree, monkeypatch):
    library = LibraryFactory(parent=tree["primary"])
    record = DocumentPageFactory(parent=library, access_level="organisation")
    sent = []

    class Recorder:
        """Stands in for the backend object only to record what would be sent."""

        def add(self, page):
            sent.append((page.pk, indexing.elasticsearch_fields(page)["sandyq_tokens"]))

    monkeypatch.setattr(indexing, "elasticsearch_backends", lambda: [Recorder()])
    before = indexing.elasticsearch_fields(record)["sandyq_tokens"]
    roles.set_inheritance_blocked(tree["district"], True)
    assert [page_id for page_id, _ in sent] == [record.pk]
    assert sent[0][1] != before
    assert f"role:{tree['region'].pk}" in before and f"role:{tree['region'].pk}" not in sent[0][1]


# --- query bodies ------------------------------------------------------------------------


def test_the_access_filter_is_inside_the_query(backend):
    body = body_for("партия", tokens=frozenset({"public", "members", "role:7"}))
    filters = body["query"]["bool"]["filter"]
    assert {"terms": {"sandyq_tokens": ["members", "public", "role:7"]}} in filters
    assert "sandyq_tokens" not in json.dumps(body.get("post_filter", {}))
    # The aggregations run inside the query, so they only count visible records.
    assert set(body["aggs"]) == {"region", "type", "year", "language", "status"}


@pytest.mark.django_db
def test_the_service_sends_the_users_own_tokens(tree):
    member = UserFactory()
    roles.grant(roles.READER, member, tree["district"])
    archive = service.tokens_for(member, service.ARCHIVE)
    public = service.tokens_for(member, service.PUBLIC)
    assert f"role:{tree['district'].pk}" in archive
    assert public == frozenset({"public"})
    body = body_for("партия", tokens=archive)
    assert {"terms": {"sandyq_tokens": sorted(archive)}} in body["query"]["bool"]["filter"]
    superuser = UserFactory(is_superuser=True)
    body = body_for("партия", tokens=service.tokens_for(superuser, service.ARCHIVE))
    assert "sandyq_tokens" not in json.dumps(body)


def test_every_word_in_any_form_exact_forms_and_numbers_first():
    body = body_for("партиялар 02-05/117")
    must = body["query"]["bool"]["must"]
    word = must[0]["bool"]
    assert word["minimum_should_match"] == 1
    assert {"match": {"sandyq_words": {"query": "партиялар", "boost": 2}}} in word["should"]
    assert {"match": {"search_terms": {"query": "партия партиялар"}}} in word["should"]
    tiers = body["query"]["bool"]["should"]
    assert tiers[0]["constant_score"]["filter"] == {
        "terms": {"sandyq_registration": ["партияларx02x05x117", "02x05x117"]}
    }
    exact = tiers[1]["constant_score"]
    assert {"match": {"sandyq_words": "партиялар"}} in exact["filter"]["bool"]["must"]
    assert tiers[0]["constant_score"]["boost"] > exact["boost"]


def test_documents_in_the_query_language_rank_after_the_exact_tier():
    """«паролей» is Russian: Russian documents get a boost below the exact tier's."""
    tiers = body_for("паролей")["query"]["bool"]["should"]
    language = next(
        tier["constant_score"]
        for tier in tiers
        if tier["constant_score"]["filter"] == {"term": {"sandyq_language": "ru"}}
    )
    exact = next(
        tier["constant_score"] for tier in tiers if "bool" in tier["constant_score"]["filter"]
    )
    assert 0 < language["boost"] < exact["boost"]
    # A word whose letters do not tell, typed on the Kazakh page: no language tier.
    assert "sandyq_language" not in json.dumps(body_for("дома")["query"]["bool"]["should"])
    assert "sandyq_language" in json.dumps(
        search_body(
            EngineRequest(
                query=parse("дома", "ru"), tokens=frozenset({"public"}), filters=SearchFilters()
            )
        )["query"]["bool"]["should"]
    )


def test_phrases_and_excluded_words():
    body = body_for('"жылдық есебі" -жарғы')
    assert {"match_phrase": {"sandyq_words": "жылдық есебі"}} in body["query"]["bool"]["must"]
    [excluded] = body["query"]["bool"]["must_not"]
    assert {"match": {"sandyq_words": {"query": "жарғы", "boost": 2}}} in excluded["bool"]["should"]


def test_facet_choices_are_post_filters_and_each_aggregation_skips_its_own():
    filters = SearchFilters(facets={"type": "decision", "year": 2026})
    body = body_for("партия", filters=filters)
    assert body["post_filter"] == {
        "bool": {"filter": [{"term": {"sandyq_type": "decision"}}, {"term": {"sandyq_year": 2026}}]}
    }
    assert body["aggs"]["type"]["filter"] == {"bool": {"filter": [{"term": {"sandyq_year": 2026}}]}}
    assert (
        body["aggs"]["region"]["filter"]["bool"]["filter"] == body["post_filter"]["bool"]["filter"]
    )
    assert body["aggs"]["year"]["aggs"]["values"]["terms"]["field"] == "sandyq_year"
    assert body["track_total_hits"] is True


def test_base_filters_subtree_dates_and_status():
    import datetime

    filters = SearchFilters(
        organisation_path="00010002",
        date_from=datetime.date(2025, 1, 1),
        date_to=datetime.date(2025, 12, 31),
        status="current",
    )
    query_filters = body_for("партия", filters=filters)["query"]["bool"]["filter"]
    assert {"prefix": {"sandyq_path": "00010002"}} in query_filters
    assert {"range": {"sandyq_date": {"gte": "2025-01-01", "lte": "2025-12-31"}}} in query_filters
    assert {"term": {"sandyq_status": "current"}} in query_filters


def test_the_highlighter_marks_escaped_text():
    highlight = body_for("партиялар qujat")["highlight"]
    assert highlight["encoder"] == "html"
    assert (highlight["pre_tags"], highlight["post_tags"]) == (["<mark>"], ["</mark>"])
    field = highlight["fields"]["sandyq_text"]
    prefixes = {
        clause["prefix"]["sandyq_text"]["value"]
        for clause in field["highlight_query"]["bool"]["should"]
        if "prefix" in clause
    }
    assert {"партия", "құжат"} <= prefixes


def test_sorting_by_date():
    assert body_for("партия", sort="newest")["sort"][0] == {
        "sandyq_date": {"order": "desc", "missing": "_last"}
    }
    assert body_for("партия", sort="oldest")["sort"][0]["sandyq_date"]["order"] == "asc"
    assert body_for("партия")["sort"][0] == "_score"


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_become_plain_clauses(query):
    body = body_for(query)
    forbidden = {"query_string", "simple_query_string", "script", "regexp", "wildcard", "fuzzy"}
    assert not set(keys_of(body)) & forbidden
    for operand in operands(body):
        # Only tokens of letters and digits reach Elasticsearch, never the input's syntax.
        assert isinstance(operand, int | bool) or re.fullmatch(r"[^\W_]+( [^\W_]+)*", operand)


def test_autocomplete_body_filters_by_tokens():
    body = autocomplete_body(["парт", "02x05x1"], frozenset({"public"}), "current", 8)
    assert body["query"]["bool"]["must"] == [
        {"prefix": {"sandyq_title_words": {"value": "парт"}}},
        {"prefix": {"sandyq_title_words": {"value": "02x05x1"}}},
    ]
    assert {"terms": {"sandyq_tokens": ["public"]}} in body["query"]["bool"]["filter"]
    assert body["size"] == 8


def test_responses_become_results_with_highlights_and_counts():
    response = {
        "hits": {
            "total": {"value": 12, "relation": "eq"},
            "hits": [
                {"_id": "41", "highlight": {"sandyq_text": ["a <mark>партия</mark>", "b"]}},
                {"_id": "7"},
            ],
        },
        "aggregations": {
            "year": {"doc_count": 12, "values": {"buckets": [{"key": 2026, "doc_count": 9}]}},
            "type": {"doc_count": 12, "values": {"buckets": []}},
        },
    }
    result = parse_response(response)
    assert (result.page_ids, result.total) == ([41, 7], 12)
    assert result.snippets == {41: "a <mark>партия</mark> … b"}
    assert result.facets["year"] == {2026: 9}
    assert result.facets["region"] == {}


@pytest.mark.django_db
def test_settings_choose_the_engine():
    assert get_engine().name == "database"
    with override_settings(WAGTAILSEARCH_BACKENDS=ES_SETTINGS):
        engine = get_engine()
        assert isinstance(engine, ElasticsearchEngine)
        assert engine.index_name == "unit_wagtailcore_page"


def test_an_empty_query_never_reaches_the_server(backend):
    engine = ElasticsearchEngine(backend)
    request = EngineRequest(
        query=parse("?!"), tokens=frozenset({"public"}), filters=SearchFilters()
    )
    assert engine.search(request).total == 0  # would raise if it tried to connect


@pytest.mark.django_db
def test_public_scope_sends_anonymous_tokens_whoever_asks(tree):
    staff = UserFactory(is_staff=True)
    assert service.tokens_for(staff, service.PUBLIC) == service.tokens_for(
        AnonymousUser(), service.ARCHIVE
    )
