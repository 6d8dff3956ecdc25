"""The Elasticsearch engine: the same search as the database engine, as query bodies.

One request per search: the query (every word exactly or in any of its forms,
phrases exactly, excluded words in no form) with the access ``terms`` filter on
the record's tokens and the other base filters inside ``bool.filter``, so hits,
totals and aggregations only ever see what the user may see. Facet choices go
in ``post_filter``, and each facet's aggregation applies every other choice but
its own (as the database engine counts them). Ranking tiers are constant-score
clauses large enough to dominate BM25: the registration number, then every
word exactly as typed. Snippets come from the highlighter on the readable text
(``sandyq_text``), with the query's exact words and the stems as prefixes.

User input never becomes query syntax: only ``match``/``term``/``prefix``
clauses over already-analysed tokens are built, never ``query_string``.
"""

from __future__ import annotations

import logging

from elasticsearch import ApiError, TransportError

from wagtail.models import Page

from search import analysis
from search.models import EntryKind
from search.query import ParsedQuery, Word

from .base import FACETS, EngineRequest, EngineResult, SearchUnavailable

logger = logging.getLogger("sandyq.search")

FIELD = {name: f"sandyq_{name}" for name in FACETS}
REGISTRATION_BOOST = 1_000_000
EXACT_BOOST = 10_000
# Documents in the query's language (ParsedQuery.language) before the others
# among equal tiers; still far below the exact tier.
LANGUAGE_BOOST = 1_000
AGGREGATION_SIZE = 200
MAX_RESULT_WINDOW = 10_000


def _word(word: Word) -> dict:
    should = [
        {"match": {"sandyq_title_words": {"query": word.exact, "boost": 10}}},
        {"match": {"sandyq_words": {"query": word.exact, "boost": 2}}},
    ]
    if word.keys:
        keys = " ".join(word.keys)
        should += [
            {"match": {"sandyq_title_terms": {"query": keys, "boost": 4}}},
            {"match": {"search_terms": {"query": keys}}},
        ]
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _phrase(tokens: tuple[str, ...]) -> dict:
    return {"match_phrase": {"sandyq_words": " ".join(tokens)}}


def _exact(query: ParsedQuery) -> list[dict]:
    clauses = [{"match": {"sandyq_words": word.exact}} for word in query.words]
    return clauses + [_phrase(phrase) for phrase in query.phrases]


def base_filters(request: EngineRequest) -> list[dict]:
    """Access, what search shows, organisation subtree, dates and forced status."""
    filters: list[dict] = [{"terms": {"sandyq_kind": [kind.value for kind in EntryKind]}}]
    if request.tokens is not None:
        filters.append({"terms": {"sandyq_tokens": sorted(request.tokens)}})
    chosen = request.filters
    if chosen.organisation_path:
        filters.append({"prefix": {"sandyq_path": chosen.organisation_path}})
    if chosen.date_from or chosen.date_to:
        bounds = {}
        if chosen.date_from:
            bounds["gte"] = chosen.date_from.isoformat()
        if chosen.date_to:
            bounds["lte"] = chosen.date_to.isoformat()
        filters.append({"range": {"sandyq_date": bounds}})
    if chosen.status:
        filters.append({"term": {"sandyq_status": chosen.status}})
    return filters


def _facet_filters(request: EngineRequest, skip: str | None = None) -> list[dict]:
    return [
        {"term": {FIELD[name]: value}}
        for name, value in request.filters.facets.items()
        if name in FIELD and name != skip
    ]


def highlight_query(query: ParsedQuery) -> dict:
    """What to mark in the readable text: the words as typed, and stems as prefixes.

    The readable text is not stemmed in Elasticsearch, so a stem is marked
    where a word of the text starts with it (партия in партиясы); a Latin
    query's words are read as Cyrillic first (qujat → құжат).
    """
    should: list[dict] = []
    exact = query.exact_tokens()
    if exact:
        should.append({"match": {"sandyq_text": " ".join(exact)}})
    prefixes = set()
    for word in query.words:
        keys = list(word.keys)
        if word.exact.isascii() and word.exact.isalpha():
            keys += analysis.kk_keys(analysis.latin_to_cyrillic(word.exact))
        prefixes.update(key for key in keys if len(key) >= 3 and not key.isascii())
    should += [{"prefix": {"sandyq_text": {"value": prefix}}} for prefix in sorted(prefixes)]
    return {"bool": {"should": should, "minimum_should_match": 1}}


def search_body(request: EngineRequest) -> dict:
    query = request.query
    must = [_word(word) for word in query.words] + [_phrase(p) for p in query.phrases]
    should: list[dict] = []
    if query.registration_keys:
        should.append(
            {
                "constant_score": {
                    "filter": {"terms": {"sandyq_registration": list(query.registration_keys)}},
                    "boost": REGISTRATION_BOOST,
                }
            }
        )
    should.append(
        {"constant_score": {"filter": {"bool": {"must": _exact(query)}}, "boost": EXACT_BOOST}}
    )
    if query.language:
        should.append(
            {
                "constant_score": {
                    "filter": {"term": {FIELD["language"]: query.language}},
                    "boost": LANGUAGE_BOOST,
                }
            }
        )
    boolean: dict = {"must": must, "should": should, "filter": base_filters(request)}
    if query.excluded:
        boolean["must_not"] = [_word(word) for word in query.excluded]

    date_desc = {"sandyq_date": {"order": "desc", "missing": "_last"}}
    if request.sort == "newest":
        sort = [date_desc, "_score"]
    elif request.sort == "oldest":
        sort = [{"sandyq_date": {"order": "asc", "missing": "_last"}}, "_score"]
    else:
        sort = ["_score", date_desc]

    aggregations = {}
    for name in FACETS:
        others = _facet_filters(request, skip=name)
        aggregations[name] = {
            "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
            "aggs": {"values": {"terms": {"field": FIELD[name], "size": AGGREGATION_SIZE}}},
        }
    body = {
        "query": {"bool": boolean},
        "aggs": aggregations,
        "sort": sort,
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": True,
        "_source": False,
        "highlight": {
            "encoder": "html",
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "fields": {
                "sandyq_text": {
                    "type": "unified",
                    "fragment_size": 180,
                    "number_of_fragments": 2,
                    "highlight_query": highlight_query(query),
                }
            },
        },
    }
    chosen = _facet_filters(request)
    if chosen:
        body["post_filter"] = {"bool": {"filter": chosen}}
    return body


def autocomplete_body(tokens: list[str], user_tokens, status: str, limit: int) -> dict:
    filters = [{"terms": {"sandyq_kind": [kind.value for kind in EntryKind]}}]
    if user_tokens is not None:
        filters.append({"terms": {"sandyq_tokens": sorted(user_tokens)}})
    if status:
        filters.append({"term": {"sandyq_status": status}})
    return {
        "query": {
            "bool": {
                "must": [{"prefix": {"sandyq_title_words": {"value": t}}} for t in tokens],
                "filter": filters,
            }
        },
        "sort": [{"sandyq_date": {"order": "desc", "missing": "_last"}}],
        "size": limit,
        "_source": ["sandyq_title", "sandyq_registration_number"],
    }


class ElasticsearchEngine:
    name = "elasticsearch"

    def __init__(self, backend):
        self.backend = backend

    @property
    def index_name(self) -> str:
        return self.backend.get_index_for_model(Page).name

    def search(self, request: EngineRequest) -> EngineResult:
        if request.query.is_empty or request.offset >= MAX_RESULT_WINDOW:
            return EngineResult([], 0, {name: {} for name in FACETS})
        return parse_response(self._search(search_body(request)))

    def _search(self, body: dict) -> dict:
        try:
            return self.backend.es.search(index=self.index_name, **body)
        except (ApiError, TransportError) as error:
            logger.exception("Elasticsearch did not answer a search")
            raise SearchUnavailable from error

    def autocomplete(self, tokens, user_tokens, status: str = "", limit: int = 8):
        body = autocomplete_body(tokens, user_tokens, status, limit)
        response = self._search(body)
        return [
            (
                int(hit["_id"]),
                hit["_source"].get("sandyq_title", ""),
                hit["_source"].get("sandyq_registration_number", ""),
            )
            for hit in response["hits"]["hits"]
        ]


def parse_response(response) -> EngineResult:
    hits = response["hits"]
    page_ids, snippets = [], {}
    for hit in hits["hits"]:
        page_id = int(hit["_id"])
        page_ids.append(page_id)
        fragments = hit.get("highlight", {}).get("sandyq_text")
        if fragments:
            snippets[page_id] = " … ".join(fragments)
    facets = {
        name: {
            bucket["key"]: bucket["doc_count"]
            for bucket in response.get("aggregations", {})
            .get(name, {})
            .get("values", {})
            .get("buckets", [])
        }
        for name in FACETS
    }
    return EngineResult(page_ids, hits["total"]["value"], facets, snippets)
