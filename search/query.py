"""What a user typed, turned into words every engine can match the same way.

The text is cut to :data:`MAX_QUERY_LENGTH` characters, then read by
``search.analysis`` (which never raises on punctuation, operators or scripts).
Three kinds of parts come out:

* words: each must appear, exactly as typed (the ``*_words`` columns) or in any
  of its forms (the analysed ``*_keys`` columns);
* phrases in double quotes: their words must appear exactly and in order;
* excluded words (``-word``, ``NOT word``): no form of them may appear.

Nothing typed ever reaches an engine as syntax: each engine builds its own
query from these tokens, quoting each one (see ``search.engines``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from search import analysis

#: Longest query searched; longer input is cut here and the reader is told.
MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
MAX_PHRASES = 4
MAX_PHRASE_WORDS = 8
MAX_EXCLUDED = 8

_PHRASE_RE = re.compile(r"[\"“”„]([^\"“”„]+)[\"“”„]")
_EXCLUDED_RE = re.compile(r"(?:(?<!\S)[-!]|\bNOT\s+)([^\s\"“”„]+)")
_REGISTRATION_RUN_RE = re.compile(r"[^\W\d_]+|\d+")


@dataclass(frozen=True)
class Word:
    """One query word: the normalised token as typed and the keys of its forms."""

    exact: str
    keys: tuple[str, ...]


@dataclass
class ParsedQuery:
    text: str
    words: list[Word] = field(default_factory=list)
    phrases: list[tuple[str, ...]] = field(default_factory=list)
    excluded: list[Word] = field(default_factory=list)
    # What the query would be as a registration number: all of it, or one of its
    # space-separated parts with a digit (циркуляр 02-05/117).
    registration_keys: tuple[str, ...] = ()
    truncated: bool = False
    # 'ru' or 'kk' when the words are that language's (analysis.query_language):
    # documents in it rank first among equally good matches.
    language: str = ""

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: no word or phrase that must appear."""
        return not self.words and not self.phrases

    def exact_tokens(self) -> list[str]:
        tokens = [word.exact for word in self.words]
        for phrase in self.phrases:
            tokens.extend(phrase)
        return list(dict.fromkeys(tokens))

    def all_keys(self) -> list[str]:
        keys = [key for word in self.words for key in word.keys]
        return list(dict.fromkeys(keys))


def registration_key(text: str) -> str:
    """A registration number's letters and digits joined by ``x``, however it is written.

    ``№ 02-05/117``, ``02/05/117`` and ``02 05 117`` all give ``02x05x117``;
    ``Ц-12`` and ``ц12`` both give ``цx12``. Only text with a digit has one.
    """
    normalised = analysis.normalise(text or "")
    if not any(ch.isdigit() for ch in normalised):
        return ""
    return analysis.REF_JOINER.join(_REGISTRATION_RUN_RE.findall(normalised))[:64]


def parse(text: str | None, language: str | None = None) -> ParsedQuery:
    """Read a user's query; never raises, whatever the input.

    ``language`` is the language of the page it was typed on (``kk``, ``ru``,
    ``en``): a hint for words whose letters do not tell (see
    ``analysis.query_words``).
    """
    if not isinstance(text, str):
        text = ""
    text = text.replace("\x00", " ").strip()
    truncated = len(text) > MAX_QUERY_LENGTH
    if truncated:
        text = text[:MAX_QUERY_LENGTH]
    parsed = ParsedQuery(text=text, truncated=truncated)

    rest = text
    for match in _PHRASE_RE.finditer(text):
        tokens = tuple(analysis.tokenise(match.group(1)))[:MAX_PHRASE_WORDS]
        if len(tokens) == 1:
            parsed.words.append(Word(tokens[0], ()))
        elif tokens and len(parsed.phrases) < MAX_PHRASES and tokens not in parsed.phrases:
            parsed.phrases.append(tokens)
    rest = _PHRASE_RE.sub(" ", rest)

    for match in _EXCLUDED_RE.finditer(rest):
        for token, keys in analysis.query_words(match.group(1), language):
            if len(parsed.excluded) < MAX_EXCLUDED:
                parsed.excluded.append(Word(token, keys))
    rest = _EXCLUDED_RE.sub(" ", rest)

    seen = {word.exact for word in parsed.words}
    # The words around a word tell its language too: the rest is read as one.
    parsed.language = analysis.query_language(rest, language) if rest.strip() else ""
    for token, keys in analysis.query_words(rest, language):
        if token in seen or len(parsed.words) >= MAX_WORDS:
            continue
        seen.add(token)
        parsed.words.append(Word(token, keys))

    if parsed.words or parsed.phrases:
        plain = _PHRASE_RE.sub(r" \1 ", text)
        keys = [registration_key(plain)] + [registration_key(part) for part in plain.split()]
        parsed.registration_keys = tuple(dict.fromkeys(key for key in keys if key))[:4]
    return parsed
