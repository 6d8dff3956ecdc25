"""The database engine on SQLite: FTS5 finds and scores, arrays in memory do the rest.

A search asks FTS5 three things, none of which joins a table:

1. every page id the query matches (``group_concat(rowid)``: one string,
   parsed by numpy, instead of a Python row per match);
2. the ids that hold every query word exactly as typed (the exact tier);
3. the best-scored matches (bm25, the title weighted above the text and exact
   words above stems), as few as the page of results needs.

Who may open each match, the filters, the total and the facet counts come
from ``search.engines.columns``: the entries' facet values and the ``DocumentAccess``
tokens of ``docs_library.access``, by page id, synced with the database before
they are used. So the total, the pages and every facet count leave out what
the reader may not open, exactly as the SQL statement of ``DatabaseEngine``
(which PostgreSQL runs) counts them; a test holds the two to the same answers.

The order is the same too: the registration number, then the exact tier, then
the documents in the query's language (``ParsedQuery.language``), then bm25,
then the newer page first. Query 3 asks for the best-scored matches of
*all* matches, visible or not, because FTS5 cannot be told the reader's
tokens without walking their doclists (docs/search.md): it asks for as many as
the share of visible matches suggests, and for more when the page cannot be
filled from what came back. Sorting by date reads every match's score.

A heavy query (more than ``base.heavy_threshold`` matches, whoever may see
them: the party's name, a region's) is not scored at all: after the tiers
its matches are ordered newest first from the arrays, as the statement
orders them (docs/search.md, "Heavy words"). bm25 over every match was most of
such a search and the whole of its floor. What is left, FTS5 listing every
match, is done once: the lists of a heavy query (every match, the exact tier)
are kept in the process (``columns.FoundIds``) and used again while the
arrays' version, which moves with the change log, is the one read before
FTS5 was asked. They hold every match whoever may see it, so one list serves
every reader.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from django.db import connection

from search.engines.columns import ChangesUnwatched, EntryColumns, columns_for, day_number

from .base import FACETS, EngineRequest, EngineResult, heavy_threshold
from .database import ENTRY, FTS, DatabaseEngine, placeholders

logger = logging.getLogger("sandyq.search")

#: Best-scored matches asked for beyond the estimate, and how much more each retry asks.
SPARE = 16
GROWTH = 8


class SQLiteEngine(DatabaseEngine):
    """See the module docstring."""

    def __init__(self):
        super().__init__("sqlite")

    def search(self, request: EngineRequest) -> EngineResult:
        try:
            return self._search(request)
        except ChangesUnwatched as error:
            # Never answer from arrays that may have missed a change of access.
            logger.error(
                "Search reads entries from the database: the change log's triggers are "
                "missing (%s); see manage.py check --database default",
                error,
            )
            return super().search(request)

    def _search(self, request: EngineRequest) -> EngineResult:
        facets: dict[str, dict[str | int, int]] = {name: {} for name in FACETS}
        if request.query.is_empty:
            return EngineResult([], 0, facets)
        query, filters = request.query, request.filters
        relevance = request.sort == "relevance"
        match = self.dialect.build(query)
        exact = self.dialect.build_exact(query) if relevance else ""
        exact = exact if exact != match else ""
        store = columns_for(connection)
        with connection.cursor() as cursor:
            # A heavy query's ids may be kept from an earlier search: they hold
            # while the arrays' version, read here before FTS5 is asked, has not
            # moved (columns.FoundIds).
            with store.lock:
                store.sync(cursor)
                before = store.version
                matches = store.found.get(match, before)
                exact_ids = store.found.get(exact, before) if exact else None
            matches = _patched(cursor, match, matches)
            exact_ids = _patched(cursor, exact, exact_ids)
            if matches is None and exact and _asked_apart(query):
                matches, exact_ids = ids_apart(cursor, self.dialect, query)
            elif matches is None:
                matches = _ids(cursor, match)
            if not matches.size:
                return EngineResult([], 0, facets)
            if exact and exact_ids is None:
                exact_ids = _ids(cursor, exact)
            registration_ids = None
            if query.registration_keys and relevance:
                keys = list(query.registration_keys)
                registration_ids = _column(
                    cursor,
                    f"SELECT page_id FROM {ENTRY} WHERE registration_key "  # noqa: S608
                    f"IN ({placeholders(keys)})",
                    keys,
                )
            subtree_ids = None
            if filters.organisation_path:
                prefix = filters.organisation_path
                subtree_ids = _column(
                    cursor,
                    f"SELECT page_id FROM {ENTRY} WHERE path >= %s AND path < %s",  # noqa: S608
                    [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)],
                )
            # The columns are brought up to date after FTS5 has answered, so the
            # access each match is judged by is never older than the match. A
            # heavy query's ids are kept only when nothing moved since ``before``:
            # then they are the index as of the arrays' version ``before``.
            with store.lock:
                store.sync(cursor)
                heavy = matches.size > heavy_threshold(store.entries())
                if heavy and store.version == before:
                    store.found.keep(match, before, matches)
                    if exact:
                        store.found.keep(exact, before, exact_ids)
                kept, facets = _narrow(store, request, matches, subtree_ids)
                dates = store.date[kept] if heavy or not relevance else None
                in_language = (
                    _equals(store, "language", query.language, kept)
                    if query.language and relevance
                    else None
                )
            total = int(kept.size)
            if not total or request.offset >= total:
                return EngineResult([], total, facets)
            tiers = (registration_ids, exact_ids, in_language)
            if heavy:
                # Newest first after the tiers, no score: docs/search.md, "Heavy words".
                tier = _tiers(kept, *tiers) if relevance else None
                page = _newest_first(request, kept, dates, tier)
            elif not relevance:
                page = self._by_date(cursor, request, match, kept, dates)
            else:
                page = self._by_relevance(cursor, request, match, kept, matches.size, tiers)
        return EngineResult([int(page_id) for page_id in page], total, facets)

    def _scored(self, cursor, match: str, limit: int | None):
        """(ids, scores) of the best-scored matches, best first; all of them without a limit."""
        sql = f"SELECT rowid, {self.dialect.score_sql()} FROM {FTS} WHERE {FTS} MATCH %s"  # noqa: S608
        params: list = [match]
        if limit is not None:
            sql += f" ORDER BY {self.dialect.score_sql()}, rowid DESC LIMIT %s"
            params.append(limit)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        matrix = np.array(rows, dtype=np.float64)
        return matrix[:, 0].astype(np.int64), matrix[:, 1]

    def _by_date(self, cursor, request, match, kept, dates):
        """Undated last, then by date, then by score, then by page id (newest: descending)."""
        ids, scores = self._scored(cursor, match, None)
        found, scores = _scores_of(kept, ids, scores)
        kept, dates, scores = kept[found], dates[found], scores[found]
        if request.sort == "newest":
            order = np.lexsort((-kept, scores, -dates, dates == 0))
        else:
            order = np.lexsort((kept, scores, dates, dates == 0))
        return kept[order[request.offset : request.offset + request.limit]]

    def _by_relevance(self, cursor, request, match, kept, match_count, tiers):
        """Registration number first, then the exact tier, then the query's language,
        then score, then newer page.

        The page's rows of each tier must be the best-scored rows of that tier;
        the best-scored matches overall hold them once enough are read.
        """
        tier = _tiers(kept, *tiers)
        wanted = request.offset + request.limit
        needs = _tier_needs(tier, wanted)
        limit = min(
            match_count,
            max(math.ceil(need * match_count / count * 1.25) for need, count in needs.values())
            + SPARE,
        )
        while True:
            exhaustive = limit * 2 >= match_count
            ids, scores = self._scored(cursor, match, None if exhaustive else limit)
            seen = np.isin(kept, ids)
            if exhaustive or all(
                np.count_nonzero(seen & (tier == level)) >= need
                for level, (need, _count) in needs.items()
            ):
                break
            limit = min(match_count, limit * GROWTH)
        candidates, levels = kept[seen], tier[seen]
        _found, candidate_scores = _scores_of(candidates, ids, scores)
        ranking = np.lexsort((-candidates, candidate_scores, -levels))
        return candidates[ranking[request.offset : request.offset + request.limit]]


def _tiers(kept, registration_ids, exact_ids, in_language) -> np.ndarray:
    """Each kept match's tier: registration number 4, every word exact 2, the query's language 1."""
    tier = np.zeros(kept.size, dtype=np.int8)
    if registration_ids is not None:
        tier += 4 * _member(kept, registration_ids)
    if exact_ids is not None:
        tier += 2 * _member(kept, exact_ids)
    else:
        tier += 2
    if in_language is not None:
        tier += in_language.astype(np.int8)
    return tier


def _newest_first(request, kept, dates, tier) -> np.ndarray:
    """A heavy query's page: best tier first (relevance), undated last, then by date
    (newest first unless the reader asked for the oldest), then by page id the same way.

    One integer key per match and a partial sort: only the page's rows are ordered.
    """
    ascending = request.sort == "oldest"
    date_key = dates.astype(np.int64) if ascending else 99_999_999 - dates.astype(np.int64)
    id_key = kept if ascending else (1 << 31) - 1 - kept
    key = ((dates == 0).astype(np.int64) << 58) | (date_key << 31) | id_key
    if tier is not None:
        key |= (7 - tier.astype(np.int64)) << 59
    end = request.offset + request.limit
    chosen = np.argpartition(key, end - 1)[:end] if end < key.size else np.arange(key.size)
    chosen = chosen[np.argsort(key[chosen], kind="stable")]
    return kept[chosen[request.offset : end]]


def _tier_needs(tier: np.ndarray, wanted: int) -> dict[int, tuple[int, int]]:
    """For each tier the page reaches, best first: (rows it takes, rows it has)."""
    needs = {}
    counts = np.bincount(tier, minlength=8)
    for level in range(7, -1, -1):
        count = int(counts[level])
        if not count:
            continue
        needs[level] = (min(wanted, count), count)
        wanted -= count
        if wanted <= 0:
            break
    return needs


def _member(ids: np.ndarray, of: np.ndarray) -> np.ndarray:
    """1 where an id is one of ``of``, else 0 (a lookup table: no sorting)."""
    if not ids.size or not of.size:
        return np.zeros(ids.size, dtype=np.int8)
    table = np.zeros(max(int(ids.max()), int(of.max())) + 1, dtype=np.int8)
    table[of] = 1
    return table[ids]


def _scores_of(wanted: np.ndarray, ids: np.ndarray, scores: np.ndarray):
    """Which of ``wanted`` are among ``ids``, and their scores (0 where not)."""
    order = np.argsort(ids, kind="stable")
    ids, scores = ids[order], scores[order]
    positions = np.minimum(np.searchsorted(ids, wanted), max(ids.size - 1, 0))
    found = ids[positions] == wanted if ids.size else np.zeros(wanted.size, dtype=bool)
    return found, np.where(found, scores[positions] if ids.size else 0.0, 0.0)


def _patched(cursor, match: str, kept) -> np.ndarray | None:
    """A kept list brought up to date: the pages changed since it was read asked again.

    ``kept`` is what ``FoundIds.get`` gave: None, or the list and the pages a
    sync has named since. FTS5 answers for those pages alone (their rowids),
    so an edit costs a lookup of a few rows instead of the whole list.
    """
    if kept is None:
        return None
    ids, pending = kept
    if not pending:
        return ids
    pages = sorted(pending)
    found = _ids(cursor, match, among=pages)
    # ``ids`` is ascending: drop the changed pages, put back those that still match,
    # by position (numpy's set functions hash the whole list: 20 ms at 100,000).
    changed = np.array(pages, dtype=np.int64)
    at = np.searchsorted(ids, changed)
    there = at < ids.size
    there[there] = ids[at[there]] == changed[there]
    rest = np.delete(ids, at[there])
    return np.insert(rest, np.searchsorted(rest, found), found)


def _ids(cursor, match: str, among=()) -> np.ndarray:
    """Every page id a full-text query matches (of the pages ``among``, if given), ascending."""
    among_sql = f" AND rowid IN ({placeholders(among)})" if among else ""
    cursor.execute(
        f"SELECT group_concat(rowid) FROM {FTS} WHERE {FTS} MATCH %s{among_sql}",  # noqa: S608
        [match, *among],
    )
    text = cursor.fetchone()[0]
    return np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64)


def _asked_apart(query) -> bool:
    """One word, nothing else: its exact form and its keys are listed apart (``ids_apart``).

    Measured at 100,000 documents, the engine's first search of each heavy word
    4-14 % faster than with the one ``OR`` plus the exact tier's list
    (docs/search.md). With more words the one MATCH intersects them inside
    FTS5, where apart every word's whole list would be read, so those keep it.
    """
    return len(query.words) == 1 and not query.phrases and not query.excluded


def ids_apart(cursor, dialect, query) -> tuple[np.ndarray, np.ndarray]:
    """Every match and the exact tier, as ``build`` and ``build_exact`` would list them,
    from one FTS5 query per column group and word (or phrase), put together in numpy.

    A word's exact form and its keys asked apart, each under one column filter,
    cost FTS5 less than the two under one ``OR``, and the exact tier is then
    one of the lists already read (docs/search.md, "Heavy words").
    """
    exact_lists, required = [], []
    for word in query.words:
        exact = _ids(cursor, dialect.word_exact(word))
        exact_lists.append(exact)
        keys = dialect.word_keys(word)
        required.append(_union(exact, _ids(cursor, keys)) if keys else exact)
    for phrase in query.phrases:
        found = _ids(cursor, dialect.phrase(phrase))
        exact_lists.append(found)
        required.append(found)
    matches = _intersection(required)
    if query.excluded and matches.size:
        excluded = []
        for word in query.excluded:
            keys = dialect.word_keys(word)
            excluded.append(_ids(cursor, dialect.word_exact(word)))
            if keys:
                excluded.append(_ids(cursor, keys))
        matches = matches[~_member(matches, _union(*excluded)).astype(bool)]
    return matches, _intersection(exact_lists)


def _union(*lists: np.ndarray) -> np.ndarray:
    """The ids in any of the lists, ascending (a table of flags: no sorting)."""
    lists = tuple(ids for ids in lists if ids.size)
    if not lists:
        return np.zeros(0, np.int64)
    table = np.zeros(max(int(ids.max()) for ids in lists) + 1, dtype=bool)
    for ids in lists:
        table[ids] = True
    return np.flatnonzero(table)


def _intersection(lists: list[np.ndarray]) -> np.ndarray:
    """The ids in every one of the (ascending) lists."""
    lists = sorted(lists, key=len)
    found = lists[0]
    for ids in lists[1:]:
        if not found.size:
            break
        found = found[_member(found, ids).astype(bool)]
    return found


def _column(cursor, sql: str, params) -> np.ndarray:
    cursor.execute(sql, params)
    return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)


def _narrow(store: EntryColumns, request: EngineRequest, matches, subtree_ids):
    """The matches the reader may open and the filters keep, and the facet counts.

    Each facet is counted with every other facet's choice applied but not its
    own, so a reader can move from one value to another.
    """
    ids = matches[matches < store.size]
    keep = store.visible(request.tokens)[ids]
    filters = request.filters
    if filters.status:
        keep &= _equals(store, "status", filters.status, ids)
    if filters.date_from:
        keep &= store.date[ids] >= day_number(filters.date_from)
    if filters.date_to:
        dates = store.date[ids]
        keep &= (dates != 0) & (dates <= day_number(filters.date_to))
    if subtree_ids is not None:
        keep &= _member(ids, subtree_ids).astype(bool)
    chosen = {name: _equals(store, name, value, ids) for name, value in filters.facets.items()}
    facets: dict[str, dict[str | int, int]] = {}
    visible_ids = ids[keep]
    for name in FACETS:
        counted = keep
        for other, condition in chosen.items():
            if other != name:
                counted = counted & condition
        counted_ids = ids[counted] if len(chosen) > (name in chosen) else visible_ids
        counts = np.bincount(store.facet[name][counted_ids])
        facets[name] = {
            store.value(name, int(code)): int(counts[code])
            for code in np.flatnonzero(counts)
            if code
        }
    for condition in chosen.values():
        keep = keep & condition
    return ids[keep], facets


def _equals(store: EntryColumns, name: str, value, ids) -> np.ndarray:
    code = store.code_of(name, value)
    if code is None:
        return np.zeros(ids.size, dtype=bool)
    return store.facet[name][ids] == code
