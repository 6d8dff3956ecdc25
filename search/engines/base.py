"""What the search service asks an engine, and what an engine answers.

An engine (the database one for SQLite and PostgreSQL, or Elasticsearch) gets
the parsed query, the access tokens of the user from ``docs_library.access``
and the filters, and must apply all of them inside its own query: totals,
facet counts and the page of results are counted over what the user may see
and nothing else. The service turns the answer into pages, labels and snippets.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from search.query import ParsedQuery

# Facets, in the order they are shown, and the column of ``SearchEntry`` that
# holds each (the Elasticsearch documents use ``sandyq_<name>``).
FACETS = ("region", "type", "year", "language", "status")
FACET_COLUMNS = {
    "region": "region_id",
    "type": "entry_type",
    "year": "year",
    "language": "language",
    "status": "status",
}

SORTS = ("relevance", "newest", "oldest")

# A query is *heavy* when it matches more than this share of the searchable
# entries, and more than ``HEAVY_MATCHES`` of them: the party's name, «отан»,
# a region's name. Its words say next to nothing about which of the matches
# the reader wants (bm25 gives a word in half of the documents or more no
# weight at all), and scoring every match is most of what such a search costs
# (docs/search.md, "Heavy words"). So after the registration, exact and
# language tiers the database engines order a heavy query's matches newest
# first (undated last, then the newer page) instead of by score; which pages
# match, the total and the facet counts are the same either way.
HEAVY_SHARE = 0.2
HEAVY_MATCHES = 2_000


def heavy_threshold(entries: float) -> float:
    """Matches past which a query over ``entries`` searchable entries is heavy."""
    return max(HEAVY_MATCHES, HEAVY_SHARE * entries)


class SearchUnavailable(Exception):
    """The engine could not answer (an Elasticsearch cluster out of reach)."""


@dataclass(frozen=True)
class SearchFilters:
    """Narrowing chosen by the reader; ``facets`` maps a facet name to one value."""

    facets: dict[str, str | int] = field(default_factory=dict)
    organisation_path: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    status: str = ""  # forced status (public search: current only), not a facet choice


@dataclass(frozen=True)
class EngineRequest:
    query: ParsedQuery
    tokens: frozenset[str] | None  # None: every record (superusers)
    filters: SearchFilters
    sort: str = "relevance"
    offset: int = 0
    limit: int = 10


@dataclass
class EngineResult:
    page_ids: list[int]
    total: int
    facets: dict[str, dict[str | int, int]]
    # Elasticsearch's highlighter gives snippets; the database engine leaves
    # them to the service, which builds them from the stored text.
    snippets: dict[int, str] = field(default_factory=dict)
