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
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

import snowballstemmer

from search import kk_suffixes

ANALYSER_VERSION = 2

KAZAKH_ONLY_LETTERS = frozenset("әғқңөұүһі")
MIN_STEM_KK = 2
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


def normalise(text: str) -> str:
    """NFC, case folding and the few letter unifications search needs.

    Kazakh letters have no decomposition, so NFC and casefold keep them; ё is
    read as е because Russian text writes it either way. Latin diacritics are
    kept here: only the Latin path folds them (:func:`fold_latin`), so that
    ``ä`` in a Kazakh Latin word is never confused with a Cyrillic letter.
    """
    text = unicodedata.normalize("NFC", text).translate(_BEFORE_CASEFOLD)
    text = _COMBINING_RE.sub("", text.casefold())
    return text.translate(_AFTER_CASEFOLD)


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


def _tokens(normalised: str) -> Iterator[str]:
    for chunk in _CHUNK_RE.finditer(normalised):
        text = chunk.group()
        if text.isalpha():  # the common case: one plain word
            for word in _repair_script(text):
                yield word[:MAX_TOKEN_CHARS]
            continue
        runs = _RUN_RE.findall(text)
        for run in runs:
            if run[0].isdigit():
                yield run[:MAX_TOKEN_CHARS]
            else:
                for word in _repair_script(run):
                    yield word[:MAX_TOKEN_CHARS]
        if len(runs) > 1 and _DIGIT_RE.search(text):
            parts = _SEPARATOR_RE.split(text)
            if len(parts) > 1:
                yield REF_JOINER.join(parts)[:MAX_TOKEN_CHARS]


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
    return list(_tokens(normalise(text)))


# --- Kazakh stemming ----------------------------------------------------------


def _series_cyrillic(stem: str) -> str | None:
    for ch in reversed(stem):
        if ch in kk_suffixes.BACK_VOWELS:
            return kk_suffixes.BACK
        if ch in kk_suffixes.FRONT_VOWELS:
            return kk_suffixes.FRONT
    return None


class SuffixStripper:
    """Longest-match suffix stripping against a generated chain table.

    One match, the longest whose conditions hold, then the stem's last
    consonant is put back to its dictionary form (кітаб → кітап). Separate
    from the module functions so the benchmark can try other settings.
    """

    def __init__(
        self,
        table: dict[str, tuple[kk_suffixes.Rule, ...]],
        series_of: Callable[[str], str | None],
        final_map: dict[str, str],
        min_stem: int = MIN_STEM_KK,
        vowels: frozenset[str] = kk_suffixes.VOWELS,
        glides: frozenset[str] = frozenset("уи"),
        s_split: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
    ) -> None:
        self.table = table
        self.vowels = vowels
        self.glides = glides
        # (letters before a stem-final vowel that make a vowel stem sure,
        #  letters before ы/і that make an -ыс/-іс stem sure): see _s_reading.
        self.s_vowel_stem, self.s_consonant_stem = s_split
        self.max_len = max(map(len, table))
        self.series_of = series_of
        self.final_map = final_map
        self.min_stem = min_stem

    def cuts(self, word: str) -> Iterator[tuple[str, str]]:
        """Every cut whose conditions hold, longest suffix first, then the uncut word.

        The stem's last letter is not yet restored (see :meth:`restore`).
        """
        n = len(word)
        for cut in range(min(self.max_len, n - self.min_stem), 0, -1):
            rules = self.table.get(word[n - cut :])
            if rules is None:
                continue
            stem = word[: n - cut]
            last = stem[-1]
            if cut == n - 2 and not self._short_stem_ok(stem):
                continue
            series = False  # not computed yet
            for rule in rules:
                if last not in rule.finals or len(stem) < rule.min_stem:
                    continue
                if series is False:
                    series = self.series_of(stem)
                if series is None or series == rule.series:
                    yield stem, word[n - cut :]
                    break
        yield word, ""

    def _s_reading(self, stem: str, cuts: Iterator[tuple[str, str]]) -> str | None:
        """The one sure stem when a 3rd-person -сы/-сі cut competes with an -ыс/-іс stem.

        хатшы-сы-нан or хатшыс-ы-нан? ыдыс-ы-мен or ыды-сы-мен? Without a
        dictionary the letter before the stem's last vowel decides where it can:
        after ш the stem is an agent noun in -шы/-ші or a noun like мүше
        (хатшысынан → хатшы), and before м, б, н + ы it is a deverbal noun in
        -ыс (жұмысының → жұмыс, табысы → табыс, қорғанысы → қорғаныс), since
        stems in -мы, -бы, -ны hardly exist (front -бі does: сейсенбісінде).
        Elsewhere (облысы and қаулысы, ыдысы and белсендісі) both readings stay.
        """
        if len(stem) < 3:
            return None
        before = stem[-2]
        if before in self.s_vowel_stem:
            return self.restore(stem)
        if before in self.s_consonant_stem and stem[-1] == "ы":
            for other, _ in cuts:
                if other == stem + "с":
                    return other
                if len(other) > len(stem) + 1:
                    break
        return None

    def _short_stem_ok(self, stem: str) -> bool:
        # Two-letter stems are roots like үй, іс, ел, ат, өз: a vowel then a
        # consonant. A consonant-vowel pair (та, жа, ба) is nearly always the
        # start of a longer stem whose end a suffix took: бас-ында, not ба-сында.
        return stem[0] in self.vowels and stem[1] not in self.vowels and stem[1] not in self.glides

    def split(self, word: str) -> tuple[str, str]:
        """The longest valid cut as (stem, suffix)."""
        return next(self.cuts(word))

    def restore(self, stem: str) -> str:
        replacement = self.final_map.get(stem[-1:])
        return stem[:-1] + replacement if replacement else stem

    def stem(self, word: str) -> str:
        return self.restore(self.split(word)[0])

    def keys(self, word: str, policy: str = "doubtful-next") -> tuple[str, ...]:
        """The stem, plus the next reading when the longest cut is doubtful.

        A stem can end like a suffix (облыс-ы or облы-сы? аудан-ы or ауда-ны?),
        and no rule tells which without a dictionary. A cut is doubtful when it
        is at most two letters, leaves a two-letter stem, or starts with a
        letter stems end in (ы, і, с): then the next shorter valid cut (or the
        uncut word) is kept as a second key, so облысы (облы, облыс) still
        meets облыстың (облыс). Longer cuts (қал-ады) stay single, which is what
        keeps decoys apart. "doubtful-all" keeps every reading; it and the
        other policies are there for the benchmark, which measures them.
        """
        cuts = self.cuts(word)
        stem, suffix = next(cuts)
        first = self.restore(stem)
        if not suffix or policy == "one":
            return (first,)
        if suffix[0] == "с" and len(suffix) > 1 and stem[-1] in self.vowels:
            sure = self._s_reading(stem, cuts)
            if sure is not None:
                return (sure,)
            cuts = self.cuts(word)
            next(cuts)
        if policy == "uncut-if-short":
            if suffix in AMBIGUOUS_SHORT_SUFFIXES and first != word:
                return (first, word)
            return (first,)
        if (
            len(stem) > 2
            and len(suffix) > 2
            and suffix[0] not in DOUBTFUL_SUFFIX_STARTS
            and suffix not in DOUBTFUL_VERB_ENDINGS
        ):
            return (first,)
        keys = [first]
        for other, other_suffix in cuts:
            key = self.restore(other) if other != word else word
            if key not in keys:
                keys.append(key)
            if policy == "doubtful-next":
                if (
                    len(suffix) == 2
                    and suffix[0] != "с"
                    and other_suffix in ("ы", "і")
                    and word not in keys
                ):
                    # белсен-ді or белсенд-і? Either may be the ending of белсенді,
                    # so the word as written is a third reading.
                    keys.append(word)
                break
        return tuple(keys)


_CYRILLIC_FINALS = {"б": "п", "г": "к", "ғ": "қ"}
_KK = SuffixStripper(
    kk_suffixes.SUFFIXES,
    _series_cyrillic,
    _CYRILLIC_FINALS,
    s_split=(frozenset("ш"), frozenset("мбн")),
)

# Suffix-like endings of real stems: хатшы, белсенді, қаулы, облыс, кеңес.
AMBIGUOUS_SHORT_SUFFIXES = frozenset(["ы", "і", "сы", "сі", "ды", "ді", "ты", "ті", "ны", "ні"])
DOUBTFUL_SUFFIX_STARTS = frozenset("ыіс")
# Verb endings that a noun in -ат/-ет/-ам/-ем + the 3rd-person possessive and
# accusative spell too: жаз-атын but құжат-ын, мақсат-ын, бюджет-ін, қоғам-ын.
# (The folded spellings are for Latin queries: qujatyn.)
DOUBTFUL_VERB_ENDINGS = frozenset(["атын", "етін", "амын", "емін", "atyn", "etin", "amyn", "emin"])


@lru_cache(maxsize=1 << 18)
def stem_kk(word: str) -> str:
    """The Kazakh stem key of one normalised token (from :func:`tokenise`)."""
    return _KK.stem(word)


@lru_cache(maxsize=1 << 18)
def kk_keys(word: str) -> tuple[str, ...]:
    """All Kazakh keys of a token: its stem first, then other readings if doubtful."""
    return _KK.keys(word)


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


# --- Latin script --------------------------------------------------------------

# Cyrillic → folded Latin: the 2021 alphabet with its diacritics folded away
# (ә→a, ғ→g, і→i, ң→n, ө→o, ш→sh, ұ/ү→u), which is also what people type.
_CYRILLIC_FOLD = {
    "а": "a",
    "ә": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ғ": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "j",
    "з": "z",
    "и": "i",
    "й": "i",
    "і": "i",
    "к": "k",
    "қ": "q",
    "л": "l",
    "м": "m",
    "н": "n",
    "ң": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ұ": "u",
    "ү": "u",
    "ф": "f",
    "х": "h",
    "һ": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sh",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
}
_CYRILLIC_FOLD_TABLE = str.maketrans(_CYRILLIC_FOLD)
_LATIN_FOLD_TABLE = str.maketrans(
    {"ä": "a", "ğ": "g", "ı": "i", "ñ": "n", "ö": "o", "ş": "sh", "ū": "u", "ü": "u", "ç": "ch"}
)
# Spellings people use for the same sounds in other romanisations.
_LATIN_VARIANTS = (("zh", "j"), ("kh", "h"), ("gh", "g"), ("ya", "ia"), ("yu", "iu"))
_LATIN_LETTERS = str.maketrans({"w": "u", "x": "h"})


def fold_cyrillic(word: str) -> str:
    """Kazakh or Russian Cyrillic in the folded Latin that Latin queries use."""
    return word.translate(_CYRILLIC_FOLD_TABLE)


def fold_latin(word: str) -> str:
    """Fold a Latin word's Kazakh diacritics and variant spellings to plain ASCII."""
    word = word.translate(_LATIN_FOLD_TABLE)
    if not word.isascii():
        decomposed = unicodedata.normalize("NFD", word)
        word = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for variant, canonical in _LATIN_VARIANTS:
        if variant in word:
            word = word.replace(variant, canonical)
    return word.translate(_LATIN_LETTERS)


_ONLY_AFTER_YA = frozenset("я")


def _folded_rules() -> dict[str, tuple[kk_suffixes.Rule, ...]]:
    """The Cyrillic chain table spelt in folded Latin, conditions carried over."""
    merged: dict[tuple[str, str, int], set[str]] = {}
    for surface, rules in kk_suffixes.SUFFIXES.items():
        folded = fold_cyrillic(surface)
        if not folded:
            continue
        for rule in rules:
            if rule.finals <= _ONLY_AFTER_YA:
                # партиям: folded, a stem "ending in я" is any stem ending in a
                # (qalam → qala), so these chains stay Cyrillic-only.
                continue
            finals = {fold_cyrillic(ch)[-1:] for ch in rule.finals} - {""}
            merged.setdefault((folded, rule.series, rule.min_stem), set()).update(finals)
    table: dict[str, list[kk_suffixes.Rule]] = {}
    for (surface, series, min_stem), finals in merged.items():
        table.setdefault(surface, []).append(kk_suffixes.Rule(frozenset(finals), series, min_stem))
    return {surface: tuple(rules) for surface, rules in table.items()}


def _series_folded(stem: str) -> str | None:
    # Folded a, o, u, i may stand for either series; only ы (y) and е (e) tell.
    for ch in reversed(stem):
        if ch in "aoui":
            return None
        if ch == "y":
            return kk_suffixes.BACK
        if ch == "e":
            return kk_suffixes.FRONT
    return None


# Final q/k/g all become k: a folded g may be г or ғ, and both alternate with a
# voiceless letter before a vowel (құқығы → құқық, тілегі → тілек).
_FOLDED_FINALS = {"b": "p", "g": "k", "q": "k"}
_FOLDED = SuffixStripper(
    _folded_rules(),
    _series_folded,
    _FOLDED_FINALS,
    min_stem=MIN_STEM_KK,
    vowels=frozenset("aeiouy"),
    glides=frozenset("ui"),
)


def folded_stem_key(stem: str) -> str:
    """The folded-Latin copy of a Cyrillic Kazakh stem, as the index stores it."""
    return _FOLDED.restore(fold_cyrillic(stem))


@lru_cache(maxsize=1 << 18)
def latin_keys(word: str) -> tuple[str, ...]:
    """Keys of a Latin-script word: folded, then stemmed with the folded table.

    The index holds one folded copy per Kazakh word, made from its Cyrillic
    stem (more precise: Cyrillic still tells н from ң). The Latin side cannot
    tell them apart, so a Latin word keeps a second reading when its cut is
    doubtful, just as Cyrillic words do.
    """
    return _FOLDED.keys(fold_latin(word))


# 2021 alphabet, letter by letter (Cyrillic → Latin), for display and tests.
_CYRILLIC_TO_LATIN_2021 = {
    **_CYRILLIC_FOLD,
    "ә": "ä",
    "ғ": "ğ",
    "і": "ı",
    "ң": "ñ",
    "ө": "ö",
    "ш": "ş",
    "щ": "şş",
    "ұ": "ū",
    "ү": "ü",
}
_CYRILLIC_TO_LATIN_TABLE = str.maketrans(_CYRILLIC_TO_LATIN_2021)


def cyrillic_to_latin(word: str) -> str:
    """Spell a normalised Kazakh word in the 2021 Latin alphabet (құжат → qūjat)."""
    return word.translate(_CYRILLIC_TO_LATIN_TABLE)


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


_LATIN_LETTER_RE = re.compile(r"[^\W\d_\u0400-\u052f]")


def _detect_normalised(sample: str) -> str:
    sample = sample[:2000]
    cyrillic = len(_CYRILLIC_RE.findall(sample))
    latin = len(_LATIN_LETTER_RE.findall(sample))
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
    if not _NON_NATIVE_LETTERS.isdisjoint(token) or token.endswith(_RUSSIAN_ONLY_ENDINGS):
        return True
    if "и" in token and not token.endswith("их"):
        return True
    back = not _BACK_ONLY.isdisjoint(token)
    if back and "е" in token:
        return True
    if back and ("к" in token or "г" in token):
        return True
    seen_vowel = False
    for ch in token:
        if ch in _RU_VOWELS:
            if seen_vowel and ch == "о":
                return True
            seen_vowel = True
    return False


# --- index and query keys -----------------------------------------------------------


def _has_digit(token: str) -> bool:
    return _DIGIT_RE.search(token) is not None


@lru_cache(maxsize=1 << 18)
def _token_keys(token: str, language: str, for_query: bool) -> tuple[str, ...]:
    """Keys of one token in a paragraph (or query) of the given language."""
    if _has_digit(token):
        return (token,)
    if not _is_cyrillic(token[0]):
        return latin_keys(token)
    keys: list[str] = []
    kazakh_letters = not KAZAKH_ONLY_LETTERS.isdisjoint(token)
    if kazakh_letters or language != "ru":
        kazakh = kk_keys(token)
        keys.extend(kazakh)
        if not for_query:
            # Every reading, not just the first: a Latin query for хатшысынан
            # (hatshysynan → hatshy) must meet хатшы (хатш or хатшы).
            keys.extend(folded_stem_key(key) for key in kazakh)
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
    keys: list[str] = []
    text = normalise(text)
    if language is not None:
        forced = language if language in _LANGUAGES else "und"
        lines: Iterable[tuple[str, str]] = [(text, forced)]
    else:
        lines = _paragraph_languages(text)
    for line, line_language in lines:
        for token in _tokens(line):
            keys.extend(_token_keys(token, line_language, False))
    return " ".join(keys)


_OPERATOR_RE = re.compile(r"\b(?:AND|OR|NEAR)\b")
# An excluded word must not become a wanted one: NOT x, -x and !x are dropped,
# and excluding is left to the query layer.
_EXCLUDED_RE = re.compile(r"(?:\bNOT\s+|(?:^|(?<=\s))[-!])(?:\"[^\"]*\"|\S+)")


def query_words(query: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """Each query word as (its normalised token, its keys), for exact-over-stem ranking.

    The same words and keys as :func:`query_word_keys`, with the token each
    came from, so a query layer can ask for the word exactly as typed (the raw
    field) or in any of its forms (the analysed field).
    """
    if not query or not isinstance(query, str):
        return []
    query = _EXCLUDED_RE.sub(" ", _OPERATOR_RE.sub(" ", query[:MAX_QUERY_CHARS]))
    language = detect_language(query)
    words: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for token in _tokens(normalise(query)):
        keys = _token_keys(token, language, True)
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


def query_word_keys(query: str | None) -> list[tuple[str, ...]]:
    """Keys per query word, for a query layer that ORs within a word, ANDs across.

    Never raises on user input: quotes, brackets, wildcards and SQL are
    punctuation to the tokeniser; AND/OR are ignored and excluded words
    (NOT x, -x) left out; input is cut at 4096 characters and the result at 32
    distinct keys in all (the last word may lose some of its readings).
    """
    return [keys for _token, keys in query_words(query)]


def token_index_keys(token: str, language: str = "und") -> tuple[str, ...]:
    """The keys a document token gets at index time (for marking it in a snippet).

    ``token`` is one normalised token from :func:`tokenise`; without its line's
    language it is read as undetermined, which gives every reading a document
    line could give it, so a snippet never misses a word the index matched.
    """
    return _token_keys(token, language if language in _LANGUAGES else "und", False)


def query_terms(query: str | None) -> list[str]:
    """A user's query analysed like the documents: its keys, deduplicated, at most 32.

    A Cyrillic word gives its Kazakh keys (and its Russian stem when it has no
    Kazakh-only letter); a Latin word is folded and stemmed into the folded-Latin
    key that every Kazakh word of a document also carries.
    """
    return list(dict.fromkeys(key for keys in query_word_keys(query) for key in keys))
