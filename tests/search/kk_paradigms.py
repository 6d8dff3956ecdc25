"""Full Kazakh noun paradigms and verb forms, spelt from the grammar, for evaluation.

Written independently of ``search.kk_suffixes`` (which the stripper uses), so a
mistake in one does not hide in the other. The lemmas are in
``data/kk_lemmas.tsv`` and ``data/kk_verbs.tsv``; the hand-labelled real forms
and decoys in ``data/kk_labelled.tsv``. Used by ``tests/search/
test_paradigms.py`` and ``benchmarks/stemmers.py``.

A noun paradigm has the bare and plural stems; on each the possessive of every
person (1sg -ым/-м, 2sg -ың/-ң, 2sg polite -ыңыз/-ңыз, 3rd -ы/-сы, 1pl
-ымыз/-мыз; on the plural these give 2pl -дарың and -дарыңыз too); after each
the seven cases (nominative, genitive, accusative, dative, locative, ablative,
instrumental) and the locative-adjectival -дағы, with the pronominal н after the
3rd person; the similative -дай on the bare stem and after the 3rd person.
Vowel harmony follows the last vowel (я counts as back), the first consonant
of each ending follows the sound before it, and п/к/қ voice to б/г/ғ before a
vowel.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

DATA = Path(__file__).parent / "data"
LEMMAS = DATA / "kk_lemmas.tsv"
VERBS = DATA / "kk_verbs.tsv"
LABELLED = DATA / "kk_labelled.tsv"

_BACK = frozenset("аоұыя")
_FRONT = frozenset("әеөүі")
_VOWELS = frozenset("аәеоөұүыіяюэиу")
_VOICED = {"п": "б", "к": "г", "қ": "ғ"}
_HARMONY = {"A": "ае", "I": "ыі", "G": "ғг", "K": "қк"}


def _rows(path: Path) -> Iterable[list[str]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = (line.split("\t") + ["", ""])[:3]
        if fields[0] in ("lemma", "form", "root"):
            continue
        yield fields


def load_lemmas(path: Path = LEMMAS) -> list[tuple[str, frozenset[str], str]]:
    """(lemma, flags, source) rows of the noun list."""
    return [(lemma, frozenset(flags.split()), source) for lemma, flags, source in _rows(path)]


def front_series(word: str, flags: frozenset[str] = frozenset()) -> bool:
    if "f" in flags:
        return True
    if "b" in flags:
        return False
    for ch in reversed(word):
        if ch in _BACK:
            return False
        if ch in _FRONT:
            return True
    return True  # и/у only (министр): front


def _kind(stem: str) -> str:
    """The class of a stem's last sound, as the next ending's first consonant cares."""
    last = stem[-1]
    if last in "аәеоөұүыіяюэ":
        return "V"
    if last in "мнң":
        return "N"
    if last in "йуи":
        return "J"
    if last == "р":
        return "R"
    if last in "лль":
        return "L"
    if last in "зж":
        return "Z"
    return "T"  # voiceless (and the voiced б/в/г/д that end loans)


def _h(template: str, front: bool) -> str:
    return "".join(_HARMONY[ch][front] if ch in _HARMONY else ch for ch in template)


def _cases(stem: str, front: bool) -> list[str]:
    """The stem in the six oblique cases and with -дағы."""
    k = _kind(stem)
    gen = {"V": "нIң", "N": "нIң", "T": "тIң"}.get(k, "дIң")
    acc = {"V": "нI", "T": "тI"}.get(k, "дI")
    dat = "KA" if k == "T" else "GA"
    loc = "тA" if k == "T" else "дA"
    abl = {"N": "нAн", "T": "тAн"}.get(k, "дAн")
    ins = {"Z": "бен", "T": "пен"}.get(k, "мен")
    return [stem + _h(x, front) for x in (gen, acc, dat, loc, abl, ins, loc + "GI")]


def _similative(stem: str, front: bool) -> str:
    return stem + _h("тAй" if _kind(stem) == "T" else "дAй", front)


def _plural(stem: str, front: bool) -> str:
    k = _kind(stem)
    return stem + _h({"V": "лAр", "J": "лAр", "R": "лAр", "T": "тAр"}.get(k, "дAр"), front)


def _vowel_base(lemma: str, flags: frozenset[str]) -> str:
    """The stem before a vowel-initial ending: voiced, or with its last vowel dropped."""
    if "drop" in flags:
        return lemma[:-2] + lemma[-1]  # халық → халқ-, орын → орн-
    if lemma[-1] in _VOICED and "nv" not in flags:
        return lemma[:-1] + _VOICED[lemma[-1]]
    return lemma


def paradigm(lemma: str, flags: frozenset[str] = frozenset(), common: bool = False) -> set[str]:
    """Every form of the noun's paradigm (see the module docstring).

    ``common`` leaves out the 1st/2nd person singular and the 2nd person polite,
    whose endings a verb's person endings spell too (бала-мыз / бал-амыз).
    """
    front = front_series(lemma, flags)
    plural = _plural(lemma, front)
    forms = {lemma, plural, *_cases(lemma, front), *_cases(plural, front)}
    forms.add(_similative(lemma, front))
    for base, vowel_base in ((lemma, _vowel_base(lemma, flags)), (plural, plural)):
        after_vowel = _kind(base) == "V"

        def person(ending: str, base=base, vowel_base=vowel_base, after_vowel=after_vowel):
            if after_vowel:
                return base + _h(ending, front)
            return vowel_base + _h("I" + ending, front)

        for singular in () if common else (person("м"), person("ң")):  # 1sg, 2sg (2pl on pl)
            forms.add(singular)
            forms.update(singular + _h(x, front) for x in ("нIң", "дI", "A", "дA", "нAн", "мен"))
            forms.add(singular + _h("дAGI", front))
        for polite in (person("мIз"),) if common else (person("ңIз"), person("мIз")):
            forms.add(polite)
            forms.update(_cases(polite, front))
        third = base + _h("сI", front) if after_vowel else vowel_base + _h("I", front)
        forms.add(third)
        pronominal = ("нIң", "н", "нA", "ндA", "нAн", "мен", "ндAGI", "ндAй")
        forms.update(third + _h(x, front) for x in pronominal)
    return forms


# --- verbs ---------------------------------------------------------------------------


def load_verbs(path: Path = VERBS) -> list[tuple[str, str, str]]:
    """(root, infinitive, passive stem) rows of the verb list."""
    return [tuple(fields) for fields in _rows(path)]  # type: ignore[misc]


def verb_forms(root: str, infinitive: str, passive: str) -> set[str]:
    """Infinitive, tenses and persons, participles, gerund, negation and passive."""
    front = front_series(root)
    k = _kind(root)
    vowel = k == "V"
    past = "дI" if k in "VNJRLZ" else "тI"
    forms = {infinitive}
    forms.update(root + _h(past + p, front) for p in ("", "м", "ң", "K", "ңIз"))
    # present: оқы + йды → оқиды; қара + йды → қарайды; кел + еді → келеді
    present = root[:-1] + "и" if root[-1] in "ыі" else root + ("й" if vowel else _h("A", front))
    forms.update(present + _h(p, front) for p in ("дI", "мIн", "сIң", "мIз", "сIз"))
    # participles and gerund
    ptcp = "GAн" if k in "VJRLZN" else "KAн"
    forms.add(root + _h(ptcp, front))
    if root[-1] in "ыі":
        forms.add(root[:-1] + _h("итIн", front))  # таны + йтын → танитын
    else:
        forms.add(root + _h("AтIн" if not vowel else "йтIн", front))
    forms.add(root + ("п" if vowel else _h("Iп", front)))
    # negation: жіберме-ді, өтпеді
    neg = "мA" if k in "VJRL" else ("бA" if k in "NZ" else "пA")
    forms.add(root + _h(neg + "дI", front))
    # the verbal noun with endings (бекітуге, қабылдауы)
    forms.update(infinitive + _h(x, front) for x in ("I", "GA", "дA", "дIң", "дI", "мен"))
    # passive: қабылда-н-ды, бекіт-іл-ді, жібер-іл-ген
    forms.add(passive + _h("дI", front))
    forms.add(passive + _h("GAн", front))
    return forms


# --- hand-labelled forms ----------------------------------------------------------------


def load_labelled(path: Path = LABELLED) -> list[tuple[str, str, str]]:
    """(form, lemma, note) rows: real forms from the project's texts, and decoys."""
    return [tuple(fields) for fields in _rows(path)]  # type: ignore[misc]


def noun_rows() -> list[tuple[str, str]]:
    """(form, lemma) for every generated noun form and every hand-labelled noun row.

    A form that two lemmas' paradigms both produce (a real homograph) is kept once
    for each lemma only if it is not already labelled otherwise by hand.
    """
    rows: dict[tuple[str, str], None] = {}
    for lemma, flags, _source in load_lemmas():
        if "skip" in flags:
            continue
        for form in sorted(paradigm(lemma, flags)):
            rows[(form, lemma)] = None
    for form, lemma, note in load_labelled():
        if not note.startswith("verb"):
            rows[(form, lemma)] = None
    return list(rows)


def pair_scores(rows: list[tuple[str, str]], keys) -> tuple[float, float, int, int, int]:
    """Pair precision and recall over all pairs of rows, with true, met and false counts.

    A pair is true when both rows have the same lemma, met when the forms' key sets
    meet. Counted through the keys (an inverted index), so 40,000 rows take seconds.
    """
    keysets = [frozenset(keys(form)) for form, _ in rows]
    holders: dict[str, list[int]] = {}
    for i, ks in enumerate(keysets):
        for key in ks:
            holders.setdefault(key, []).append(i)
    tp = fp = 0
    for i, (_form, lemma) in enumerate(rows):
        met = {j for key in keysets[i] for j in holders[key] if j > i}
        # The same spelling under two lemmas (a homograph) is no stemmer's
        # business: such pairs are left out.
        met = {j for j in met if rows[j][0] != rows[i][0]}
        same = sum(rows[j][1] == lemma for j in met)
        tp += same
        fp += len(met) - same
    sizes: dict[str, int] = {}
    for _, lemma in rows:
        sizes[lemma] = sizes.get(lemma, 0) + 1
    true = sum(n * (n - 1) // 2 for n in sizes.values())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / true if true else 1.0
    return precision, recall, true, tp + fp, fp
