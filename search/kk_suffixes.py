"""Kazakh suffix chains for the longest-suffix stripper in ``search.analysis``.

Nothing here is typed out chain by chain. The morphemes are written once as
templates with archiphonemes, and every chain (plural → possessive → case for
nouns; tense, participle and verbal noun for verbs) is expanded for both
vowel-harmony series and for every class of sound a stem can end in. The suffix
order follows apertium-kaz's morphotactics, as measured in
``docs/kazakh-search.md``. A hand-typed list of ~800 strings could
not be checked; these templates can be read against a grammar.

Each expanded chain remembers what it may follow: the last letter of the stem
(its consonant class decides л/д/т, н/д/т, ғ/қ, м/б/п …), the stem's vowel
series, and a minimum stem length. The stripper accepts a chain only when the
stem it leaves agrees with all three, which is what keeps қалада (қала + да)
apart from қалады (қал + ады).

The 1st and 2nd person singular possessives (-м, -ым/-ім, -ң, -ың/-ің) are
there, but fenced: a deverbal noun ends in -ым/-ім just like a possessed one
(шешім, ұйым, білім, айналым against жүрегім, кітабым), and -ма/-ме ends nouns
too (хаттама, бағдарлама). So the 1st person singular is stripped straight off
a stem only where the stem shows it was a noun with an ending: the voiced
alternant б/г/ғ before it (жүрегім → жүрек, кітабыммен → кітап), the loan
ending я (партиям), or the dative -а/-е that only a possessive takes
(жұмысыма). After the plural it is always stripped (құжаттарым). The 2nd
person singular is stripped after a consonant, keeping at least four letters
of stem when nothing follows it, so оның, менің, сенің stay whole; after a
vowel only on я, because nouns end in -аң/-ең (кезең, кезеңде, терең).

Deliberately absent, because they strip real stems far more often than they
find an inflection: the bare gerund -п after a vowel (кітап), the aorist
-ар/-ер (хабар, базар), the negated gerund -май/-мей (бай).

Riskier chains carry a higher minimum stem length (``RISKY_MIN_STEM``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

BACK, FRONT = "b", "f"

VOWELS = frozenset("аәеёоөұүыіэяюиу")
# Letters that decide the vowel series of a stem; и, у, ю, ё are read as either.
BACK_VOWELS = frozenset("аоұыя")
FRONT_VOWELS = frozenset("әеөүіэ")

# What a stem can end in, as far as the next suffix's first consonant cares.
# б, в, г, ғ, д end only loans (клуб, завод); they take the voiceless allomorphs.
STEM_CLASSES: dict[str, frozenset[str]] = {
    "V": frozenset("аәеёоөұүыіэяю"),  # vowel
    "J": frozenset("йуи"),  # glides: үйлер, тауы, таудың
    "R": frozenset("р"),
    "L": frozenset("ль"),  # ль in loans: панельдің, медальдар
    "Z": frozenset("зж"),
    "NAS": frozenset("мнң"),
    "VL": frozenset("птқксшфхһцчщбвгғд"),
}
CONSONANT_CLASSES = ("J", "R", "L", "Z", "NAS", "VL")
ALL_CLASSES = ("V", *CONSONANT_CLASSES)

# Before a vowel-initial suffix п, к, қ are voiced (кітап → кітабы, құқық → құқығы),
# so a stem left by such a suffix may end in б, г, ғ; the stripper maps them back.
VOICED_ALTERNANTS = frozenset("бгғ")

# Archiphonemes whose consonant depends on the class of the sound before them.
# A: а/е and I: ы/і follow the vowel series; K: қ/к and Gh: ғ/г too.
_CONSONANT_BY_CLASS: dict[str, dict[str, str]] = {
    # plural {L}{A}р: партиялар, жолдар, хаттар
    "PL": {"V": "л", "J": "л", "R": "л", "L": "д", "Z": "д", "NAS": "д", "VL": "т"},
    # genitive {N}{I}ң: партияның, адамның, жолдың, хаттың
    "GEN": {"V": "н", "NAS": "н", "J": "д", "R": "д", "L": "д", "Z": "д", "VL": "т"},
    # accusative {N}{I}: қаланы, адамды, хатты
    "ACC": {"V": "н", "NAS": "д", "J": "д", "R": "д", "L": "д", "Z": "д", "VL": "т"},
    # locative {D}{A} and past tense {D}{I}: қалада, хатта; келді, айтты
    "LOC": {"V": "д", "NAS": "д", "J": "д", "R": "д", "L": "д", "Z": "д", "VL": "т"},
    # ablative {D}{A}н: қаладан, адамнан, хаттан
    "ABL": {"V": "д", "NAS": "н", "J": "д", "R": "д", "L": "д", "Z": "д", "VL": "т"},
    # instrumental {M}ен: қаламен, қолмен, қызбен, хатпен
    "INS": {"V": "м", "NAS": "м", "J": "м", "R": "м", "L": "м", "Z": "б", "VL": "п"},
    # negation {M}{A} and intention {M}{A}қ: келмеді, жазбады, айтпады
    "NEG": {"V": "м", "J": "м", "R": "м", "L": "м", "NAS": "б", "Z": "б", "VL": "п"},
    # dative {G}{A} and past participle {G}{A}н: қалаға, хатқа; келген, айтқан
    "DAT": {"V": "G", "NAS": "G", "J": "G", "R": "G", "L": "G", "Z": "G", "VL": "K"},
    # denominal verb {L}{A}: бағала-, тізімде-, құжатта-
    "DEN": {"V": "л", "J": "л", "R": "л", "L": "д", "Z": "д", "NAS": "д", "VL": "т"},
}

_VOWEL_BY_SERIES = {
    BACK: {"A": "а", "I": "ы", "G": "ғ", "K": "қ"},
    FRONT: {"A": "е", "I": "і", "G": "г", "K": "к"},
}


@dataclass(frozen=True)
class Morpheme:
    """One suffix: a template plus which consonant class its first sound uses.

    ``template`` uses A, I (harmonic vowels), G, K (ғ/г, қ/к) and ``C`` for the
    class-dependent first consonant chosen through ``table``. ``after`` limits
    the stem classes the morpheme can follow at all (the possessive сы only
    after a vowel, ы only after a consonant).
    """

    name: str
    template: str
    table: str | None = None
    after: tuple[str, ...] = ALL_CLASSES
    # When the morpheme comes first in a chain, the stem must end in one of
    # these and be at least ``stem_min`` letters long.
    stem_finals: frozenset[str] | None = None
    stem_min: int = 0


def _m(
    name: str,
    template: str,
    table: str | None = None,
    after=ALL_CLASSES,
    stem_finals: str | frozenset[str] | None = None,
    stem_min: int = 0,
) -> Morpheme:
    finals = frozenset(stem_finals) if stem_finals is not None else None
    return Morpheme(name, template, table, tuple(after), finals, stem_min)


V_ONLY = ("V",)
C_ONLY = CONSONANT_CLASSES

# --- nominal morphemes -------------------------------------------------------
PLURAL = (_m("pl", "CAр", "PL"),)
POSSESSIVES = (
    _m("poss3", "сI", after=V_ONLY),
    _m("poss3", "I", after=C_ONLY),
    _m("poss1pl", "мIз", after=V_ONLY),
    _m("poss1pl", "IмIз", after=C_ONLY),
    _m("poss2pol", "ңIз", after=V_ONLY),
    _m("poss2pol", "IңIз", after=C_ONLY),
)
CASES = (
    _m("gen", "CIң", "GEN"),
    _m("acc", "CI", "ACC"),
    _m("dat", "CA", "DAT"),
    _m("loc", "CA", "LOC"),
    _m("abl", "CAн", "ABL"),
    _m("ins", "Cен", "INS"),
    _m("ins", "CенAн", "INS"),  # the long form -менен
    _m("locadj", "CAGI", "LOC"),  # -дағы / -дегі
    _m("sim", "CAй", "LOC"),  # -дай / -дей
)
# After a 3rd-person possessive the cases take the pronominal н: партиясын,
# партиясына, партиясында, партиясынан, партиясындағы.
PRONOMINAL_CASES = (
    _m("gen", "нIң"),
    _m("acc", "н"),
    _m("dat", "нA"),
    _m("loc", "ндA"),
    _m("abl", "нAн"),
    _m("ins", "мен"),
    _m("locadj", "ндAGI"),
    _m("sim", "ндAй"),  # мүйізіндей, партиясындай
)

# 1st and 2nd person singular (see the module docstring for the fences). Their
# dative is a bare -а/-е: кітабыма, жүрегіңе; the other cases are the usual
# ones after м or ң: жүрегіммен, жүрегіңдегі, кітабымның.
POSS1SG_V = _m("poss1sg", "м", after=V_ONLY, stem_finals="я")
# On a longer stem ending in another vowel (бағдарламамның, мәселемде): with a
# case after it on four letters or more, alone on five or more, because short
# nouns end in -ам/-ем themselves (қалам, адам, бағам). On ы/і too (хатшымда):
# a noun in -ым/-ім cut there (айналымда → айналы) keeps its whole form as the
# doubtful cut's second key. Not before the bare dative: -ма/-ме ends nouns
# (хаттама, көрме).
LONG_VOWEL_FINALS = "аеәоөұүюыі"
MIN_STEM_1SG_VOWEL = 4
MIN_STEM_1SG_VOWEL_BARE = 5
POSS1SG_V_LONG = _m(
    "poss1sg", "м", after=V_ONLY, stem_finals=LONG_VOWEL_FINALS, stem_min=MIN_STEM_1SG_VOWEL
)
BARE_VOWEL_FINALS = LONG_VOWEL_FINALS
POSS1SG_V_LONG_BARE = _m(
    "poss1sg", "м", after=V_ONLY, stem_finals=BARE_VOWEL_FINALS, stem_min=MIN_STEM_1SG_VOWEL_BARE
)
POSS1SG_C_ANY = _m("poss1sg", "Iм", after=C_ONLY)
# After a vowel only on я: nouns end in -аң/-ең (кезең, кезеңде; терең).
POSS2SG_V = _m("poss2sg", "ң", after=V_ONLY, stem_finals="я")
POSS2SG_V_LONG = _m(
    "poss2sg", "ң", after=V_ONLY, stem_finals=LONG_VOWEL_FINALS, stem_min=MIN_STEM_1SG_VOWEL
)
POSS2SG_V_LONG_BARE = _m(
    "poss2sg", "ң", after=V_ONLY, stem_finals=BARE_VOWEL_FINALS, stem_min=MIN_STEM_1SG_VOWEL_BARE
)
POSS2SG_C = _m("poss2sg", "Iң", after=C_ONLY)
SINGULAR_DATIVE = _m("dat", "A")
SINGULAR_CASES = tuple(c for c in CASES if c.name != "dat")
# A bare 2nd person singular keeps this much stem: мүйізің → мүйіз, but оның,
# менің, сенің, соның stay whole (and so do елің, жерің).
MIN_STEM_2SG_BARE = 4

# --- verbal morphemes --------------------------------------------------------
PAST_PERSON = ("", "м", "ң", "K", "ңIз")
PRESENT_PERSON = ("мIн", "сIң", "мIз", "сIз")


def _noun_tails() -> list[tuple[Morpheme, ...]]:
    """Every ordered choice of plural? + possessive? + case? (at least one).

    The 1st person singular comes in fenced (:func:`_first_singular_chains`);
    the 2nd person singular chains are in :func:`_second_singular_chains`,
    which gives the bare ending its longer minimum stem.
    """
    tails: list[tuple[Morpheme, ...]] = []
    for pl in ((), *((p,) for p in PLURAL)):
        for poss in ((), *((p,) for p in POSSESSIVES)):
            if poss and poss[0].name == "poss3":
                cases = ((), *((c,) for c in PRONOMINAL_CASES))
            else:
                cases = ((), *((c,) for c in CASES))
            for case in cases:
                chain = pl + poss + case
                if chain:
                    tails.append(chain)
        tails.extend(pl + chain for chain in _first_singular_chains(after_plural=bool(pl)))
    return tails


def _singular_cases() -> tuple[tuple[Morpheme, ...], ...]:
    return ((), (SINGULAR_DATIVE,), *((c,) for c in SINGULAR_CASES))


def _first_singular_chains(after_plural: bool) -> list[tuple[Morpheme, ...]]:
    """1st person singular + case?, fenced straight after a stem (see the docstring)."""
    chains: list[tuple[Morpheme, ...]] = []
    for case in _singular_cases():
        if after_plural:
            chains.append((POSS1SG_C_ANY, *case))
            continue
        chains.append((POSS1SG_V, *case))
        if not case:
            chains.append((POSS1SG_V_LONG_BARE,))
        elif case[0] is not SINGULAR_DATIVE:
            chains.append((POSS1SG_V_LONG, *case))
        # Any consonant: the stripper keeps the lexical -ым/-ім nouns whole
        # (LEXICAL_IM in search.kazakh), and the cut is doubtful, so the
        # uncut reading stays as a second key (елім → ел, елім).
        chains.append((POSS1SG_C_ANY, *case))
    return chains


def _second_singular_chains() -> list[tuple[tuple[Morpheme, ...], int]]:
    """(chain, minimum stem) for 2nd person singular + case? on a noun, alone or plural.

    Only the bare ending needs a long stem: оның, менің are not он + ың, мен + ің,
    but no word ends like еліңде or үйіңнің except through the possessive.
    """
    chains: list[tuple[tuple[Morpheme, ...], int]] = []
    for pl in ((), *((p,) for p in PLURAL)):
        for poss in (POSS2SG_V, POSS2SG_V_LONG, POSS2SG_C):
            for case in _singular_cases():
                bare = not pl and not case
                first = POSS2SG_V_LONG_BARE if poss is POSS2SG_V_LONG and not case else poss
                chains.append((pl + (first, *case), MIN_STEM_2SG_BARE if bare else 0))
    return chains


def _verb_chains() -> list[tuple[Morpheme, ...]]:
    chains: list[tuple[Morpheme, ...]] = []
    for person in PAST_PERSON:
        chains.append((_m("past", "CI" + person, "LOC"),))
        chains.append((_m("neg", "CA", "NEG"), _m("past", "дI" + person)))
    # Present: -а/-е after a consonant, -й after a vowel, -и where ы/і + й merge
    # (оқы + йды → оқиды).
    for tail in ("дI", *PRESENT_PERSON):
        chains.append((_m("pres", "A" + tail, after=C_ONLY),))
        chains.append((_m("pres", "й" + tail, after=V_ONLY),))
        chains.append((_m("pres", "и" + tail, after=C_ONLY),))
        chains.append((_m("neg", "CA", "NEG"), _m("pres", "й" + tail)))
    # Habitual participle -атын/-етін/-йтын.
    chains.append((_m("hab", "AтIн", after=C_ONLY),))
    chains.append((_m("hab", "йтIн", after=V_ONLY),))
    chains.append((_m("neg", "CA", "NEG"), _m("hab", "йтIн")))
    # Past participle -ған/-ген/-қан/-кен, alone or with noun endings.
    ptcp = _m("ptcp", "CAн", "DAT")
    neg_ptcp = (_m("neg", "CA", "NEG"), _m("ptcp", "GAн"))
    chains.append((ptcp,))
    chains.append(neg_ptcp)
    for tail in _noun_tails():
        chains.append((ptcp, *tail))
    # Gerund -ып/-іп after a consonant (the bare -п after a vowel is left out).
    chains.append((_m("gerund", "Iп", after=C_ONLY),))
    # Conditional -са/-се with a person.
    for person in ("м", "ң", "K", "ңIз"):
        chains.append((_m("cond", "сA" + person),))
    return chains


def _verbal_noun_chains() -> list[tuple[Morpheme, ...]]:
    """The -у verbal noun and everything a noun ending in у can take.

    Stripping у with all its continuations keeps хабарландыру, хабарландыруы
    and хабарландырулар on one key; stripping only some of them would split it.
    """
    vn = _m("vnoun", "у")
    chains = [(vn,)]
    for tail in _noun_tails():
        chains.append((vn, *tail))
    for tail, _min_stem in _second_singular_chains():
        chains.append((vn, *tail))  # бағалауың, бағалауларыңда
    return chains


# Chains that find a real inflection less often than they eat a stem: kept,
# but only on a longer stem. -та/-да/-ла + п makes құжаттап → құжат, but on a
# 3-letter stem it would cut мектеп → мек.
RISKY_MIN_STEM = 4


def _risky_chains() -> list[tuple[Morpheme, ...]]:
    return [
        (_m("den", "CA", "DEN"), _m("gerund", "п")),  # құжаттап, тізімдеп, бағалап
        (_m("intent", "CAK", "NEG"),),  # болмақ, қосылмақ (тармақ needs the length)
        (_m("cond", "сA"),),  # жазса, келсе
    ]


# The passive -ыл/-іл (-ын/-ін after л, -л/-н after a vowel) before the tenses
# party texts write it in: қабылданды, бекітілді, жіберілген, талқыланатын,
# берілді. A noun ending in л or н spells the same before the accusative or a
# participle-like ending (ауылды, ауданды), so these cuts need three letters of
# stem and are doubtful: the stripper keeps the next reading too.
PASSIVE_MIN_STEM = 3


def _passive_chains() -> list[tuple[Morpheme, ...]]:
    tails: list[tuple[Morpheme, ...]] = [
        *((_m("past", "дI" + person),) for person in PAST_PERSON),
        (_m("ptcp", "GAн"),),
        (_m("ptcp", "GAн"), _m("poss3", "I")),
        (_m("hab", "AтIн"),),
        (_m("vnoun", "у"),),
    ]
    present = (_m("pres", "AдI"),)
    chains: list[tuple[Morpheme, ...]] = []
    for passive in (
        _m("pass", "Iл", after=("J", "R", "Z", "NAS", "VL")),
        _m("pass", "Iн", after=("L",)),
        _m("pass", "н", after=V_ONLY, stem_finals="аеә"),
    ):
        chains += [(passive, *tail) for tail in (*tails, present)]
    # -л after a vowel (сақталды, қаралған), but not before the present:
    # бағалады is бағала-ды, not баға-л-ады. Not after ы/і (ауыстыры-лады).
    vowel_l = _m("pass", "л", after=V_ONLY, stem_finals="аеә")
    chains += [(vowel_l, *tail) for tail in tails]
    return chains


def _class_of(letter: str) -> str:
    for name, letters in STEM_CLASSES.items():
        if letter in letters:
            return name
    return "VL"


def _realise(chain: tuple[Morpheme, ...], series: str, stem_class: str) -> str | None:
    """Spell a chain after a stem of the given class, or None if it cannot follow."""
    out: list[str] = []
    prev_class = stem_class
    vowels = _VOWEL_BY_SERIES[series]
    for morpheme in chain:
        if prev_class not in morpheme.after:
            return None
        piece = []
        for ch in morpheme.template:
            if ch == "C":
                ch = _CONSONANT_BY_CLASS[morpheme.table][prev_class]
            piece.append(vowels.get(ch, ch))
        text = "".join(piece)
        if not text:
            return None
        out.append(text)
        prev_class = _class_of(text[-1])
    return "".join(out)


@dataclass(frozen=True)
class Rule:
    """When a surface suffix may be stripped: stem's last letter, series, length."""

    finals: frozenset[str]
    series: str
    min_stem: int


def _finals_for(stem_class: str, chain_surface: str) -> frozenset[str]:
    letters = STEM_CLASSES[stem_class]
    if stem_class != "V" and chain_surface[0] in VOWELS:
        letters = letters | VOICED_ALTERNANTS
    return letters


def build_table() -> dict[str, tuple[Rule, ...]]:
    """Expand all templates into ``{surface suffix: rules}``."""
    groups: list[tuple[list[tuple[Morpheme, ...]], int]] = [
        (_noun_tails(), 0),
        (_verb_chains(), 0),
        (_verbal_noun_chains(), 0),
        (_risky_chains(), RISKY_MIN_STEM),
        (_passive_chains(), PASSIVE_MIN_STEM),
    ]
    for chain, min_stem in _second_singular_chains():
        groups.append(([chain], min_stem))
    merged: dict[tuple[str, str, int], set[str]] = {}
    for chains, min_stem in groups:
        for chain, series, stem_class in product(chains, (BACK, FRONT), ALL_CLASSES):
            surface = _realise(chain, series, stem_class)
            if surface is None:
                continue
            finals = _finals_for(stem_class, surface)
            if chain[0].stem_finals is not None:
                finals = finals & chain[0].stem_finals
            if not finals:
                continue
            key = (surface, series, max(min_stem, chain[0].stem_min))
            merged.setdefault(key, set()).update(finals)
    table: dict[str, list[Rule]] = {}
    for (surface, series, min_stem), finals in sorted(merged.items()):
        table.setdefault(surface, []).append(Rule(frozenset(finals), series, min_stem))
    return {surface: tuple(rules) for surface, rules in table.items()}


SUFFIXES: dict[str, tuple[Rule, ...]] = build_table()
# The passive -н after a vowel follows the verb-forming -ла/-да/-та (бағала-нды,
# қабылда-нды, белгіле-нді), not any vowel: белсенді is not белсе-нді. The
# stripper checks the letter before the stem's last vowel for these surfaces.
PASSIVE_N_BEFORE = frozenset("лдт")
PASSIVE_N_SURFACES: frozenset[str] = frozenset(
    surface
    for chain, series in product(_passive_chains(), (BACK, FRONT))
    if chain[0].template == "н" and (surface := _realise(chain, series, "V")) is not None
)
# Surfaces of the passive chains, which the stripper treats as doubtful cuts.
PASSIVE_SURFACES: frozenset[str] = frozenset(
    surface
    for chain, series, stem_class in product(_passive_chains(), (BACK, FRONT), ALL_CLASSES)
    if (surface := _realise(chain, series, stem_class)) is not None
)
MAX_SUFFIX_LEN: int = max(map(len, SUFFIXES))
