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

A heavy query (more than ``base.heavy_threshold`` matches: the party's name,
a region's) is ordered newest first after the tiers instead of by score, so
no match is scored (docs/search.md, "Heavy words"); the statement counts the
matches first (``heavy``) and decides per row with a ``CASE``.

On PostgreSQL a heavy query's answer is kept in the shared cache until one of
the tables it reads changes (``search.engines.kept``).

On PostgreSQL the matches are found once, in a CTE of their own (``m``),
planned with sequential scans priced out (``enable_seqscan = off`` for the
search's statement only: ``planned``), so a GIN index answers it for any
query. The planner prices reading ``search_searchtext`` whole by its main
heap, a few megabytes, but a document's ``tsvector`` is about 10 KB in TOAST:
a full scan detoasts every vector of the archive (157 MB at 10,000 documents)
to test the match, where the index reads only the candidates'. No statistic
tells the planner so. A one-word query is matched by the unweighted indexes
of words and keys (migration 0005), which read no vector at all; other
queries by the weighted vector's index, which rechecks weights and positions
on the candidates (``PostgresDialect.match``). A match's vector is read again
only to rank it, after the access check, and never for a heavy query; the
exact tier is a set the words' index gives. Every other table is reached by
primary key or an index.

User input never becomes SQL or FTS syntax: the query was already reduced to
tokens of letters and digits (``search.query``), each of which is quoted here
and passed as a bound parameter. The SQL strings are put together only from
table and column names defined here and ``%s`` placeholders (hence the
``noqa: S608`` marks).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction

from docs_library.models import DocumentAccess
from search.models import EntryKind, SearchEntry, SearchText
from search.query import ParsedQuery

from . import base
from . import kept as kept_answers
from .base import FACET_COLUMNS, FACETS, EngineRequest, EngineResult
from .kept import KeptAnswer

logger = logging.getLogger("sandyq.search")

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

    def prelude(self, query: ParsedQuery) -> tuple[str, list]:
        """The statement's first common table expressions, ending with ``heavy``: one row,
        ``yes`` true when the query matches more than ``base.heavy_threshold`` entries
        (whoever may see them)."""
        raise NotImplementedError

    def ranked_source(
        self, query: ParsedQuery, heavy: str
    ) -> tuple[str, list, str, list, str, list]:
        """The FROM of the hits (the match joined to its entry as ``e``) and its WHERE,
        and the two ranking expressions (all words exact, score), each with parameters.

        ``heavy`` is a condition true for a heavy query; its score is not worked out.
        """
        raise NotImplementedError

    def date_key(self) -> str:
        """A heavy query's score: undated last, then the newer date first."""
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

    def prelude(self, query):
        return (
            f"heavy AS MATERIALIZED (SELECT (SELECT count(*) FROM {FTS} "  # noqa: S608
            f"WHERE {FTS} MATCH %s) > max(%s, %s * (SELECT count(*) FROM {ENTRY})) AS yes)",
            [self.build(query), base.HEAVY_MATCHES, base.HEAVY_SHARE],
        )

    def ranked_source(self, query, heavy):
        match = self.build(query)
        source, condition = self.match_sql()
        exact = self.build_exact(query)
        if exact and exact != match:
            exact_sql = f"({FTS}.rowid IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s))"  # noqa: S608
            exact_params = [exact]
        else:
            exact_sql, exact_params = self.true, []
        score = f"CASE WHEN {heavy} THEN {self.date_key()} ELSE {self.score_sql()} END"
        return source, [], condition, [match], exact_sql, exact_params, score, []

    def date_key(self):
        return "coalesce(-julianday(e.date), 1e9)"

    def autocomplete_order(self):
        return f"{FTS}.rowid DESC"

    def word_exact(self, word) -> str:
        """The word as typed, in the word columns."""
        return f"{self.WORDS}: {self.quote(word.exact)}"

    def word_keys(self, word) -> str:
        """The word's keys, in the key columns ("" when it has none)."""
        if not word.keys:
            return ""
        return f"{self.KEYS}: (" + " OR ".join(self.quote(key) for key in word.keys) + ")"

    def _word(self, word) -> str:
        keys = self.word_keys(word)
        return f"({self.word_exact(word)} OR {keys})" if keys else f"({self.word_exact(word)})"

    def phrase(self, tokens) -> str:
        return f"({self.WORDS}: {self.quote(' '.join(tokens))})"

    def build(self, query):
        required = " AND ".join(
            [self._word(word) for word in query.words]
            + [self.phrase(phrase) for phrase in query.phrases]
        )
        if query.excluded:
            excluded = " OR ".join(self._word(word) for word in query.excluded)
            return f"({required}) NOT ({excluded})"
        return required

    def build_exact(self, query):
        parts = [self.word_exact(word) for word in query.words]
        parts += [self.phrase(phrase) for phrase in query.phrases]
        return " AND ".join(parts)

    def build_prefix(self, tokens):
        return " AND ".join(f"{{title_words}}: {self.quote(token)}*" for token in tokens)


class PostgresDialect(Dialect):
    """tsvector: title words, title keys, text words, text keys weighted A, B, C, D."""

    true, false = "TRUE", "FALSE"
    # A full scan detoasts every vector of the archive, which the planner
    # does not count (the module's docstring): the GIN indexes must choose.
    # The exact tier of a heavy query is a hashed set of every match.
    # Parallel workers and JIT compilation cost more to start than a search takes
    # (the index functions' high cost would otherwise call for JIT).
    planner_settings = (
        ("enable_seqscan", "off"),
        ("work_mem", "64MB"),
        ("max_parallel_workers_per_gather", "0"),
        ("jit", "off"),
    )

    def quote(self, token: str) -> str:
        return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"

    def match_sql(self):
        return (
            f"{TEXT} t JOIN {ENTRY} e ON e.page_id = t.page_id",
            "t.vector @@ to_tsquery('simple', %s)",
        )

    def prelude(self, query):
        # The matches are found once (``m``), with sequential scans priced out
        # (``planned``), and counted to tell a heavy query. The planner's
        # estimate of the entries, as ``ANALYZE`` last counted them, stands for
        # their number. See ``match`` for which index finds them.
        matches, params = self.match(query)
        return (
            f"m AS MATERIALIZED ({matches}), "  # noqa: S608
            f"heavy AS MATERIALIZED (SELECT count(*) > GREATEST(%s, %s * "
            f"(SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = '{ENTRY}'::regclass)) "
            f"AS yes FROM m)",
            [*params, base.HEAVY_MATCHES, base.HEAVY_SHARE],
        )

    def match(self, query: ParsedQuery) -> tuple[str, list]:
        """A statement of the matching page ids, and its parameters.

        One word: the GIN indexes of words and keys (migration 0005) answer
        its exact form or its keys without weights, so they need no second
        look at the row and no vector is read, which for a word in every
        document is the whole archive; excluded words are then tested on the
        candidates' vectors, outside the index scan (``OFFSET 0``), where
        the words' index functions are never evaluated row by row.

        More words, or phrases: the weighted vector's GIN index, which
        intersects the words inside one index scan and rechecks the weights
        and positions on the candidates' vectors. Given a word's index per
        word, the planner tests all but one word row by row instead, parsing
        each candidate's text again (its cost model charges every condition
        per row anyway), and a set per word costs the sum of the words'
        matches.
        """
        if len(query.words) == 1 and not query.phrases:
            [word] = query.words
            condition = f"{words_vector('t')} @@ to_tsquery('simple', %s)"
            params = [self.quote(word.exact)]
            if word.keys:
                condition = f"({condition} OR {keys_vector('t')} @@ to_tsquery('simple', %s))"
                params.append(" | ".join(map(self.quote, word.keys)))
            if not query.excluded:
                return f"SELECT t.page_id FROM {TEXT} t WHERE {condition}", params  # noqa: S608
            return (
                f"SELECT c.page_id FROM (SELECT t.page_id, t.vector FROM {TEXT} t "  # noqa: S608
                f"WHERE {condition} OFFSET 0) c WHERE c.vector @@ to_tsquery('simple', %s)",
                [*params, self.build(query)],
            )
        return (
            f"SELECT t.page_id FROM {TEXT} t WHERE t.vector @@ to_tsquery('simple', %s)",  # noqa: S608
            [self.build(query)],
        )

    def ranked_source(self, query, heavy):
        # Every visible match's vector is read (from TOAST, about 10 KB) to rank
        # it, unless the query is heavy; the exact tier is a hashed set the
        # words' index gives.
        words = [self.quote(word.exact) for word in query.words]
        if words:
            exact_sql = (
                f"(m.page_id IN (SELECT x.page_id FROM {TEXT} x "  # noqa: S608
                f"WHERE {words_vector('x')} @@ to_tsquery('simple', %s)))"
            )
            exact_params = [" & ".join(words)]
        else:  # phrases only: every match holds them exactly
            exact_sql, exact_params = self.true, []
        score = (
            f"CASE WHEN {heavy} THEN {self.date_key()} ELSE (SELECT {self.score_sql()} "  # noqa: S608
            f"FROM {TEXT} t WHERE t.page_id = m.page_id) END"
        )
        return (
            f"m JOIN {ENTRY} e ON e.page_id = m.page_id",
            [],
            "TRUE",
            [],
            exact_sql,
            exact_params,
            score,
            [self.build(query)],
        )

    def score_sql(self):
        # ts_rank's weights are given for D, C, B, A; higher is better, so negate.
        return "-ts_rank('{0.1, 0.2, 0.4, 1.0}', t.vector, to_tsquery('simple', %s))"

    def date_key(self):
        return "coalesce(CAST(DATE '1970-01-01' - e.date AS double precision), 1e9)"

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


def words_vector(alias: str) -> str:
    """The words of a text row as its ``search_text_words`` index holds them (migration 0005)."""
    return f"sandyq_search_words({alias}.title_words, {alias}.text_words)"


def keys_vector(alias: str) -> str:
    """The keys of a text row as its ``search_text_keys`` index holds them (migration 0005)."""
    return f"sandyq_search_keys({alias}.title_keys, {alias}.text_keys)"


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
        vendor = vendor or connection.vendor
        self.dialect = dialect_for(vendor)
        # A heavy query's answer is kept until the index changes (``search.engines.kept``).
        self.keeps_answers = vendor == "postgresql"

    def statement(self, request: EngineRequest) -> tuple[str, list]:
        """The one SQL statement of a search (the benchmark explains it).

        The visible candidates are materialised once (``hits``) with their
        facet values and ranking keys. From them the statement returns, tagged
        in its first column: each facet's counts (0), counted with every
        other facet's choice applied but not its own; the total (2); and the
        requested page of results with their positions (1); and whether the
        query is heavy (3). The full-text match and the access check thus run
        once per candidate.
        """
        dialect = self.dialect
        query = request.query
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
        prelude, prelude_params = dialect.prelude(query)
        heavy = "(SELECT yes FROM heavy)"
        (
            source,
            source_params,
            match_condition,
            match_params,
            exact_match,
            exact_params,
            score,
            score_params,
        ) = dialect.ranked_source(query, heavy)

        hits_columns = ", ".join(f"e.{FACET_COLUMNS[name]}" for name in FACETS)
        sql = [
            f"WITH {prelude}, hits AS MATERIALIZED ("  # noqa: S608 - names and %s only
            f"SELECT e.page_id, e.date, {hits_columns}, "
            f"{registration} AS registration_match, {language} AS language_match, "
            f"{exact_match} AS exact_match, {score} AS score "
            f"FROM {source} WHERE {' AND '.join([match_condition, *conditions])})"
        ]
        params = [
            *prelude_params,
            *select_params,
            *exact_params,
            *score_params,
            *source_params,
            *match_params,
            *condition_params,
        ]
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
        sql.append(f"SELECT 3, 'heavy', '', CASE WHEN {heavy} THEN 1 ELSE 0 END")
        # The page is cut from the hits first (a top-N sort, which keeps only
        # ``limit + offset`` rows), then numbered: a window over every hit would
        # sort them all.
        order = self._order(request)
        sql.append(
            f"SELECT 1, '', CAST(ROW_NUMBER() OVER (ORDER BY {order}) AS TEXT), page_id "  # noqa: S608
            f"FROM (SELECT * FROM hits{where} ORDER BY {order} LIMIT %s OFFSET %s) AS page"
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
        if request.query.is_empty:
            return EngineResult([], 0, {name: {} for name in FACETS})
        return self.answer(*self.statement(request))

    def answer(self, sql: str, params, remember: bool = True) -> EngineResult:
        """What the search statement answers: kept, or run (and kept if heavy)."""
        facets: dict[str, dict[str | int, int]] = {name: {} for name in FACETS}
        kept = KeptAnswer(sql, params) if self.keeps_answers else None
        with planned(self.dialect) as cursor:
            answer = kept.find(cursor) if kept else None
            if answer is not None:
                return answer
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        total, page, heavy = 0, [], False
        for tag, name, value, number in rows:
            if tag == 0 and value not in (None, ""):
                facets[name][int(value) if name in NUMERIC_FACETS else value] = number
            elif tag == 2:
                total = number
            elif tag == 1:
                page.append((int(value), number))
            elif tag == 3:
                heavy = bool(number)
        answer = EngineResult([page_id for _position, page_id in sorted(page)], total, facets)
        if kept and heavy:
            kept.keep(answer)
            if remember:
                kept_answers.remember(sql, params)
        return answer

    def refresh_kept_answers(self) -> int:
        """The heavy statements readers asked lately, answered again and kept
        (``search.engines.kept``, "Answered again after a change")."""
        kept_answers.refresh_started()
        statements = kept_answers.asked()
        for sql, params in statements:
            try:
                self.answer(sql, params, remember=False)
            except DatabaseError:  # a statement of the code before a deploy: skip it
                logger.warning("A remembered search statement failed again", exc_info=True)
        return len(statements)

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
