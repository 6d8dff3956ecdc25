"""Snippets for the database engine: a few lines around the matched words, marked.

Elasticsearch has a highlighter; the database engines do not (FTS5's
``snippet()`` would work on the token columns, not the text people read), so
snippets are built here from the page's own text, for the page of results
only. A word is marked when the index would have matched it: it is one of the
query's words as typed, or one of its keys is one of the query's keys; the
same analysis decides both (``search.analysis``). All text is escaped; only
the ``<mark>`` tags are markup.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search import analysis
from search.query import ParsedQuery

FRAGMENT_CHARS = 180
MAX_FRAGMENTS = 2
#: Characters of one text scanned for matches; past this a snippet is not looked for.
SCAN_CHARS = 100_000
ELLIPSIS = "…"

# Letters a word may start with: Cyrillic (with Kazakh), Latin with its
# diacritics, digits.
_ALPHABET = "".join(
    ch
    for ch in map(
        chr,
        [
            *range(0x30, 0x3A),
            *range(0x41, 0x5B),
            *range(0x61, 0x7B),
            *range(0xC0, 0x250),
            *range(0x400, 0x530),
        ],
    )
    if ch.isalnum()
)


@lru_cache(maxsize=4096)
def _initial(first_letter: str) -> str:
    """A letter as the folded Latin letter it starts with (Қ, қ, q → q; Ш → s)."""
    return analysis.fold_latin(analysis.fold_cyrillic(analysis.normalise(first_letter)))[:1]


class Matcher:
    """Decides, word by word, whether a word of a text is one the query found."""

    def __init__(self, query: ParsedQuery):
        self.exact = set(query.exact_tokens())
        self.keys = set(query.all_keys())
        # A cheap first test keeps long texts fast: a word can only match if
        # its first letter folds like a wanted word's or key's (қ, Қ and q
        # alike), so only words starting with such a letter are looked at.
        self.initials = {_initial(word[0]) for word in self.exact | self.keys if word}
        letters = sorted(ch for ch in _ALPHABET if _initial(ch) in self.initials)
        self.candidates = (
            re.compile(r"(?<![^\W_])[" + re.escape("".join(letters)) + r"][^\W_]*")
            if letters
            else None
        )
        self._cache: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.exact or self.keys)

    def matches(self, word: str) -> bool:
        found = self._cache.get(word)  # the same words recur across the results' texts
        if found is None:
            found = _initial(word[0]) in self.initials and any(
                token in self.exact or not self.keys.isdisjoint(analysis.token_index_keys(token))
                for token in analysis.tokenise(analysis.normalise(word))
            )
            self._cache[word] = found
        return found


def _matches(text: str, matcher: Matcher, limit: int) -> list[tuple[int, int]]:
    spans = []
    if matcher.candidates is None:
        return spans
    for match in matcher.candidates.finditer(text, 0, min(len(text), SCAN_CHARS)):
        if matcher.matches(match.group()):
            spans.append(match.span())
            if len(spans) >= limit:
                break
    return spans


def _window(text: str, start: int, end: int) -> tuple[int, int]:
    """About FRAGMENT_CHARS of text around the match at [start, end), cut at spaces."""
    left = max(0, start - FRAGMENT_CHARS // 3)
    right = min(len(text), max(end, left + FRAGMENT_CHARS))
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    return left, right


def _render(text: str, left: int, right: int, spans: list[tuple[int, int]]) -> str:
    parts = [ELLIPSIS + " " if left > 0 else ""]
    position = left
    for start, end in spans:
        if start < position or end > right:
            continue
        parts.append(escape(text[position:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(escape(text[position:right]))
    parts.append(" " + ELLIPSIS if right < len(text) else "")
    return "".join(parts)


def build(texts: list[str], query: ParsedQuery | Matcher) -> SafeString:
    """Up to two fragments from the first texts holding a match; empty if none does.

    Pass a :class:`Matcher` to reuse it for every result of a search.
    """
    matcher = query if isinstance(query, Matcher) else Matcher(query)
    if not matcher:
        return mark_safe("")  # noqa: S308 - empty
    fragments: list[str] = []
    for text in texts:
        if not text or len(fragments) >= MAX_FRAGMENTS:
            continue
        text = " ".join(text.split())
        spans = _matches(text, matcher, limit=12)
        while spans and len(fragments) < MAX_FRAGMENTS:
            left, right = _window(text, *spans[0])
            fragments.append(_render(text, left, right, spans))
            spans = [span for span in spans if span[0] >= right]
    return mark_safe(" ".join(fragments))  # noqa: S308 - every piece was escaped above


def plain(text: str, chars: int = FRAGMENT_CHARS) -> SafeString:
    """The start of a text, escaped, when no word of the query is in it."""
    text = " ".join((text or "").split())
    if len(text) > chars:
        cut = text.rfind(" ", 0, chars)
        text = text[: cut if cut > 0 else chars] + " " + ELLIPSIS
    return mark_safe(escape(text))  # noqa: S308 - escaped
