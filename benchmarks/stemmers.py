"""Compare Kazakh stemmers on the project's word list and print the table.

Run: ``.venv/bin/python benchmarks/stemmers.py`` (add ``--markdown`` for the
table in docs/kazakh-search.md). Besides the 554-form word list it measures the
larger evaluation of ``tests/search/kk_paradigms.py`` (generated paradigms of
430 lemmas, hand-labelled real forms and decoys, verbs), Latin queries,
Russian query forms by the page's language, and the speed. The measure is the one in
``docs/kazakh-search.md``: over all pairs of forms in
``tests/search/data/kk_wordlist.tsv`` a pair is a true match when both forms have
the same lemma, and a predicted match when their keys meet (the same stem, or for
methods giving several keys, any key in common). Candidates that are not
installed, or do not run, are reported as such instead of stopping the run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from search import analysis  # noqa: E402
from search.analysis import SuffixStripper  # noqa: E402
from search.kazakh import cyrillic_stripper  # noqa: E402
from tests.search import kk_paradigms  # noqa: E402

WORDLIST = ROOT / "tests" / "search" / "data" / "kk_wordlist.tsv"
HUNSPELL_KK = Path("/usr/share/hunspell/kk_KZ")

Keys = Callable[[str], Iterable[str]]


def load_wordlist(path: Path = WORDLIST) -> list[tuple[str, str, str, str]]:
    """(form, lemma, pos, note) rows, without comments, header and uncertain rows."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        form, lemma, pos, note = (line.split("\t") + ["", "", "", ""])[:4]
        if form == "form" or "uncertain" in note:
            continue
        rows.append((form, lemma, pos, note))
    return rows


def pair_scores(forms: list[str], lemmas: list[str], keys: Keys) -> tuple[float, float, int, int]:
    """Pair precision and recall of "same word"; also true and predicted pair counts."""
    keysets = [frozenset(keys(form)) for form in forms]
    tp = fp = fn = 0
    for i, j in combinations(range(len(forms)), 2):
        gold = lemmas[i] == lemmas[j]
        predicted = not keysets[i].isdisjoint(keysets[j])
        if gold and predicted:
            tp += 1
        elif predicted:
            fp += 1
        elif gold:
            fn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp + fn, tp + fp


def words_per_second(keys: Keys, forms: list[str], budget: float = 0.5) -> float:
    """Uncached throughput: every call does the full work.

    Counted in this process's CPU time, not wall time: the machine is shared,
    and other processes' load would otherwise halve the figure from run to run.
    """
    calls = 0
    start = time.process_time()
    while True:
        for form in forms:
            keys(form)
        calls += len(forms)
        elapsed = time.process_time() - start
        if elapsed >= budget:
            return calls / elapsed


def decoys_met(keys: Keys) -> list[str]:
    pairs = [("қалада", "қалады"), ("ата", "ат"), ("заң", "заңгер")]
    return [f"{a}~{b}" for a, b in pairs if not set(keys(a)).isdisjoint(keys(b))]


# --- candidates ------------------------------------------------------------------


def _snowball_russian() -> Keys:
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("russian")
    return lambda w: (stemmer.stemWord(w),)


def _kazstem() -> Keys:
    """kazstem (PyPI name; the module is ``qazmorph``): needs HFST resources."""
    try:
        import qazmorph
    except ImportError as exc:
        raise Unavailable("not installed (pip install kazstem)") from exc
    try:
        analyzer = qazmorph.Analyzer()
    except Exception as exc:  # its own BackendError; any failure means "does not run"
        first_sentence = str(exc).split(". ")[0] if str(exc) else type(exc).__name__
        raise Unavailable(f"does not run from PyPI alone: {first_sentence}") from exc

    def keys(word: str) -> set[str]:
        lemmas = set()
        for token in analyzer.analyze(word).tokens:
            for reading in token.analyses:
                lemmas.add(reading.lemma)
        return lemmas or {word}

    return keys


def _qaznltk() -> Keys:
    try:
        from qaznltk import qaznltk as qnltk
    except ImportError as exc:
        raise Unavailable("not installed (pip install qaznltk)") from exc
    offers = sorted(n for n in dir(qnltk.QazNLTK) if not n.startswith("_"))
    has_stemmer = any("stem" in name or "lemma" in name for name in offers)
    if not has_stemmer:
        raise Unavailable("no stemmer; offers " + ", ".join(offers))
    raise Unavailable("has a stemmer: add it to this benchmark")


def _hunspell_kk() -> Keys:
    try:
        from spylls.hunspell import Dictionary
        from spylls.hunspell.algo.capitalization import Type as CapType
    except ImportError as exc:
        raise Unavailable("not installed (pip install spylls)") from exc
    if not HUNSPELL_KK.with_suffix(".dic").exists():
        raise Unavailable("not installed (apt-get install hunspell-kk)")
    dictionary = Dictionary.from_files(str(HUNSPELL_KK))

    def keys(word: str) -> set[str]:
        stems = {form.stem for form in dictionary.lookuper.affix_forms(word, captype=CapType.NO)}
        return stems or {word}

    return keys


class Unavailable(Exception):
    """A candidate that cannot be measured here, with the reason."""


def _stripper(min_stem: int) -> SuffixStripper:
    return cyrillic_stripper(min_stem)


def _index_keys_kazakh_line() -> Keys:
    """The chosen keys plus the Russian stem index_terms adds in a Kazakh line."""
    stripper = _stripper(analysis.MIN_STEM_KK)
    russian = _snowball_russian()

    def keys(word: str) -> tuple[str, ...]:
        found = list(stripper.keys(word))
        if analysis.KAZAKH_ONLY_LETTERS.isdisjoint(word):
            (ru,) = russian(word)
            if len(ru) >= analysis.MIN_RU_STEM_IN_KAZAKH and ru not in found:
                found.append(ru)
        return tuple(found)

    return keys


def candidates() -> list[tuple[str, Callable[[], Keys]]]:
    stripper2, stripper3 = _stripper(2), _stripper(3)

    def policy(stripper: SuffixStripper, name: str) -> Callable[[], Keys]:
        return lambda: lambda w: stripper.keys(w, name)

    return [
        ("no stemming", lambda: lambda w: (w,)),
        ("Snowball russian on Kazakh", _snowball_russian),
        ("first 5 letters", lambda: lambda w: (w[:5],)),
        ("kazstem 0.2.1 (PyPI)", _kazstem),
        ("qaznltk 1.3.0.3 (PyPI)", _qaznltk),
        ("hunspell-kk 1.1 via spylls (all stems)", _hunspell_kk),
        ("stripper, min stem 3, one key", policy(stripper3, "one")),
        ("stripper, min stem 2, one key", policy(stripper2, "one")),
        ("stripper 2, + uncut word after ы/ды/сы…", policy(stripper2, "uncut-if-short")),
        ("stripper 3, doubtful cut: + next reading", policy(stripper3, "doubtful-next")),
        (
            "**stripper 2, doubtful cut: + next reading** (chosen)",
            policy(stripper2, "doubtful-next"),
        ),
        ("stripper 2, doubtful cut: + all readings", policy(stripper2, "doubtful-all")),
        ("chosen + Russian stems (index keys, Kazakh line)", _index_keys_kazakh_line),
    ]


def throughput() -> list[tuple[str, str]]:
    """index_terms on running Kazakh text, cold and warm caches, in words/s."""
    seed = ROOT.parent / "shared" / "reference" / "seed-article-kk.txt"
    if not seed.exists():
        seed = Path("/work/shared/reference/seed-article-kk.txt")
    if not seed.exists():
        return [("index_terms", "seed article not found")]
    text = seed.read_text(encoding="utf-8")
    words = len(analysis.tokenise(text))
    caches = (
        analysis._token_keys,
        analysis.kk_keys,
        analysis.stem_ru,
        analysis.latin_keys,
        analysis.folded_stem_key,
    )
    rows = []
    for label, clear in (("cold caches", True), ("warm caches", False)):
        runs, start = 0, time.process_time()
        while time.process_time() - start < 1.0:
            if clear:
                for cached in caches:
                    cached.cache_clear()
            analysis.index_terms(text)
            runs += 1
        rate = runs * words / (time.process_time() - start)
        rows.append((f"index_terms, seed article, {label}", f"{rate:,.0f} words/s"))
    forms = [form for form, _ in kk_paradigms.noun_rows()]
    stripper = cyrillic_stripper()
    rate = words_per_second(stripper.keys, forms, budget=1.0)
    rows.append(
        (f"Kazakh keys, {len(forms):,} distinct paradigm forms, uncached", f"{rate:,.0f} words/s")
    )
    return rows


# --- the larger evaluation (tests/search/kk_paradigms.py) ----------------------------------


def paradigm_rows() -> list[tuple[str, ...]]:
    """Pair precision and recall on the generated paradigms, for a few methods."""
    rows = kk_paradigms.noun_rows()
    stripper2 = _stripper(2)
    methods: list[tuple[str, Callable[[], Keys]]] = [
        ("no stemming", lambda: lambda w: (w,)),
        ("first 5 letters", lambda: lambda w: (w[:5],)),
        ("hunspell-kk 1.1 via spylls (all stems)", _hunspell_kk),
        ("stripper 2, one key", lambda: lambda w: stripper2.keys(w, "one")),
        ("**kk_keys** (chosen)", lambda: analysis.kk_keys),
        ("index keys of a Kazakh line (+ Latin, Russian stems)", _index_line_keys),
    ]
    table = []
    for name, factory in methods:
        try:
            keys = factory()
        except Unavailable as exc:
            table.append((name, "–", "–", "–", str(exc)))
            continue
        precision, recall, true, met, false = kk_paradigms.pair_scores(rows, keys)
        per_word = sum(len(set(keys(form))) for form, _ in rows) / len(rows)
        table.append(
            (name, f"{precision:.4f}", f"{recall:.4f}", f"{per_word:.2f}", f"{false:,} false pairs")
        )
    lemmas = len({lemma for _, lemma in rows})
    print(f"generated paradigms: {len(rows):,} forms of {lemmas} lemmas, {true:,} true pairs")
    return table


def _index_line_keys() -> Keys:
    return lambda w: analysis.index_terms(w, "kk").split()


def labelled_rows() -> list[tuple[str, str]]:
    """Real forms that miss their lemma, and decoy pairs that meet (strict and doubtful)."""
    labelled = kk_paradigms.load_labelled()
    real = [(form, lemma) for form, lemma, note in labelled if note == "real"]
    missed = [
        form
        for form, lemma in real
        if set(analysis.kk_keys(form)).isdisjoint(analysis.kk_keys(lemma))
    ]
    strict = doubtful = strict_met = doubtful_met = 0
    met_examples = []
    for form, _lemma, note in labelled:
        if not note.startswith("decoy"):
            continue
        others = note.split(":", 1)[1] if ":" in note else note[len("decoy?") :]
        for other in others.split("(")[0].replace(",", " ").split():
            meets = not set(analysis.kk_keys(form)).isdisjoint(analysis.kk_keys(other))
            if note.startswith("decoy:"):
                strict += 1
                strict_met += meets
            else:
                doubtful += 1
                doubtful_met += meets
            if meets:
                met_examples.append(f"{form}~{other}")
    return [
        ("real forms meeting their lemma's bare form", f"{len(real) - len(missed)}/{len(real)}"),
        ("real forms missing it", ", ".join(missed) or "none"),
        ("decoy pairs (must not meet) that meet", f"{strict_met}/{strict}"),
        ("known homograph pairs (decoy?) that meet", f"{doubtful_met}/{doubtful}"),
        ("pairs that meet", ", ".join(met_examples) or "none"),
    ]


def verb_rows() -> list[tuple[str, str]]:
    rows = [
        (form, root)
        for root, infinitive, passive in kk_paradigms.load_verbs()
        for form in kk_paradigms.verb_forms(root, infinitive, passive)
    ]
    precision, recall, _true, _met, _false = kk_paradigms.pair_scores(rows, analysis.kk_keys)
    out = [(f"verb forms ({len(rows)} of 24 verbs), P / R", f"{precision:.3f} / {recall:.3f}")]
    reached = total = 0
    misses = []
    for root, infinitive, passive in kk_paradigms.load_verbs():
        noun = set(analysis.index_terms(infinitive, "kk").split())
        for form in sorted(kk_paradigms.verb_forms(root, infinitive, passive)):
            total += 1
            if set(analysis.query_terms(form)).isdisjoint(noun):
                misses.append(form)
            else:
                reached += 1
    out.append(
        ("a verb form's query finds its -у noun (қабылданды → қабылдау)", f"{reached}/{total}")
    )
    out.append(("examples that do not", ", ".join(misses[:12])))
    return out


RUSSIAN_FORMS = [
    ("окнами", "окно"),
    ("окна", "окно"),
    ("годами", "год"),
    ("годов", "год"),
    ("года", "год"),
    ("делами", "дело"),
    ("дела", "дел"),
    ("миров", "мир"),
    ("мира", "мир"),
    ("силами", "сила"),
    ("сил", "сила"),
    ("видами", "вид"),
    ("видов", "вид"),
    ("ходами", "ход"),
    ("ходов", "ход"),
    ("хода", "ход"),
    ("дома", "дом"),
    ("паролей", "пароль"),
]


def russian_rows() -> list[tuple[str, str]]:
    """Russian query forms against a Russian line holding the lemma, by the page's language."""
    out = []
    for page in ("ru", "kk", None):
        met = [
            query
            for query, lemma in RUSSIAN_FORMS
            if not set(analysis.query_terms(query, page)).isdisjoint(
                analysis.index_terms(f"В отчёте сказано: {lemma}.", "ru").split()
            )
        ]
        missed = [query for query, _ in RUSSIAN_FORMS if query not in met]
        label = f"page language {page}" if page else "no page language"
        out.append(
            (label, f"{len(met)}/{len(RUSSIAN_FORMS)} meet; missed: {', '.join(missed) or 'none'}")
        )
    return out


def latin_paradigm_rows() -> list[tuple[str, str]]:
    rows = kk_paradigms.noun_rows()[::20]
    reached = sum(
        not set(
            analysis.query_terms(analysis.fold_latin(analysis.cyrillic_to_latin(form)))
        ).isdisjoint(analysis.index_terms(lemma, "kk").split())
        for form, lemma in rows
    )
    return [
        (
            "Latin (typed without diacritics) form → its lemma's Cyrillic bare form",
            f"{reached}/{len(rows)} ({reached / len(rows):.3f})",
        )
    ]


def latin_rows(rows: list[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    """How Latin queries meet Cyrillic documents: two ways, as reach counts."""
    forms = [r[0] for r in rows]
    lemmas = [r[1] for r in rows]
    typed = [analysis.fold_latin(analysis.cyrillic_to_latin(f)) for f in forms]
    exact = [analysis.cyrillic_to_latin(f) for f in forms]
    doc_keys = [set(analysis.index_terms(f, "kk").split()) for f in forms]

    def reach(query_forms: list[str], keys: Keys) -> str:
        same = hit = wrong = predicted = 0
        for i, q in enumerate(query_forms):
            qk = set(keys(q))
            for j in range(len(forms)):
                met = not qk.isdisjoint(doc_keys[j])
                if lemmas[i] == lemmas[j]:
                    same += 1
                    hit += met
                elif met:
                    wrong += 1
                predicted += met
        precision = (predicted - wrong) / predicted if predicted else 1.0
        return f"P {precision:.2f} R {hit / same:.2f}"

    def via_cyrillic(q: str) -> tuple[str, ...]:
        return analysis.kk_keys(analysis.normalise(analysis.latin_to_cyrillic(q)))

    round_trip = sum(analysis.latin_to_cyrillic(t) == f for t, f in zip(typed, forms, strict=True))
    return [
        ("typed without diacritics, folded keys (query_terms)", reach(typed, analysis.query_terms)),
        (
            "2021 spelling with diacritics, folded keys (query_terms)",
            reach(exact, analysis.query_terms),
        ),
        ("typed without diacritics, latin_to_cyrillic then stem_kk", reach(typed, via_cyrillic)),
        ("latin_to_cyrillic(typed) == Cyrillic form", f"{round_trip}/{len(forms)}"),
    ]


def headword_merges() -> list[tuple[str, str]]:
    """How often distinct hunspell-kk headwords end up sharing a key.

    Not a precision (the dictionary lists derived and some inflected words as
    headwords of their own, and those should meet), but a check over 54,000
    words that a setting does not start merging unrelated words.
    """
    dic = HUNSPELL_KK.with_suffix(".dic")
    if not dic.exists():
        return [("hunspell-kk headwords", "not installed (apt-get install hunspell-kk)")]
    words = sorted(
        {
            analysis.normalise(line.split("/")[0].strip())
            for line in dic.read_text(encoding="utf-8").splitlines()[1:]
            if line.split("/")[0].strip().isalpha()
        }
    )
    stripper2, stripper3 = _stripper(2), _stripper(3)
    settings = [
        ("first 5 letters", lambda w: (w[:5],)),
        ("stripper, min stem 3, one key", lambda w: stripper3.keys(w, "one")),
        ("stripper, min stem 2, one key", lambda w: stripper2.keys(w, "one")),
        ("stripper 2, doubtful cut: + next reading (chosen)", stripper2.keys),
        ("stripper 2, doubtful cut: + all readings", lambda w: stripper2.keys(w, "doubtful-all")),
    ]
    rows = [("hunspell-kk headwords", f"{len(words):,}")]
    for name, keys in settings:
        by_key: dict[str, set[str]] = {}
        for word in words:
            for key in set(keys(word)):
                by_key.setdefault(key, set()).add(word)
        merged = set().union(*(ws for ws in by_key.values() if len(ws) > 1))
        rows.append((name, f"{len(merged) / len(words):.1%} of headwords share a key"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    rows = load_wordlist()
    forms = [r[0] for r in rows]
    lemmas = [r[1] for r in rows]
    print(f"word list: {len(forms)} forms of {len(set(lemmas))} lemmas")
    header = ("method", "P", "R", "words/s", "decoys met", "keys/word", "note")
    table: list[tuple[str, ...]] = []
    for name, factory in candidates():
        try:
            keys = factory()
        except Unavailable as exc:
            table.append((name, "–", "–", "–", "–", "–", str(exc)))
            continue
        precision, recall, _, _ = pair_scores(forms, lemmas, keys)
        speed = words_per_second(keys, forms, budget=0.3 if "hunspell" in name else 0.5)
        per_word = sum(len(set(keys(f))) for f in forms) / len(forms)
        met = ", ".join(decoys_met(keys)) or "none"
        table.append(
            (name, f"{precision:.3f}", f"{recall:.3f}", f"{speed:,.0f}", met, f"{per_word:.2f}", "")
        )
    _print(header, table, args.markdown)
    print()
    _print(("Latin query → Cyrillic document", "result"), latin_rows(rows), args.markdown)
    print()
    _print(("large-vocabulary check", "result"), headword_merges(), args.markdown)
    print()
    _print(
        ("generated paradigms: method", "P", "R", "keys/word", "note"),
        paradigm_rows(),
        args.markdown,
    )
    print()
    _print(("hand-labelled forms and decoys", "result"), labelled_rows(), args.markdown)
    print()
    _print(("Latin keys on the paradigms", "result"), latin_paradigm_rows(), args.markdown)
    print()
    _print(("verbs", "result"), verb_rows(), args.markdown)
    print()
    _print(("Russian query forms", "result"), russian_rows(), args.markdown)
    print()
    _print(("speed (CPU time of this process)", "result"), throughput(), args.markdown)


def _print(header: tuple[str, ...], table: list[tuple[str, ...]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in table:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(r[i])) for r in (header, *table)) for i in range(len(header))]
    for row in (header, *table):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
