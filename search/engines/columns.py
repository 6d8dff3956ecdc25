"""The facet, filter and access values of every search entry, as arrays in memory.

On SQLite a search lets FTS5 find and score the matches and does everything
else (who may open each match, the filters, the facet counts, the order of the
page of results) over arrays indexed by page id, held by each process. Joining
the entry row of every match instead costs a B-tree lookup per match, several
times what FTS5 itself spends on a common word (docs/search.md, "Columns in
memory").

What the arrays hold comes from the database and nothing else: the facet and
filter columns of ``SearchEntry`` and the access tokens ``docs_library.access``
keeps in ``DocumentAccess``. They stay coherent through ``SearchChange``, a log
that triggers on both tables write in the same transaction as the change
itself (search migration 0003), so no code path, raw SQL included, can change
an entry or a token without the log saying so. Before each search the process
reads the log past the last row it applied and reloads those pages' values;
when that row is gone (pruned, rolled back, another database), it reloads
everything. The log is read *after* FTS5 has answered, so the access each
match is judged by is never older than the match itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from docs_library.models import DocumentAccess
from search.engines.base import FACET_COLUMNS, FACETS
from search.models import EntryKind, SearchChange, SearchEntry, SearchText

ENTRY = SearchEntry._meta.db_table
ACCESS = DocumentAccess._meta.db_table
TEXT = SearchText._meta.db_table
CHANGE = SearchChange._meta.db_table

#: The triggers that write the change log (search migrations 0003 and 0006).
#: Without them the arrays, and the heavy queries' ids kept between searches,
#: would not hear of changes, so the engine will not use them.
LOG_TRIGGERS = tuple(
    f"{CHANGE}_{table.split('_')[-1]}_{event}"
    for table in (ENTRY, ACCESS, TEXT)
    for event in ("insert", "delete", "update")
)

#: Changed pages past which one sync reloads everything instead.
DELTA_LIMIT = 2_000
#: Token sets whose visibility mask is kept between searches.
MASKS_KEPT = 64
#: Id lists of heavy queries kept between searches (``FoundIds``). Each holds at
#: most one int64 per entry: at 100,000 entries 8 lists are 6.4 MB at worst.
FOUND_KEPT = 8

_ENTRY_COLUMNS = ", ".join(
    ["page_id", "kind", *(FACET_COLUMNS[name] for name in FACETS)]
    + ["CAST(replace(date, '-', '') AS INTEGER)"]
)


def day_number(value) -> int:
    """A date as the integer the ``date`` array holds (2024-05-12 → 20240512)."""
    return value.year * 10_000 + value.month * 100 + value.day


class ChangesUnwatched(Exception):
    """The change log's triggers are missing: the arrays cannot be trusted."""


def missing_triggers(cursor) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    present = {row[0] for row in cursor.fetchall()}
    return [name for name in LOG_TRIGGERS if name not in present]


class Codes:
    """Small integers for one facet's values; 0 stands for no value."""

    def __init__(self):
        self.values: list = [None]
        self.index: dict = {}

    def code(self, value) -> int:
        if value is None or value == "":
            return 0
        code = self.index.get(value)
        if code is None:
            code = self.index[value] = len(self.values)
            self.values.append(value)
        return code


@dataclass(frozen=True)
class Mark:
    """The last change-log row applied: its number and its random stamp."""

    seq: int
    stamp: int | None


class FoundIds:
    """The page ids FTS5 gave for a heavy query's match strings, kept between searches.

    Each list is kept with the arrays' ``version`` at which it was read: the
    version moves whenever a sync applies a row of the change log or reloads,
    and the log moves in the same transaction as any change of an entry, its
    text (what FTS5 indexes) or its access (migrations 0003 and 0006). So a
    list whose version is still the arrays' one is what FTS5 would answer now,
    but for the pages a sync has named since (``changed``): those the engine
    asks FTS5 about again, and only those (``search.engines.sqlite``), so an
    edited document does not cost every process a heavy word's whole list.
    The engine reads the version *before* asking FTS5 and keeps the answer only
    when a sync after it finds the version unmoved. The ids are of every match,
    whoever may see it: one list serves every reader. Guarded by the arrays' lock.
    """

    def __init__(self):
        self._lists: OrderedDict[str, tuple[int, np.ndarray, frozenset[int]]] = OrderedDict()

    def get(self, match: str, version: int) -> tuple[np.ndarray, frozenset[int]] | None:
        """The list kept for ``match`` and the pages to ask FTS5 about again, or None."""
        kept = self._lists.get(match)
        if kept is None:
            return None
        if kept[0] != version:
            del self._lists[match]
            return None
        self._lists.move_to_end(match)
        return kept[1], kept[2]

    def keep(self, match: str, version: int, ids: np.ndarray) -> None:
        ids.flags.writeable = False  # shared by every later search
        self._lists[match] = (version, ids, frozenset())
        self._lists.move_to_end(match)
        while len(self._lists) > FOUND_KEPT:
            self._lists.popitem(last=False)

    def changed(self, before: int, after: int, pages: set[int]) -> None:
        """A sync moved the arrays from ``before`` to ``after`` by applying ``pages``.

        Lists read at ``before`` stay, with those pages to be asked again; any
        other list is from before a change it was not told of, and goes. Page 0
        is a rebuild of the FTS5 index (``rows.rebuild_sqlite_full_text``): all go.
        """
        for match, (version, ids, pending) in list(self._lists.items()):
            pending = pending | pages
            if version != before or 0 in pages or len(pending) > DELTA_LIMIT:
                del self._lists[match]
            else:
                self._lists[match] = (after, ids, pending)

    def clear(self) -> None:
        """Forget every list (the benchmark times a heavy word's first search with it)."""
        self._lists.clear()

    def __len__(self) -> int:
        return len(self._lists)


class EntryColumns:
    """One database's entries as arrays; see the module docstring."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mark: Mark | None = None
        self.schema_version: int | None = None
        self.version = 0
        self.found = FoundIds()
        self._allocate(0)

    def _allocate(self, size: int) -> None:
        self.size = size
        self.present = np.zeros(size, dtype=bool)
        self.record = np.zeros(size, dtype=bool)
        self.date = np.zeros(size, dtype=np.int32)
        self.codes = {name: Codes() for name in FACETS}
        self.facet = {name: np.zeros(size, dtype=np.int32) for name in FACETS}
        self.page_tokens: dict[int, tuple[str, ...]] = {}
        self.token_pages: dict[str, set[int]] = {}
        self._token_arrays: dict[str, np.ndarray] = {}
        self._masks: dict[frozenset[str] | None, tuple[int, np.ndarray]] = {}

    def _grow(self, largest_id: int) -> None:
        if largest_id < self.size:
            return
        size = max(largest_id + 1, int(self.size * 1.25) + 1024)
        for name in ("present", "record", "date"):
            setattr(self, name, _resized(getattr(self, name), size))
        self.facet = {name: _resized(array, size) for name, array in self.facet.items()}
        self.size = size

    # --- keeping in step with the database -------------------------------------------

    def sync(self, cursor) -> None:
        """Apply what the change log says happened since the last sync.

        Raises ``ChangesUnwatched`` when the log's triggers are gone (a
        migration rebuilt one of the tables); the schema is looked at again
        whenever SQLite's schema version moves.
        """
        cursor.execute("PRAGMA schema_version")
        schema_version = cursor.fetchone()[0]
        if schema_version != self.schema_version:
            missing = missing_triggers(cursor)
            if missing:
                self.mark = None
                raise ChangesUnwatched(", ".join(missing))
            self.schema_version, self.mark = schema_version, None
        if self.mark is None:
            self._reload(cursor)
            return
        cursor.execute(
            f"SELECT seq, stamp, page_id FROM {CHANGE} WHERE seq >= %s ORDER BY seq",  # noqa: S608
            [self.mark.seq],
        )
        rows = cursor.fetchall()
        if self.mark.seq:
            if not rows or (rows[0][0], rows[0][1]) != (self.mark.seq, self.mark.stamp):
                self._reload(cursor)  # pruned past us, rolled back, or another database
                return
            rows = rows[1:]
        elif rows and rows[0][0] != 1:
            self._reload(cursor)
            return
        if not rows:
            return
        pages = {row[2] for row in rows}
        if len(pages) > DELTA_LIMIT:
            self._reload(cursor)
            return
        self._load(cursor, pages, after=rows[0][0] - 1, upto=rows[-1][0])
        self.mark = Mark(rows[-1][0], rows[-1][1])
        self.version += 1
        self.found.changed(self.version - 1, self.version, pages)

    def _reload(self, cursor) -> None:
        # The mark is read first: whatever commits during the load is applied
        # again at the next sync, which is harmless.
        cursor.execute(f"SELECT seq, stamp FROM {CHANGE} ORDER BY seq DESC LIMIT 1")  # noqa: S608
        last = cursor.fetchone()
        cursor.execute(f"SELECT max(page_id) FROM {ENTRY}")  # noqa: S608
        largest = cursor.fetchone()[0] or 0
        self._allocate(largest + 1024)
        cursor.execute(f"SELECT {_ENTRY_COLUMNS} FROM {ENTRY}")  # noqa: S608
        self._set_entries(cursor.fetchall())
        cursor.execute(f"SELECT page_id, token FROM {ACCESS}")  # noqa: S608
        self._set_tokens(cursor.fetchall(), pages=())
        self.mark = Mark(*last) if last else Mark(0, None)
        self.version += 1

    def _load(self, cursor, pages: set[int], after: int, upto: int) -> None:
        """Read again the pages of the log rows ``after`` < seq <= ``upto`` (gone
        ones are forgotten); the log itself names them, so no list of ids is bound."""
        self._grow(max(pages))
        index = np.fromiter(pages, dtype=np.int64, count=len(pages))
        self.present[index] = False
        self.record[index] = False
        changed = f"SELECT page_id FROM {CHANGE} WHERE seq > %s AND seq <= %s"  # noqa: S608
        cursor.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM {ENTRY} WHERE page_id IN ({changed})",  # noqa: S608
            [after, upto],
        )
        self._set_entries(cursor.fetchall())
        cursor.execute(
            f"SELECT page_id, token FROM {ACCESS} WHERE page_id IN ({changed})",  # noqa: S608
            [after, upto],
        )
        self._set_tokens(cursor.fetchall(), pages=pages)

    def _set_entries(self, rows) -> None:
        if not rows:
            return
        self._grow(max(row[0] for row in rows))
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        self.present[ids] = True
        self.record[ids] = np.fromiter(
            (row[1] == EntryKind.DOCUMENT for row in rows), dtype=bool, count=len(rows)
        )
        for position, name in enumerate(FACETS, start=2):
            code = self.codes[name].code
            self.facet[name][ids] = np.fromiter(
                (code(row[position]) for row in rows), dtype=np.int32, count=len(rows)
            )
        self.date[ids] = np.fromiter(
            (row[-1] or 0 for row in rows), dtype=np.int32, count=len(rows)
        )

    def _set_tokens(self, rows, pages: Iterable[int]) -> None:
        """The tokens of ``pages`` (all pages when it is empty) are now ``rows``."""
        changed: set[str] = set()
        fresh: dict[int, list[str]] = {page: [] for page in pages}
        for page_id, token in rows:
            fresh.setdefault(page_id, []).append(token)
        for page_id, tokens in fresh.items():
            new = tuple(sorted(tokens))
            old = self.page_tokens.get(page_id, ())
            if new == old:
                continue
            for token in set(old) - set(new):
                self.token_pages[token].discard(page_id)
                changed.add(token)
            for token in set(new) - set(old):
                self.token_pages.setdefault(token, set()).add(page_id)
                changed.add(token)
            if new:
                self.page_tokens[page_id] = new
            else:
                self.page_tokens.pop(page_id, None)
        for token in changed:
            self._token_arrays.pop(token, None)

    # --- answering ----------------------------------------------------------------

    def visible(self, tokens: frozenset[str] | None) -> np.ndarray:
        """Which page ids a reader holding ``tokens`` may find (``None``: every one).

        The rule of ``docs_library.access``: a record needs one of its tokens;
        the other searched pages are live and open to everyone.
        """
        cached = self._masks.get(tokens)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        if tokens is None:
            mask = self.present.copy()
        else:
            mask = self.present & ~self.record
            for token in tokens:
                pages = self._token_array(token)
                if pages.size:
                    mask[pages] = True
            mask &= self.present
        if len(self._masks) >= MASKS_KEPT:
            self._masks.clear()
        self._masks[tokens] = (self.version, mask)
        return mask

    def _token_array(self, token: str) -> np.ndarray:
        pages = self._token_arrays.get(token)
        if pages is None:
            ids = self.token_pages.get(token, ())
            pages = np.fromiter(ids, dtype=np.int64, count=len(ids))
            pages = pages[pages < self.size]
            self._token_arrays[token] = pages
        return pages

    def entries(self) -> int:
        """How many searchable entries there are."""
        return int(np.count_nonzero(self.present))

    def value(self, name: str, code: int):
        return self.codes[name].values[code]

    def code_of(self, name: str, value) -> int | None:
        """The code of a facet value, or None when no entry has it."""
        return self.codes[name].index.get(value)


def _resized(array: np.ndarray, size: int) -> np.ndarray:
    grown = np.zeros(size, dtype=array.dtype)
    grown[: array.size] = array
    return grown


_stores: dict[str, EntryColumns] = {}
_stores_lock = threading.Lock()


def columns_for(connection) -> EntryColumns:
    """The arrays of the database ``connection`` talks to (one set per database file)."""
    key = f"{connection.alias}:{connection.settings_dict['NAME']}"
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = EntryColumns()
    return store
