"""Kazakh word forms: the suffix stripper and its keys, in Cyrillic and in the
2021 Latin alphabet, and the conversions between the two scripts.

Part of the one analysis path of ``search.analysis`` (read its docstring
first), which imports this module; like it, free of Django.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache

from search import kk_suffixes

MIN_STEM_KK = 2

# --- Kazakh stemming ----------------------------------------------------------


def _series_cyrillic(stem: str) -> str | None:
    if stem[-1:] == "ь":
        return None  # пароль: a soft sign lets a loan take front endings (парольді)
    i = len(stem)
    for ch in reversed(stem):
        i -= 1
        if ch in kk_suffixes.BACK_VOWELS:
            return kk_suffixes.BACK
        if ch in kk_suffixes.FRONT_VOWELS:
            return kk_suffixes.FRONT
        if ch == "и":
            # A loan's last syllable with и takes either series (архивке,
            # министрі; but тарихы): let the suffix decide.
            return None
        if (
            ch == "у"
            and 0 < i < len(stem) - 1
            and stem[i - 1] not in kk_suffixes.VOWELS
            and stem[i + 1] not in kk_suffixes.VOWELS
        ):
            return kk_suffixes.BACK  # у between consonants is a loan's u: ресурстар
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
        fenced: frozenset[str] = frozenset(),
        first_singular: tuple[str, ...] = ("ым", "ім"),
        fenced_endings: tuple[str, ...] = ("у",),
        drop: tuple[frozenset[str], frozenset[str], str] | None = None,
        doubtful: frozenset[str] = frozenset(),
        passive_n: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
    ) -> None:
        self.table = table
        self.vowels = vowels
        self.glides = glides
        # (letters before a stem-final vowel that make a vowel stem sure,
        #  letters before ы/і that make an -ыс/-іс stem sure): see _s_reading.
        self.s_vowel_stem, self.s_consonant_stem = s_split
        self.max_len = max(map(len, table))
        self.trie: dict = {}
        for surface, rules in table.items():
            node = self.trie
            for ch in reversed(surface):
                node = node.setdefault(ch, {})
            node[""] = (surface, rules)
        self.series_of = series_of
        self.final_map = final_map
        self.min_stem = min_stem
        # Words that end in -ым/-ім of their own (шешім, білім): no cut may
        # split them there. The 1st plural -ымыз is not a 1st singular cut.
        self.fenced = fenced
        self.first_singular = first_singular
        self.first_plural = tuple(ending + ending[-2:-1] + "з" for ending in first_singular)
        # Other endings a fenced word has of its own (жылу "warmth" is not жыл + у).
        self.fenced_endings = fenced_endings
        # (first consonants, second consonants, (back vowel, front vowel)) of a
        # stem that lost its last vowel before a vowel ending: халқ-ы → халық.
        self.drop = drop
        # Whole surface suffixes whose cut always keeps the next reading too.
        self.doubtful = doubtful
        # (passive -н surfaces, letters one of which must come before the stem's
        # last vowel for them): see kk_suffixes.PASSIVE_N_SURFACES.
        self.passive_n, self.passive_n_before = passive_n

    def cuts(self, word: str) -> Iterator[tuple[str, str]]:
        """Every cut whose conditions hold, longest suffix first, then the uncut word.

        The stem's last letter is not yet restored (see :meth:`restore`).
        """
        n = len(word)
        # Walk the reversed-suffix trie from the word's end: a few steps, not
        # one dictionary lookup per possible length.
        hits: list[tuple[int, tuple[str, tuple[kk_suffixes.Rule, ...]]]] = []
        node = self.trie
        for i in range(n - 1, max(n - 1 - self.max_len, self.min_stem - 1), -1):
            node = node.get(word[i])  # type: ignore[assignment]
            if node is None:
                break
            entry = node.get("")
            if entry is not None:
                hits.append((i, entry))  # type: ignore[arg-type]
        for at, (suffix, rules) in reversed(hits):
            stem = word[:at]
            last = stem[-1]
            if at == 2 and not self._short_stem_ok(stem):
                continue
            series = False  # not computed yet
            for rule in rules:
                if last not in rule.finals or at < rule.min_stem:
                    continue
                if series is False:
                    series = self.series_of(stem)
                if series is None or series == rule.series:
                    # Checked only for a cut that would be made: rarer than a hit.
                    if not (
                        (self.fenced and self._splits_fenced(word, at))
                        or (suffix in self.passive_n and stem[-2] not in self.passive_n_before)
                    ):
                        yield stem, suffix
                    break
        yield word, ""

    def _splits_fenced(self, word: str, at: int) -> bool:
        """Would a cut at ``at`` split a fenced word at its own ending (шеш|ім)?"""
        if word[: at + 1] in self.fenced:  # құрылы|м, шеші|мде
            return True
        if word.startswith(self.first_singular, at):
            return not word.startswith(self.first_plural, at) and word[: at + 2] in self.fenced
        for ending in self.fenced_endings:
            if word.startswith(ending, at) and word[: at + len(ending)] in self.fenced:
                return True
        return False

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
        found = self._keys(word, policy)
        if self.drop is not None:
            undropped = self._undropped(found[0], word)
            if undropped is not None and undropped not in found:
                return (*found, undropped)
        return found

    def _undropped(self, first: str, word: str) -> str | None:
        """The stem with its dropped vowel back (халқы → халық), if the cut allows.

        A few nouns lose the vowel of their last syllable before a vowel ending
        (халық → халқы, орын → орны, ауыз → аузы, қалып → қалпы). When a
        vowel-initial cut leaves a stem ending in two consonants that such a
        syllable could have held, the stem with the vowel put back is kept as
        another key; it only ever meets the forms that kept the vowel.
        """
        firsts, seconds, (back, front) = self.drop  # type: ignore[misc]
        n = len(first)
        if (
            n < 3
            or n >= len(word)
            or word[n] not in self.vowels
            or first[-1] not in seconds
            or first[-2] not in firsts
        ):
            return None
        series = self.series_of(first)
        if series is None:  # folded Latin: a, o, u guess back (halq-y → halyk)
            last = next((ch for ch in reversed(first) if ch in self.vowels), "")
            series = kk_suffixes.FRONT if last in "eiәеөүі" else kk_suffixes.BACK
        vowel = back if series == kk_suffixes.BACK else front
        return first[:-1] + vowel + first[-1]

    def _keys(self, word: str, policy: str) -> tuple[str, ...]:
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
            and suffix not in self.doubtful
            and not (
                # -ады/-еді on a stem of four letters or more: the present of a
                # consonant verb or the past of a vowel one (қабылд-ады or
                # қабылда-ды?); қалады stays қал, away from қала.
                suffix in PRESENT_OR_PAST and len(stem) >= 4
            )
            and not (
                # -м/-ң + case after a vowel: шешімде is шешім-де, not шеші-м-де
                suffix[0] in DOUBTFUL_PERSON_STARTS
                and suffix[1] not in self.vowels
                and stem[-1] in self.vowels
            )
        ):
            return (first,)
        keys = [first]
        # мерз-імде, мерзі-мде or мерзім-де? A 1st person singular read after a
        # consonant and then after a vowel leaves the word's own -ым/-ім to the
        # third reading: keep it too.
        person = suffix.startswith(self.first_singular)
        for other, other_suffix in cuts:
            key = self.restore(other) if other != word else word
            if key not in keys:
                keys.append(key)
            if person and other_suffix[:1] in DOUBTFUL_PERSON_STARTS:
                person = False
                continue
            if policy == "doubtful-next":
                if word not in keys and (
                    (len(suffix) == 2 and suffix[0] != "с" and other_suffix in ("ы", "і"))
                    or suffix in self.doubtful
                ):
                    # белсен-ді or белсенд-і? Either may be the ending of белсенді,
                    # so the word as written is a third reading; so after a
                    # passive cut (ауыл-ды or ауы-лды?).
                    keys.append(word)
                break
        return tuple(keys)


_CYRILLIC_FINALS = {"б": "п", "г": "к", "ғ": "қ"}
# Nouns that end in -ым/-ім of their own, mostly deverbal (шеш-ім "decision",
# біл-ім "knowledge"): read as a 1st person singular they would meet the verb
# (шешті) or another word (ақ, тіз, қор). Other -ым/-ім words are cut
# doubtfully and keep their whole form as a second key (мерзім → мерз, мерзім),
# so a word missing here costs precision only against its own shorter stem.
LEXICAL_IM = frozenset(
    (
        *("шешім", "білім", "ұйым", "ағым", "бөлім", "құрылым", "келісім", "айналым"),
        *("өнім", "тізім", "өтінім", "кірім", "шығым", "тұжырым", "өлім", "ілім"),
        *("сенім", "жетім", "алым", "салым", "кеңейтім", "пішім", "ұғым", "тыным"),
        *("қорым", "жарым", "ырым", "қырым", "тұрым", "жиым", "көрінім", "түсінім"),
        *("қосым", "ерім", "ағылым"),
    )
)
# Nouns in -у that are not the verbal noun of the shorter word (жылу "warmth",
# not жыл "year" + у).
LEXICAL_U = frozenset(["жылу"])
_CYRILLIC_DROP = (frozenset("лруй"), frozenset("қкнзп"), ("ы", "і"))


def cyrillic_stripper(min_stem: int = MIN_STEM_KK) -> SuffixStripper:
    """The Cyrillic stripper as the analysis uses it (the benchmark varies ``min_stem``)."""
    return SuffixStripper(
        kk_suffixes.SUFFIXES,
        _series_cyrillic,
        _CYRILLIC_FINALS,
        min_stem=min_stem,
        s_split=(frozenset("ш"), frozenset("мбн")),
        fenced=LEXICAL_IM | LEXICAL_U,
        drop=_CYRILLIC_DROP,
        doubtful=kk_suffixes.PASSIVE_SURFACES,
        passive_n=(kk_suffixes.PASSIVE_N_SURFACES, kk_suffixes.PASSIVE_N_BEFORE),
    )


_KK = cyrillic_stripper()

# Suffix-like endings of real stems: хатшы, белсенді, қаулы, облыс, кеңес.
AMBIGUOUS_SHORT_SUFFIXES = frozenset(["ы", "і", "сы", "сі", "ды", "ді", "ты", "ті", "ны", "ні"])
DOUBTFUL_SUFFIX_STARTS = frozenset("ыіс")
DOUBTFUL_PERSON_STARTS = frozenset("мңmn")
PRESENT_OR_PAST = frozenset(["ады", "еді", "ady", "edi"])
# Verb endings that a noun in -ат/-ет/-ам/-ем + the 3rd-person possessive and
# accusative spell too: жаз-атын but құжат-ын, мақсат-ын, бюджет-ін, қоғам-ын.
# (The folded spellings are for Latin queries: qujatyn.)
# So do a vowel-final noun + the 1st plural (жоба-мыз, not жоб-амыз; мәселе-міз)
# and nouns in -дық/-тық (әкімдік, облыстық), not only the 1st plural past.
DOUBTFUL_VERB_ENDINGS = frozenset(
    [
        *("атын", "етін", "амын", "емін", "амыз", "еміз"),
        # and a noun in -й + the accusative (деңгей-ді, not деңге-йді)
        *("йды", "йді"),
        *("дық", "дік", "тық", "тік"),
        # the intention -мақ/-мек ends nouns too: ынтымақ, тармақ, бұрмақ
        *("мақ", "мек", "бақ", "бек", "пақ", "пек"),
        *("atyn", "etin", "amyn", "emin", "amyz", "emiz", "dyk", "dik", "tyk", "tik"),
        *("mak", "mek", "bak", "bek", "pak", "pek", "idy", "idi"),
    ]
)


@lru_cache(maxsize=1 << 18)
def stem_kk(word: str) -> str:
    """The Kazakh stem key of one normalised token (from :func:`tokenise`)."""
    return _KK.stem(word)


@lru_cache(maxsize=1 << 18)
def kk_keys(word: str) -> tuple[str, ...]:
    """All Kazakh keys of a token: its stem first, then other readings if doubtful."""
    return _KK.keys(word)


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
    fenced=frozenset(fold_cyrillic(word) for word in LEXICAL_IM | LEXICAL_U),
    first_singular=("ym", "im"),
    fenced_endings=("u",),
    drop=(frozenset("lrui"), frozenset("qknzp"), ("y", "i")),
    doubtful=frozenset(fold_cyrillic(surface) for surface in kk_suffixes.PASSIVE_SURFACES),
    passive_n=(
        frozenset(fold_cyrillic(surface) for surface in kk_suffixes.PASSIVE_N_SURFACES),
        frozenset("ldt"),
    ),
)


@lru_cache(maxsize=1 << 18)
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
