"""One analysis path for Kazakh and Russian text, at index time and at query time.

No search engine Sandyq can run has a Kazakh analyser (see
``docs/kazakh-search.md``), so the words are analysed here, in pure Python, and
the engines only ever see the result: a document's analysed field holds the
space-separated keys from :func:`index_terms`, and a query is turned into keys by
:func:`query_terms`. The embedded database backend, PostgreSQL and
Elasticsearch then match the same keys with a plain whitespace/``simple``
tokeniser, so they cannot disagree about Kazakh. Keep this module free of
Django so the benchmarks and the Elasticsearch mapping can share it.

Keys are of three kinds and share one field:

* Kazakh stems in Cyrillic (партиямыздың → партия), from a longest-suffix
  stripper whose table is generated in :mod:`search.kk_suffixes`;
* Russian stems from Snowball (документы → документ);
* folded-Latin copies of the Kazakh stems (құжаттарды → ``qujat``), which are what
  a query typed in the Latin alphabet meets, however it spells ә, ұ, і or ш.

Digits and registration numbers are kept as they are (see :func:`tokenise`).
Change :data:`ANALYSER_VERSION` whenever any key can come out differently: the
index stores it and must be rebuilt when it moves.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain, repeat

import snowballstemmer

from search.kazakh import (  # noqa: F401 - also read as analysis.<name>
    _CYRILLIC_FINALS,
    MIN_STEM_KK,
    SuffixStripper,
    _series_cyrillic,
    cyrillic_to_latin,
    fold_cyrillic,
    fold_latin,
    folded_stem_key,
    kk_keys,
    latin_keys,
    stem_kk,
)

ANALYSER_VERSION = 3

KAZAKH_ONLY_LETTERS = frozenset("әғқңөұүһі")
MAX_TOKEN_CHARS = 64
MAX_QUERY_CHARS = 4096
MAX_QUERY_TERMS = 32
# Snowball russian cuts short Kazakh words into other Kazakh words (ата → ат);
# in Kazakh or undetermined text a Russian stem is only added when it is long
# enough to be a Russian word's stem and not a Kazakh root, or when the word
# cannot be a native Kazakh word (see :func:`looks_russian`).
MIN_RU_STEM_IN_KAZAKH = 4

# Separator of a registration number's parts in its joined key (02-05/117 →
# 02x05x117): a Latin letter, so every backend's tokeniser keeps the key whole.
REF_JOINER = "x"

# --- normalisation -----------------------------------------------------------

_BEFORE_CASEFOLD = str.maketrans(
    {
        "\u0130": "i",  # İ: casefold would leave a combining dot behind
        "\u00ad": None,  # soft hyphen, left in text by PDF extraction
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_AFTER_CASEFOLD = str.maketrans(
    {
        "ё": "е",
        "\u0259": "ә",  # Latin schwa, typed for ә on keyboards without it
        "\u04d9": "ә",
        "\u04c8": "ң",  # ӈ, a Cyrillic en with hook seen for ң
    }
)


# Combining marks left after NFC are stress marks and the like (докуме́нт): they
# would split a word in two. Every Kazakh, Russian and 2021-Latin letter has a
# precomposed form, so none is lost.
_COMBINING_RE = re.compile(r"[\u0300-\u036f]")
# The tables as pairs: no replacement is another character of its table, so
# replacing one character after another equals translating.
_BEFORE_CASEFOLD_PAIRS = tuple((chr(k), v or "") for k, v in _BEFORE_CASEFOLD.items())
_AFTER_CASEFOLD_PAIRS = tuple((chr(k), v or "") for k, v in _AFTER_CASEFOLD.items())


def normalise(text: str) -> str:
    """NFC, case folding and the few letter unifications search needs.

    Kazakh letters have no decomposition, so NFC and casefold keep them; ё is
    read as е because Russian text writes it either way. Latin diacritics are
    kept here: only the Latin path folds them (:func:`fold_latin`), so that
    ``ä`` in a Kazakh Latin word is never confused with a Cyrillic letter.
    """
    text = unicodedata.normalize("NFC", text)
    # str.translate with a dict walks non-Latin-1 text slowly, character by
    # character; the few characters the tables map are rare, and one
    # replace per character (a fast search when it is absent) gives the same.
    for old, new in _BEFORE_CASEFOLD_PAIRS:
        if old in text:
            text = text.replace(old, new)
    text = text.casefold()
    if _COMBINING_RE.search(text) is not None:
        text = _COMBINING_RE.sub("", text)
    for old, new in _AFTER_CASEFOLD_PAIRS:
        if old in text:
            text = text.replace(old, new)
    return text


# --- tokenisation -------------------------------------------------------------

_CHUNK_RE = re.compile(r"[^\W_]+(?:[-/.][^\W_]+)*")
_RUN_RE = re.compile(r"[^\W\d_]+|\d+")
_SCRIPT_RUN_RE = re.compile(r"[\u0400-\u052f]+|[^\u0400-\u052f]+")

# Latin letters that look like Cyrillic ones: inside a Cyrillic word they are a
# typist's or OCR's substitution (Latin i for і is the commonest), not Latin.
_LATIN_TO_CYRILLIC_LOOKALIKE = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "e": "е",
        "h": "н",
        "i": "і",
        "k": "к",
        "m": "м",
        "o": "о",
        "p": "р",
        "t": "т",
        "x": "х",
        "y": "у",
    }
)
_CYRILLIC_TO_LATIN_LOOKALIKE = str.maketrans(
    {
        "а": "a",
        "с": "c",
        "е": "e",
        "і": "i",
        "к": "k",
        "о": "o",
        "р": "p",
        "х": "x",
        "у": "y",
    }
)


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u052f"


_CYRILLIC_RE = re.compile(r"[\u0400-\u052f]")
_NON_CYRILLIC_RE = re.compile(r"[^\u0400-\u052f]")


def _repair_script(word: str) -> Iterator[str]:
    """Yield a letter run as one script, undoing look-alike substitutions."""
    if _NON_CYRILLIC_RE.search(word) is None or _CYRILLIC_RE.search(word) is None:
        yield word
        return
    cyrillic = len(_CYRILLIC_RE.findall(word))
    if cyrillic * 2 >= len(word):
        word = word.translate(_LATIN_TO_CYRILLIC_LOOKALIKE)
    else:
        word = word.translate(_CYRILLIC_TO_LATIN_LOOKALIKE)
    yield from _SCRIPT_RUN_RE.findall(word)


# Runs of characters neither Cyrillic nor common in Cyrillic text (spaces,
# ASCII digits, punctuation): a class of ranges only, so the search is fast.
_OTHER_RUN_RE = re.compile(r"[^\u0400-\u052f\s0-9.,;:!?()«»\"'\-–—/№%]+")
_LETTER_RE = re.compile(r"[^\W\d_]")


def _needs_repair(normalised: str) -> bool:
    """Is a Cyrillic letter beside a letter of another script anywhere?

    Only a word with one is of two scripts and may need :func:`_repair_script`,
    and most texts have none. Such a letter begins or ends a run of the other
    characters, so only the ends of those runs are looked at.
    """
    size = len(normalised)
    for run in _OTHER_RUN_RE.finditer(normalised):
        start, end = run.span()
        if start and _is_cyrillic(normalised[start - 1]) and _LETTER_RE.match(normalised, start):
            return True
        if end < size and _is_cyrillic(normalised[end]) and _LETTER_RE.match(normalised, end - 1):
            return True
    return False


def _token_list(normalised: str, repair: bool | None = None) -> list[str]:
    """The tokens of a normalised text (see :func:`tokenise`).

    ``repair``: whether a word may need :func:`_repair_script`, when the caller
    knows it for a whole text of which this is a line.
    """
    if repair is None:
        repair = _needs_repair(normalised)
    tokens: list[str] = []
    append, extend = tokens.append, tokens.extend
    for text in _CHUNK_RE.findall(normalised):
        if text.isalpha():  # the common case: one plain word
            if not repair:
                append(text[:MAX_TOKEN_CHARS])
            else:
                extend(word[:MAX_TOKEN_CHARS] for word in _repair_script(text))
            continue
        runs = _RUN_RE.findall(text)
        for run in runs:
            if run[0].isdigit() or not repair:
                append(run[:MAX_TOKEN_CHARS])
            else:
                extend(word[:MAX_TOKEN_CHARS] for word in _repair_script(run))
        if len(runs) > 1 and _DIGIT_RE.search(text):
            parts = _SEPARATOR_RE.split(text)
            if len(parts) > 1:
                append(REF_JOINER.join(parts)[:MAX_TOKEN_CHARS])
    return tokens


_DIGIT_RE = re.compile(r"\d")
_SEPARATOR_RE = re.compile(r"[-/.]")


def tokenise(text: str) -> list[str]:
    """Normalised words of Cyrillic, Latin and digits, in text order.

    A registration number such as ``№ 02-05/117`` yields its digit runs
    (``02``, ``05``, ``117``), so a search for one part still finds it, and
    then one joined key ``02x05x117``, so a search for the whole number can ask
    for it exactly on every backend (the separators are unified, so 02/05/117
    finds it too). Hyphenated words without digits (қарым-қатынас) yield their
    parts. Tokens are cut at 64 characters.
    """
    return _token_list(normalise(text))


# --- Russian stemming ---------------------------------------------------------

_ru_local = threading.local()


def _ru_stemmer():
    # Snowball stemmer objects keep state between calls: one per thread.
    stemmer = getattr(_ru_local, "stemmer", None)
    if stemmer is None:
        stemmer = _ru_local.stemmer = snowballstemmer.stemmer("russian")
    return stemmer


@lru_cache(maxsize=1 << 18)
def stem_ru(word: str) -> str:
    """Snowball russian stem of one normalised token (документы → документ)."""
    return _ru_stemmer().stemWord(word)


# --- Latin script to Cyrillic --------------------------------------------------

_LATIN_DIGRAPHS = {"sh": "ш", "ch": "ч", "ts": "ц", "ia": "я", "iu": "ю", "zh": "ж", "kh": "х"}
_LATIN_SINGLE = {
    "a": "а",
    "ä": "ә",
    "b": "б",
    "c": "ц",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "ğ": "ғ",
    "h": "х",
    "i": "и",
    "ı": "і",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "ñ": "ң",
    "o": "о",
    "ö": "ө",
    "p": "п",
    "q": "қ",
    "r": "р",
    "s": "с",
    "ş": "ш",
    "ç": "ч",
    "t": "т",
    "u": "у",
    "ū": "ұ",
    "ü": "ү",
    "v": "в",
    "w": "у",
    "x": "х",
    "y": "ы",
    "z": "з",
}
_LATIN_VOWELS = frozenset("aäeiıoöuūüy")
_EXACT_2021_MARKS = frozenset("äğıñöşūü")


def _front_word(word: str) -> bool:
    back = sum(word.count(ch) for ch in "qyğū")
    front = sum(word.count(ch) for ch in "eäöüık")
    return front > back


def latin_to_cyrillic(word: str) -> str:
    """Best Cyrillic reading of a Kazakh word written in Latin letters.

    With the 2021 diacritics present (qūjattardy) the reading is letter for
    letter. Typed without them (qujattardy, partiia) some letters are
    ambiguous: a vowel-harmony guess picks ұ or ү for a ``u`` between
    consonants, і or и for ``i``, and й for an ``i`` after a vowel. Mixed-vowel
    loans (кітап) can come out wrong, which is why matching goes through
    folded-Latin keys and not through this reading; use it to show the reader
    what their query was taken to mean.
    """
    word = normalise(word)
    exact = any(ch in _EXACT_2021_MARKS for ch in word)
    front = _front_word(word)
    out: list[str] = []
    i = 0
    n = len(word)
    while i < n:
        pair = word[i : i + 2]
        if pair in _LATIN_DIGRAPHS:
            out.append(_LATIN_DIGRAPHS[pair])
            i += 2
            continue
        ch = word[i]
        prev = word[i - 1] if i else ""
        nxt = word[i + 1] if i + 1 < n else ""
        if ch == "i":
            if prev in _LATIN_VOWELS:
                out.append("й")
            elif not exact and front:
                out.append("і")
            else:
                out.append("и")
        elif ch == "u" and not exact:
            if prev in _LATIN_VOWELS or nxt in _LATIN_VOWELS or not nxt:
                out.append("у")
            else:
                out.append("ү" if front else "ұ")
        elif ch == "g" and not exact and not front:
            out.append("ғ")
        elif ch == "o" and not exact and front:
            out.append("ө")
        else:
            out.append(_LATIN_SINGLE.get(ch, ch))
        i += 1
    return "".join(out)


# --- language -------------------------------------------------------------------

_KAZAKH_LATIN_MARKS = frozenset("qäğıñöşūü")


def detect_language(text: str) -> str:
    """'kk', 'ru', 'en' or 'und' for a paragraph, from letter statistics.

    About one Cyrillic letter in seven of Kazakh prose is one of the nine
    Kazakh-only letters, and a Russian paragraph has almost none (a place name
    at most), so their share separates the two without a model. Short text
    gives 'und' and is analysed both ways.
    """
    return _detect_normalised(normalise(text[:2000])) if text else "und"


_LATIN_RUN_RE = re.compile(r"[^\W\d_\u0400-\u052f]+")
_CYRILLIC_RUN_RE = re.compile(r"[\u0400-\u052f]+")


def _detect_normalised(sample: str) -> str:
    sample = sample[:2000]
    # Counted by runs, not letter by letter: a list of one string per letter is slow.
    cyrillic = sum(map(len, _CYRILLIC_RUN_RE.findall(sample)))
    # Latin letters only matter when Cyrillic ones are not most of the text.
    latin = 0 if cyrillic * 2 > len(sample) else sum(map(len, _LATIN_RUN_RE.findall(sample)))
    if cyrillic >= latin:
        kazakh = sum(sample.count(ch) for ch in KAZAKH_ONLY_LETTERS)
        if cyrillic < 20:
            return "kk" if kazakh >= 2 else "und"
        share = kazakh / cyrillic
        if share >= 0.04:
            return "kk"
        if share < 0.015:
            return "ru"
        return "und"
    if latin < 20:
        return "und"
    kazakh_latin = sum(sample.count(ch) for ch in _KAZAKH_LATIN_MARKS)
    return "kk" if kazakh_latin / latin >= 0.03 else "en"


# --- Russian words in Kazakh or undetermined text ------------------------------------

# Letters no native Kazakh word has (Russian loans keep them: the Russian stem is
# right for those too). и is a Kazakh letter, but a native word has it next to
# a vowel or in a few roots (жиын, жина-); the short stems it lets through
# (мир, сил, вид) are not Kazakh keys. Not ю: Kazakh verbal nouns end in it
# (жою, қою). Not и in -их, which Arabic loans share with Russian adjectives
# (тарих would give тар, "narrow").
_NON_NATIVE_LETTERS = frozenset("вфцчщъьэ")
# A Russian stem added on this evidence alone still needs three letters.
MIN_RU_STEM_LOOKS_RUSSIAN = 3
_BACK_ONLY = frozenset("аоы")
# Case endings of Russian nouns and adjectives that no Kazakh suffix ends in.
_RUSSIAN_ONLY_ENDINGS = (
    *("ами", "ями", "ыми", "ими"),
    *("ого", "его", "ому", "ему"),
    *("ах", "ях", "ую", "юю"),
)
_RU_VOWELS = frozenset("аеиоуыэюя")


def looks_russian(token: str) -> bool:
    """Can this Cyrillic token (without a Kazakh-only letter) not be a native Kazakh word?

    Kazakh words keep vowel harmony, write к and г only beside front vowels (қ
    and ғ beside back ones), have о only in the first syllable, and take no
    Russian case ending. A token breaking one of these (дела: е with а; окна:
    к beside back vowels; окно: о in the second syllable; годами: -ами; мира:
    и) is Russian or a Russian loan, so its Russian stem is safe however short:
    it cannot be the Kazakh root that a short stem of ата, бала, жоба would be.
    """
    return _russian_evidence(token) > 0


def _russian_evidence(token: str) -> int:
    """2: the token breaks Kazakh spelling outright; 1: only through и; 0: none.

    и is weak evidence: Russian loans that Kazakh text inflects have it
    (партиясы, комиссиясы), so it earns a Russian stem, but not the reading of
    the whole query as Russian.
    """
    if not _NON_NATIVE_LETTERS.isdisjoint(token) or token.endswith(_RUSSIAN_ONLY_ENDINGS):
        return 2
    back = not _BACK_ONLY.isdisjoint(token)
    if back and "е" in token:
        return 2
    if back and ("к" in token or "г" in token):
        return 2
    seen_vowel = False
    for ch in token:
        if ch in _RU_VOWELS:
            if seen_vowel and ch == "о":
                return 2
            seen_vowel = True
    return 1 if "и" in token and not token.endswith("их") else 0


# --- index and query keys -----------------------------------------------------------


def _has_digit(token: str) -> bool:
    return _DIGIT_RE.search(token) is not None


@lru_cache(maxsize=1 << 18)
def _token_keys(token: str, language: str, for_query: bool) -> tuple[str, ...]:
    """Keys of one token in a paragraph (or query) of the given language."""
    if not token.isalpha() and _has_digit(token):
        return (token,)
    if not _is_cyrillic(token[0]):
        return latin_keys(token)
    keys: list[str] = []
    kazakh_letters = not KAZAKH_ONLY_LETTERS.isdisjoint(token)
    if kazakh_letters or language != "ru":
        kazakh = kk_keys(token)
        keys += kazakh
        if not for_query:
            # Every reading, not just the first: a Latin query for хатшысынан
            # (hatshysynan → hatshy) must meet хатшы (хатш or хатшы).
            keys += [folded_stem_key(key) for key in kazakh]
    if not kazakh_letters:
        ru = stem_ru(token)
        if language == "ru" or (
            ru not in keys
            and (
                len(ru) >= MIN_RU_STEM_IN_KAZAKH
                or (len(ru) >= MIN_RU_STEM_LOOKS_RUSSIAN and looks_russian(token))
            )
        ):
            keys.append(ru)
    return tuple(dict.fromkeys(keys))


def _paragraph_languages(normalised: str) -> Iterator[tuple[str, str]]:
    """Yield (line, language): each line's own, or its block's when too short to tell."""
    for block in _BLOCK_RE.split(normalised):
        block_language = None
        for line in block.splitlines() or [block]:
            language = _detect_normalised(line)
            if language == "und":
                if block_language is None:
                    block_language = _detect_normalised(block)
                language = block_language
            yield line, language


_BLOCK_RE = re.compile(r"\n\s*\n")
_LANGUAGES = {"kk", "ru", "en"}


def index_terms(text: str, language: str | None = None) -> str:
    """The space-separated keys to store in a document's analysed field.

    Each token contributes its keys in text order; repeated words repeat their
    keys so term frequency still counts. ``language`` forces one language for
    the whole text (a field known to be Russian); without it each line is
    judged by :func:`detect_language`. In Kazakh or undetermined text a word
    without a Kazakh-only letter also gets its Russian stem, because a third of
    Kazakh words look Russian and Russian words are common in Kazakh documents.
    """
    if not text:
        return ""
    return _words_and_keys(normalise(text), language)[1]


def words_and_terms(text: str) -> tuple[list[str], str]:
    """``tokenise(text)`` and ``index_terms(text)`` at once, normalising and
    tokenising the text once instead of twice (a page's body needs both)."""
    return _words_and_keys(normalise(text), None)


def _words_and_keys(normalised: str, language: str | None) -> tuple[list[str], str]:
    if language is not None:
        forced = language if language in _LANGUAGES else "und"
        lines: Iterable[tuple[str, str]] = [(normalised, forced)]
    else:
        lines = _paragraph_languages(normalised)
    repair = _needs_repair(normalised)
    words: list[str] = []
    keys: list[str] = []
    for line, line_language in lines:
        # Tokens never span a line (line breaks are not word characters), so the
        # lines' tokens joined are the text's.
        tokens = _token_list(line, repair)
        words += tokens
        keys += chain.from_iterable(map(_token_keys, tokens, repeat(line_language), repeat(False)))
    return words, " ".join(keys)


_OPERATOR_RE = re.compile(r"\b(?:AND|OR|NEAR)\b")
# An excluded word must not become a wanted one: NOT x, -x and !x are dropped,
# and excluding is left to the query layer.
_EXCLUDED_RE = re.compile(r"(?:\bNOT\s+|(?:^|(?<=\s))[-!])(?:\"[^\"]*\"|\S+)")


# How a query's Cyrillic words without a Kazakh-only letter are read (see
# :func:`_query_reading`): as Russian only, as Kazakh (with a Russian stem only
# when it is long or the word looks Russian), or both ways with the Russian stem
# whatever its length.
_READ_RUSSIAN, _READ_KAZAKH, _READ_BOTH, _READ_UNDETERMINED = "ru", "kk", "both", "und"


def _query_reading(tokens: list[str], detected: str, hint: str | None) -> str:
    """How to read a query's words, from what is known of its language.

    The query's own letters first (a long query is detected like a paragraph;
    a Kazakh-only letter anywhere makes it Kazakh; a word that cannot be native
    Kazakh, :func:`looks_russian`, makes it Russian; a Kazakh ending of two
    letters or more, Kazakh), then the language of the page it was typed on.
    A query read as Russian keeps its Kazakh keys too: a Kazakh word without a
    Kazakh-only letter typed on the Russian page (жоба) must still find
    Kazakh text.
    """
    if detected == "ru":
        return _READ_RUSSIAN
    if detected == "kk":
        return _READ_KAZAKH
    cyrillic = [token for token in tokens if _is_cyrillic(token[0])]
    kazakh = False
    evidence = 0
    for token in cyrillic:
        if not KAZAKH_ONLY_LETTERS.isdisjoint(token):
            kazakh = True
            continue
        token_evidence = _russian_evidence(token)
        evidence = max(evidence, token_evidence)
        # A Kazakh ending of two letters or more on a word that does not break
        # Kazakh spelling outright (партия-сы, жоба-мыз) is Kazakh evidence too.
        if token_evidence < 2 and len(token) - len(kk_keys(token)[0]) >= 2:
            kazakh = True
    if kazakh and evidence < 2:
        return _READ_KAZAKH
    if not kazakh and (evidence == 2 or hint == "ru"):
        return _READ_BOTH
    return _READ_UNDETERMINED


def _query_token_keys(token: str, reading: str) -> tuple[str, ...]:
    if reading == _READ_BOTH and _is_cyrillic(token[0]):
        keys = _token_keys(token, "und", True)
        if KAZAKH_ONLY_LETTERS.isdisjoint(token):
            ru = stem_ru(token)
            if ru not in keys:
                keys = (*keys, ru)
        return keys
    return _token_keys(token, reading, True)


def query_language(query: str | None, hint: str | None = None) -> str:
    """'ru' or 'kk' when the query's words are that language's, else ''.

    The search ranks documents in this language first among equally good
    matches: a Russian «паролей» puts Russian documents above Kazakh ones that
    share its key. ``hint`` is the language of the page the query was typed on.
    """
    if not query or not isinstance(query, str):
        return ""
    query = _EXCLUDED_RE.sub(" ", _OPERATOR_RE.sub(" ", query[:MAX_QUERY_CHARS]))
    tokens = _token_list(normalise(query))
    if not any(_is_cyrillic(token[0]) for token in tokens):
        return ""
    reading = _query_reading(tokens, detect_language(query), hint)
    return {_READ_RUSSIAN: "ru", _READ_BOTH: "ru", _READ_KAZAKH: "kk"}.get(reading, "")


def query_words(
    query: str | None, language: str | None = None
) -> list[tuple[str, tuple[str, ...]]]:
    """Each query word as (its normalised token, its keys), for exact-over-stem ranking.

    The same words and keys as :func:`query_word_keys`, with the token each
    came from, so a query layer can ask for the word exactly as typed (the raw
    field) or in any of its forms (the analysed field). ``language`` is the
    language of the page the query was typed on (``ru`` makes a word without a
    Kazakh-only letter keep its Russian stem however short: дома → дом).
    """
    if not query or not isinstance(query, str):
        return []
    query = _EXCLUDED_RE.sub(" ", _OPERATOR_RE.sub(" ", query[:MAX_QUERY_CHARS]))
    tokens = _token_list(normalise(query))
    reading = _query_reading(tokens, detect_language(query), language)
    words: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for token in tokens:
        keys = _query_token_keys(token, reading)
        if any(keys == other for _, other in words):
            continue
        new = [k for k in keys if k not in seen]
        room = MAX_QUERY_TERMS - len(seen)
        if len(new) > room:
            keys = tuple(k for k in keys if k in seen or k in new[:room])
            new = new[:room]
        seen.update(new)
        words.append((token, keys))
        if len(seen) >= MAX_QUERY_TERMS:
            break
    return words


def query_word_keys(query: str | None, language: str | None = None) -> list[tuple[str, ...]]:
    """Keys per query word, for a query layer that ORs within a word, ANDs across.

    Never raises on user input: quotes, brackets, wildcards and SQL are
    punctuation to the tokeniser; AND/OR are ignored and excluded words
    (NOT x, -x) left out; input is cut at 4096 characters and the result at 32
    distinct keys in all (the last word may lose some of its readings).
    """
    return [keys for _token, keys in query_words(query, language)]


def token_index_keys(token: str, language: str = "und") -> tuple[str, ...]:
    """The keys a document token gets at index time (for marking it in a snippet).

    ``token`` is one normalised token from :func:`tokenise`; without its line's
    language it is read as undetermined, which gives every reading a document
    line could give it, so a snippet never misses a word the index matched.
    """
    return _token_keys(token, language if language in _LANGUAGES else "und", False)


def query_terms(query: str | None, language: str | None = None) -> list[str]:
    """A user's query analysed like the documents: its keys, deduplicated, at most 32.

    A Cyrillic word gives its Kazakh keys (and its Russian stem when it has no
    Kazakh-only letter); a Latin word is folded and stemmed into the folded-Latin
    key that every Kazakh word of a document also carries.
    """
    return list(dict.fromkeys(key for keys in query_word_keys(query, language) for key in keys))
