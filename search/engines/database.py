"""The database engine: PostgreSQL full text (or SQLite FTS5) over ``SearchEntry``.

PostgreSQL searches with the one statement built here. SQLite searches with
``search.engines.sqlite``, which keeps this module's dialect and order but
does the joins in memory; the statement still runs on SQLite, and a test holds
the two engines to the same answers.

Every query lets the full-text index choose the candidates first (an FTS5
``MATCH`` driving the join, or a GIN scan of the ``tsvector``), then joins the
entry row by primary key, applies the filters, and only then ranks or counts.
Access is decided by the reader's tokens against the ``DocumentAccess`` rows
``docs_library.access`` keeps, by an ``EXISTS`` per candidate. One statement
per search: the visible candidates are materialised once with their facet
values and ranking keys, then grouped by facet values (total and facet counts
come from that) and sorted for the page of results.

Ranking, best first: the document whose registration number is the query;
then entries holding every query word exactly as typed; then by the engine's
score (bm25 on SQLite, ``ts_rank`` on PostgreSQL), with the title weighted
above the text and exact words above stems. The two engines rank identically
by those tiers; within a tier their scores may order ties differently.

On PostgreSQL the match and its ranking keys are a subquery of their own,
planned with sequential scans priced out (``enable_seqscan = off`` for the
search's statement only: ``planned``), so the GIN index answers it for any
query. The planner prices reading ``search_searchtext`` whole by its main
heap, a few megabytes, but a document's ``tsvector`` is about 10 KB in TOAST:
a full scan detoasts every vector of the archive (157 MB at 10,000 documents)
to test the match, where the index reads only the candidates'. No statistic
tells the planner so: after ``ANALYZE`` it still reads the table whole (or,
with sequential scans off, in key order for a merge join with the entry) for
any word in more than about a quarter of the documents, 1.4–1.9× the
index's time at 10,000 documents (``docs/search.md``). Each candidate's vector
is ranked where the index found it, before the entry is joined (ranking
matches the reader may not see cost less than reading a seen match's vector
again after the joins); every other table is reached by primary key or an
index.

User input never becomes SQL or FTS syntax: the query was already reduced to
tokens of letters and digits (``search.query``), each of which is quoted here
and passed as a bound parameter. The SQL strings are put together only from
table and column names defined here and ``%s`` placeholders (hence the
``noqa: S608`` marks).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction

from docs_library.models import DocumentAccess
from search.models import EntryKind, SearchEntry, SearchText
from search.query import ParsedQuery

from .base import FACET_COLUMNS, FACETS, EngineRequest, EngineResult

ENTRY = SearchEntry._meta.db_table
TEXT = SearchText._meta.db_table
ACCESS = DocumentAccess._meta.db_table
FTS = "search_entry_fts"

AUTOCOMPLETE_MAX_TOKENS = 6


class Dialect:
    """How one database spells the full-text parts of the query."""

    true, false = "1", "0"
    #: Planner settings the search statements run with (name, value).
    planner_settings: tuple[tuple[str, str], ...] = ()

    def quote(self, token: str) -> str:
        raise NotImplementedError

    def match_sql(self) -> tuple[str, str]:
        """(FROM clause, WHERE condition with one placeholder for the match)."""
        raise NotImplementedError

    def score_sql(self) -> str:
        """A score expression, smaller is better; its parameters: ``score_params``."""
        raise NotImplementedError

    def ranked_match_sql(self, exact_match: str) -> tuple[str, str] | None:
        """``match_sql`` whose FROM also gives ``m.exact_match`` and ``m.score``, or None.

        Its placeholders: the exact match's, the score's, then the match's.
        """
        return None

    def score_params(self, match: str) -> list:
        return []

    def contains_sql(self) -> str:
        """A condition: the candidate also matches another expression (one placeholder)."""
        raise NotImplementedError

    def autocomplete_order(self) -> str:
        raise NotImplementedError

    def build(self, query: ParsedQuery) -> str:
        raise NotImplementedError

    def build_exact(self, query: ParsedQuery) -> str:
        raise NotImplementedError

    def build_prefix(self, tokens: list[str]) -> str:
        raise NotImplementedError


class SQLiteDialect(Dialect):
    """FTS5: column filters keep exact words and stems apart in one table."""

    true, false = "1", "0"

    WORDS = "{title_words text_words}"
    KEYS = "{title_keys text_keys}"

    def quote(self, token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    def match_sql(self):
        return (
            f"{FTS} CROSS JOIN {ENTRY} e ON e.page_id = {FTS}.rowid",
            f"{FTS} MATCH %s",
        )

    def score_sql(self):
        # title words, title keys, text words, text keys
        return f"bm25({FTS}, 10.0, 4.0, 2.0, 1.0)"

    def contains_sql(self):
        return f"{FTS}.rowid IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)"  # noqa: S608

    def autocomplete_order(self):
        return f"{FTS}.rowid DESC"

    def _word(self, word) -> str:
        exact = f"{self.WORDS}: {self.quote(word.exact)}"
        if not word.keys:
            return f"({exact})"
        keys = " OR ".join(self.quote(key) for key in word.keys)
        return f"({exact} OR {self.KEYS}: ({keys}))"

    def _phrase(self, tokens) -> str:
        return f"({self.WORDS}: {self.quote(' '.join(tokens))})"

    def build(self, query):
        required = " AND ".join(
            [self._word(word) for word in query.words]
            + [self._phrase(phrase) for phrase in query.phrases]
        )
        if query.excluded:
            excluded = " OR ".join(self._word(word) for word in query.excluded)
            return f"({required}) NOT ({excluded})"
        return required

    def build_exact(self, query):
        parts = [f"{self.WORDS}: {self.quote(word.exact)}" for word in query.words]
        parts += [self._phrase(phrase) for phrase in query.phrases]
        return " AND ".join(parts)

    def build_prefix(self, tokens):
        return " AND ".join(f"{{title_words}}: {self.quote(token)}*" for token in tokens)


class PostgresDialect(Dialect):
    """tsvector: title words, title keys, text words, text keys weighted A, B, C, D."""

    true, false = "TRUE", "FALSE"
    # A full scan detoasts every vector of the archive, which the planner
    # does not count (the module's docstring): the GIN index must choose.
    planner_settings = (("enable_seqscan", "off"),)

    def quote(self, token: str) -> str:
        return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"

    def match_sql(self):
        return (
            f"{TEXT} t JOIN {ENTRY} e ON e.page_id = t.page_id",
            "t.vector @@ to_tsquery('simple', %s)",
        )

    def ranked_match_sql(self, exact_match: str) -> tuple[str, str]:
        # The match and its ranking keys are worked out on their own (``OFFSET
        # 0`` keeps the subquery apart), where with sequential scans priced out
        # nothing but the GIN index can answer: joined with the entry, the
        # planner's other choice is a full scan of the text table in key order
        # for a merge join. Each vector is read where the index found it.
        return (
            f"(SELECT t.page_id, {exact_match} AS exact_match, {self.score_sql()} AS score "  # noqa: S608
            f"FROM {TEXT} t WHERE t.vector @@ to_tsquery('simple', %s) OFFSET 0) m "
            f"JOIN {ENTRY} e ON e.page_id = m.page_id",
            "TRUE",
        )

    def score_sql(self):
        # ts_rank's weights are given for D, C, B, A; higher is better, so negate.
        return "-ts_rank('{0.1, 0.2, 0.4, 1.0}', t.vector, to_tsquery('simple', %s))"

    def score_params(self, match):
        return [match]

    def contains_sql(self):
        return "t.vector @@ to_tsquery('simple', %s)"

    def autocomplete_order(self):
        return "t.page_id DESC"

    def _word(self, word) -> str:
        alternatives = [f"{self.quote(word.exact)}:AC"]
        alternatives += [f"{self.quote(key)}:BD" for key in word.keys]
        return "(" + " | ".join(alternatives) + ")"

    def _phrase(self, tokens) -> str:
        return "(" + " <-> ".join(f"{self.quote(token)}:AC" for token in tokens) + ")"

    def build(self, query):
        required = " & ".join(
            [self._word(word) for word in query.words]
            + [self._phrase(phrase) for phrase in query.phrases]
        )
        if query.excluded:
            excluded = " | ".join(self._word(word) for word in query.excluded)
            return f"({required}) & !({excluded})"
        return required

    def build_exact(self, query):
        parts = [f"{self.quote(word.exact)}:AC" for word in query.words]
        parts += [self._phrase(phrase) for phrase in query.phrases]
        return " & ".join(parts)

    def build_prefix(self, tokens):
        return " & ".join(f"{self.quote(token)}:*A" for token in tokens)


@contextmanager
def planned(dialect: Dialect):
    """A cursor whose statements run with the dialect's planner settings.

    The settings are set local to a transaction (a savepoint inside one that is
    already open, such as a test's or a request's) and put back as they were
    right after, so no other statement of the request is planned with them.
    """
    if not dialect.planner_settings:
        with connection.cursor() as cursor:
            yield cursor
        return
    names = [name for name, _value in dialect.planner_settings]
    nested = connection.in_atomic_block  # else the commit ends the settings
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(["current_setting(%s), set_config(%s, %s, TRUE)"] * len(names)),
            [item for name, value in dialect.planner_settings for item in (name, name, value)],
        )
        previous = cursor.fetchone()[::2]
        yield cursor
        if nested:
            cursor.execute(
                "SELECT " + ", ".join(["set_config(%s, %s, TRUE)"] * len(names)),
                [item for pair in zip(names, previous, strict=True) for item in pair],
            )


def dialect_for(vendor: str) -> Dialect:
    if vendor == "sqlite":
        return SQLiteDialect()
    if vendor == "postgresql":
        return PostgresDialect()
    raise NotImplementedError(f"Database search needs SQLite or PostgreSQL, not {vendor}")


def placeholders(values) -> str:
    """``%s, %s, …``: one bound parameter per value, for an ``IN (…)`` list."""
    return ", ".join(["%s"] * len(values))


def access_condition(tokens: frozenset[str] | None) -> tuple[str, list]:
    """The access policy inside the query: non-records are public, a record needs a token.

    ``tokens`` come from ``docs_library.access.user_tokens``; the rows they are
    checked against are the ``DocumentAccess`` rows the same module keeps.
    """
    if tokens is None:
        return "", []
    if not tokens:
        return "e.kind <> %s", [EntryKind.DOCUMENT.value]
    tokens = sorted(tokens)
    return (
        f"(e.kind <> %s OR EXISTS (SELECT 1 FROM {ACCESS} a "  # noqa: S608 - names and %s only
        f"WHERE a.page_id = e.page_id AND a.token IN ({placeholders(tokens)})))",
        [EntryKind.DOCUMENT.value, *tokens],
    )


def base_conditions(request: EngineRequest) -> tuple[list[str], list]:
    """Everything but the facet choices: access, organisation subtree, dates, forced status."""
    conditions: list[str] = []
    params: list = []
    sql, access_params = access_condition(request.tokens)
    if sql:
        conditions.append(sql)
        params.extend(access_params)
    filters = request.filters
    if filters.organisation_path:
        conditions.append("substr(e.path, 1, %s) = %s")
        params.extend([len(filters.organisation_path), filters.organisation_path])
    if filters.date_from:
        conditions.append("e.date >= %s")
        params.append(filters.date_from.isoformat())
    if filters.date_to:
        conditions.append("e.date <= %s")
        params.append(filters.date_to.isoformat())
    if filters.status:
        conditions.append("e.status = %s")
        params.append(filters.status)
    return conditions, params


NUMERIC_FACETS = frozenset({"region", "year"})


def facet_conditions(request: EngineRequest, skip: str = "") -> tuple[str, list]:
    """A WHERE clause over ``hits`` for the chosen facet values, but ``skip``'s."""
    conditions, params = [], []
    for name in FACETS:
        if name in request.filters.facets and name != skip:
            conditions.append(f"{FACET_COLUMNS[name]} = %s")
            params.append(request.filters.facets[name])
    return (" WHERE " + " AND ".join(conditions) if conditions else ""), params


class DatabaseEngine:
    name = "database"

    def __init__(self, vendor: str | None = None):
        self.dialect = dialect_for(vendor or connection.vendor)

    def statement(self, request: EngineRequest) -> tuple[str, list]:
        """The one SQL statement of a search (the benchmark explains it).

        The visible candidates are materialised once (``hits``) with their
        facet values and ranking keys. From them the statement returns, tagged
        in its first column: each facet's counts (0), counted with every
        other facet's choice applied but not its own; the total (2); and the
        requested page of results with their positions (1). The full-text
        match and the access check thus run once per candidate.
        """
        dialect = self.dialect
        query = request.query
        match = dialect.build(query)
        source, match_condition = dialect.match_sql()
        conditions, condition_params = base_conditions(request)
        select_params: list = []

        if query.registration_keys:
            keys = query.registration_keys
            registration = f"(e.registration_key IN ({placeholders(keys)}))"
            select_params.extend(keys)
        else:
            registration = dialect.false
        if query.language:
            language = "(e.language = %s)"
            select_params.append(query.language)
        else:
            language = dialect.false
        exact = dialect.build_exact(query)
        if exact and exact != match:
            exact_match = f"({dialect.contains_sql()})"
            select_params.append(exact)
        else:
            exact_match = dialect.true
        select_params.extend(dialect.score_params(match))

        hits_columns = ", ".join(f"e.{FACET_COLUMNS[name]}" for name in FACETS)
        ranking = f"{exact_match} AS exact_match, {dialect.score_sql()} AS score"
        ranked = dialect.ranked_match_sql(exact_match)
        if ranked is not None:
            (source, match_condition), ranking = ranked, "m.exact_match, m.score"
        sql = [
            f"WITH hits AS MATERIALIZED ("  # noqa: S608 - names and %s only
            f"SELECT e.page_id, e.date, {hits_columns}, "
            f"{registration} AS registration_match, {language} AS language_match, {ranking} "
            f"FROM {source} WHERE {' AND '.join([match_condition, *conditions])})"
        ]
        params = [*select_params, match, *condition_params]
        for name in FACETS:
            column = FACET_COLUMNS[name]
            where, where_params = facet_conditions(request, skip=name)
            sql.append(
                f"SELECT 0, '{name}', CAST({column} AS TEXT), COUNT(*) FROM hits{where} "  # noqa: S608
                f"GROUP BY {column}"
            )
            params += where_params
        where, where_params = facet_conditions(request)
        sql.append(f"SELECT 2, 'total', '', COUNT(*) FROM hits{where}")  # noqa: S608
        params += where_params
        order = self._order(request)
        sql.append(
            f"SELECT * FROM (SELECT 1, '', "  # noqa: S608
            f"CAST(ROW_NUMBER() OVER (ORDER BY {order}) AS TEXT), page_id "
            f"FROM hits{where} ORDER BY {order} LIMIT %s OFFSET %s) AS page"
        )
        params += [*where_params, request.limit, request.offset]
        return sql[0] + " " + " UNION ALL ".join(sql[1:]), params

    @staticmethod
    def _order(request: EngineRequest) -> str:
        if request.sort == "newest":
            return "(date IS NULL), date DESC, score, page_id DESC"
        if request.sort == "oldest":
            return "(date IS NULL), date ASC, score, page_id"
        return "registration_match DESC, exact_match DESC, language_match DESC, score, page_id DESC"

    def search(self, request: EngineRequest) -> EngineResult:
        facets: dict[str, dict[str | int, int]] = {name: {} for name in FACETS}
        if request.query.is_empty:
            return EngineResult([], 0, facets)
        with planned(self.dialect) as cursor:
            cursor.execute(*self.statement(request))
            rows = cursor.fetchall()
        total, page = 0, []
        for tag, name, value, number in rows:
            if tag == 0 and value not in (None, ""):
                facets[name][int(value) if name in NUMERIC_FACETS else value] = number
            elif tag == 2:
                total = number
            elif tag == 1:
                page.append((int(value), number))
        return EngineResult([page_id for _position, page_id in sorted(page)], total, facets)

    def autocomplete_statement(self, tokens: list[str], user_tokens, status: str, limit: int):
        source, match_condition = self.dialect.match_sql()
        access_sql, access_params = access_condition(user_tokens)
        conditions = [match_condition]
        params = [self.dialect.build_prefix(tokens)]
        if access_sql:
            conditions.append(access_sql)
            params += access_params
        if status:
            conditions.append("e.status = %s")
            params.append(status)
        sql = (
            f"SELECT e.page_id, e.title, e.registration_number FROM {source} "  # noqa: S608
            f"WHERE {' AND '.join(conditions)} "
            f"ORDER BY {self.dialect.autocomplete_order()} LIMIT %s"
        )
        return sql, [*params, limit]

    def autocomplete(self, tokens: list[str], user_tokens, status: str = "", limit: int = 8):
        """Titles and registration numbers with words starting as typed, newest first."""
        tokens = tokens[:AUTOCOMPLETE_MAX_TOKENS]
        if not tokens:
            return []
        sql, params = self.autocomplete_statement(tokens, user_tokens, status, limit)
        with planned(self.dialect) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
