"""The Elasticsearch backend Sandyq uses when ``ELASTICSEARCH_URL`` is set.

The client's major version matches the server's: elasticsearch-py 9 talks to
Elasticsearch 9. Elasticsearch has no Kazakh analyser, so it is given none:
the keys ``search.analysis`` computes (stems, folded Latin, registration
numbers) arrive ready-made and are indexed with a whitespace analyser that
leaves them alone, exactly as SQLite FTS5 and PostgreSQL's ``simple``
configuration do. The index settings below define that analyser; the mapping
class adds to every page document the fields the search service filters,
counts and highlights on (``sandyq_*``), filled by ``search.indexing`` from the
same values the database index stores, including the record's access tokens
from ``docs_library.access`` (``["public"]`` for live pages that are not
records).
"""

from __future__ import annotations

from copy import deepcopy

from modelsearch.utils import deep_update
from wagtail.models import Page
from wagtail.search.backends.elasticsearch9 import (
    Elasticsearch9AutocompleteQueryCompiler,
    Elasticsearch9Mapping,
    Elasticsearch9SearchBackend,
    Elasticsearch9SearchQueryCompiler,
)
from wagtail.search.index import AutocompleteField, FilterField

from search import indexing

KEYS_ANALYZER = "sandyq_keys"
TEXT_ANALYZER = "sandyq_text"

ANALYSIS_SETTINGS = {
    "settings": {
        "analysis": {
            "analyzer": {
                # Keys are already normalised, stemmed and folded in Python;
                # splitting on spaces is all that is left to do.
                KEYS_ANALYZER: {"type": "custom", "tokenizer": "whitespace"},
                # The readable text, for the highlighter only.
                TEXT_ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase"],
                },
            }
        }
    }
}

# Fields every page document carries for the search service.
SANDYQ_PROPERTIES = {
    "sandyq_kind": {"type": "keyword"},
    "sandyq_tokens": {"type": "keyword"},
    "sandyq_region": {"type": "integer"},
    "sandyq_type": {"type": "keyword"},
    "sandyq_year": {"type": "integer"},
    "sandyq_date": {"type": "date"},
    "sandyq_language": {"type": "keyword"},
    "sandyq_status": {"type": "keyword"},
    "sandyq_path": {"type": "keyword"},
    "sandyq_registration": {"type": "keyword"},
    "sandyq_title": {"type": "keyword", "index": False},
    "sandyq_registration_number": {"type": "keyword", "index": False},
    "sandyq_title_words": {"type": "text", "analyzer": KEYS_ANALYZER},
    "sandyq_title_terms": {"type": "text", "analyzer": KEYS_ANALYZER},
    "sandyq_words": {"type": "text", "analyzer": KEYS_ANALYZER},
    "sandyq_text": {
        "type": "text",
        "analyzer": TEXT_ANALYZER,
        "index_options": "offsets",
    },
}

# search_fields entries shared by several page models under one name; Wagtail
# would prefix each with the model that declares it, splitting one field in three.
SHARED_FIELDS = frozenset({"search_terms"})


class SandyqElasticsearchMapping(Elasticsearch9Mapping):
    def get_field_column_name(self, field):
        if field.field_name in SHARED_FIELDS and not isinstance(
            field, FilterField | AutocompleteField
        ):
            return field.field_name
        return super().get_field_column_name(field)

    def get_mapping(self):
        mapping = super().get_mapping()
        if issubclass(self.model, Page):
            mapping["properties"].update(deepcopy(SANDYQ_PROPERTIES))
        return mapping

    def get_document(self, obj):
        if not isinstance(obj, Page):
            return super().get_document(obj)
        # One analysis for both the search_terms field and the sandyq_* fields.
        extra = indexing.elasticsearch_fields(obj)
        obj._sandyq_terms = extra.pop("_terms", None)
        try:
            document = super().get_document(obj)
        finally:
            del obj._sandyq_terms
        document.update(extra)
        return document


class SandyqSearchQueryCompiler(Elasticsearch9SearchQueryCompiler):
    mapping_class = SandyqElasticsearchMapping


class SandyqAutocompleteQueryCompiler(Elasticsearch9AutocompleteQueryCompiler):
    mapping_class = SandyqElasticsearchMapping


class SandyqElasticsearchBackend(Elasticsearch9SearchBackend):
    mapping_class = SandyqElasticsearchMapping
    query_compiler_class = SandyqSearchQueryCompiler
    autocomplete_query_compiler_class = SandyqAutocompleteQueryCompiler

    settings = deep_update(deepcopy(Elasticsearch9SearchBackend.settings), ANALYSIS_SETTINGS)
    #: Read by ``search.indexing`` (which this module imports): the backends to
    #: re-send a page to when its access tokens or place change.
    takes_sandyq_fields = True


SearchBackend = SandyqElasticsearchBackend
