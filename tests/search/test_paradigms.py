"""The larger Kazakh evaluation: generated paradigms of 400+ lemmas, real forms, decoys, verbs.

The lemmas come from the project's own Kazakh text (tests/search/data/kk_lemmas.tsv
says which); ``tests/search/kk_paradigms.py`` spells every form from the grammar,
independently of ``search.kk_suffixes``. Two forms match when their key sets meet,
as a query meets the index. The figures are printed by ``benchmarks/stemmers.py``
and kept in docs/kazakh-search.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search.analysis import (
    cyrillic_to_latin,
    fold_latin,
    index_terms,
    kk_keys,
    query_terms,
    tokenise,
)
from tests.search import kk_paradigms as kp

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "seed": [ROOT / "home" / "demo_data" / "seed-article-kk.txt"],
    "glossary": [Path("/work/shared/reference/GLOSSARY.md"), ROOT / "docs"],
    "ui": [
        ROOT / "locale" / "kk" / "LC_MESSAGES" / "django.po",
        ROOT / "home" / "demo.py",
        ROOT / "docs_library" / "demo.py",
        ROOT / "docs",
    ],
}

# Measured on 40,239 forms of 430 lemmas (benchmarks/stemmers.py): precision
# 0.9986, recall 0.983 (analyser version 2 had 0.9943 / 0.834). The issue's
# target is recall ≥ 0.95 at precision ≥ 0.98.
MIN_PRECISION = 0.995
MIN_RECALL = 0.975


@pytest.fixture(scope="module")
def noun_rows():
    return kp.noun_rows()


def _source_words(paths: list[Path]) -> set[str]:
    words: set[str] = set()
    for path in paths:
        files = sorted(path.rglob("*.md")) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                words.update(tokenise(file.read_text(encoding="utf-8")))
    return words


def test_the_lemma_list_is_large_and_taken_from_the_project_texts():
    lemmas = kp.load_lemmas()
    assert len({lemma for lemma, _, _ in lemmas}) >= 400
    by_source: dict[str, list[str]] = {}
    for lemma, _flags, source in lemmas:
        by_source.setdefault(source, []).append(lemma)
    assert len(by_source["seed"]) + len(by_source["ui"]) + len(by_source["glossary"]) >= 180
    for source, paths in SOURCES.items():
        words = _source_words(paths)
        if not words:
            continue  # the shared reference is not there: nothing to check against
        # Every lemma said to come from a text occurs there in some form: a word
        # that starts with its stem (before п/к/қ voicing and a last vowel).
        stems = {lemma: lemma[:-1] if len(lemma) > 3 else lemma for lemma in by_source[source]}
        missing = [
            lemma for lemma, stem in stems.items() if not any(w.startswith(stem) for w in words)
        ]
        assert not missing, (source, missing)


def test_paradigms_hold_every_person_case_and_alternation():
    forms = kp.paradigm("кітап")
    for form in (
        "кітаптар",  # plural
        "кітабым",  # 1sg, п → б
        "кітабың",  # 2sg
        "кітабыңыз",  # 2sg polite
        "кітабы",  # 3rd
        "кітабымыз",  # 1pl
        "кітаптарың",  # 2pl
        "кітаптарыңыз",  # 2pl polite
        "кітаптың",  # genitive
        "кітапты",  # accusative
        "кітапқа",  # dative
        "кітапта",  # locative
        "кітаптан",  # ablative
        "кітаппен",  # instrumental
        "кітабымның",  # 1sg + gen
        "кітабыма",  # 1sg + bare dative
        "кітабының",  # 3rd + pronominal н
        "кітабындағы",
        "кітабымыздың",
        "кітабындай",
    ):
        assert form in forms, form
    assert "партиясының" in kp.paradigm("партия")
    assert "мүшелеріміз" in kp.paradigm("мүше")
    assert "жүрегіңдегі" in kp.paradigm("жүрек")
    assert {"халқы", "халқымыздың", "халықтың"} <= kp.paradigm("халық", frozenset({"drop"}))
    assert len(kp.paradigm("кітап")) > 90


def test_generated_paradigms_pair_precision_and_recall(noun_rows):
    assert len(noun_rows) > 35_000
    precision, recall, true, _met, _false = kp.pair_scores(noun_rows, kk_keys)
    assert true > 1_500_000
    assert precision >= MIN_PRECISION, precision
    assert recall >= MIN_RECALL, recall


def test_real_forms_meet_their_lemma():
    rows = [(form, lemma) for form, lemma, note in kp.load_labelled() if note == "real"]
    assert len(rows) >= 250
    missed = [
        (form, lemma)
        for form, lemma in rows
        if set(kk_keys(form)).isdisjoint(kk_keys(lemma))
        and not any(
            set(kk_keys(form)) & set(kk_keys(other)) for other, same in rows if same == lemma
        )
    ]
    assert not missed, missed


def _decoy_pairs() -> list[tuple[str, str]]:
    """(form, other lemma) for every decoy row that names what it must not meet."""
    pairs = []
    for form, _lemma, note in kp.load_labelled():
        if note.startswith("decoy:"):
            for other in re.split(r"[ ,]+", note.split(":", 1)[1].split("(")[0].strip()):
                if other:
                    pairs.append((form, other))
    return pairs


@pytest.mark.parametrize(("form", "other"), _decoy_pairs())
def test_decoys_meet_no_form_of_the_other_word(form, other):
    """хатшы is not хат, кеңес is not кең, тұтқа is not тұтқын, жылу is not жыл."""
    assert form != other
    labelled = [f for f, lemma, _ in kp.load_labelled() if lemma == other]
    flags = {lemma: flags for lemma, flags, _ in kp.load_lemmas()}
    # The other word's bare, plural, case, 3rd-person and 1st plural forms; the
    # 1st/2nd singular ones are homographs of verb persons often enough
    # (бала-мыз / бал-амыз) to be measured in the pair figures instead.
    generated = sorted(kp.paradigm(other, flags[other], common=True)) if other in flags else []
    for other_form in {other, *labelled, *generated}:
        assert set(kk_keys(form)).isdisjoint(kk_keys(other_form)), (form, other_form)


def test_latin_queries_meet_the_cyrillic_paradigm(noun_rows):
    """A Latin query typed without diacritics meets its lemma's Cyrillic forms."""
    sample = noun_rows[::40]
    misses = 0
    for form, lemma in sample:
        typed = fold_latin(cyrillic_to_latin(form))
        if set(query_terms(typed)).isdisjoint(index_terms(lemma, "kk").split()):
            misses += 1
    # Measured: 962 of 1,006 reach their lemma's bare form (0.956).
    assert misses / len(sample) <= 0.06, misses / len(sample)


@pytest.mark.parametrize(
    ("query", "document"),
    [
        ("partiyamyzdyn", "партиямыздың"),
        ("partiiamyzdyn", "партия"),
        ("uiymymyzga", "ұйым"),
        ("halqymyzdyn", "халық"),
        ("jobamyzdagy", "жоба"),
        ("hatshymnyn", "хатшы"),
        ("akimdigi", "әкімдік"),
    ],
)
def test_latin_keys_keep_in_step(query, document):
    assert not set(query_terms(query)).isdisjoint(index_terms(document, "kk").split())


# --- verbs ---------------------------------------------------------------------------


def test_verb_forms_pair_precision_and_recall():
    rows = [
        (form, root)
        for root, infinitive, passive in kp.load_verbs()
        for form in kp.verb_forms(root, infinitive, passive)
    ]
    assert len(rows) > 500
    precision, recall, _true, _met, _false = kp.pair_scores(rows, kk_keys)
    # Measured on 552 forms of 24 verbs: precision 1.000, recall 0.915 (0.719
    # before the passive was read).
    assert precision >= 0.99, precision
    assert recall >= 0.9, recall


@pytest.mark.parametrize(
    ("query", "document"),
    [
        # a query in a verb form finds the -у noun a party text names the act by
        ("қабылданды", "қабылдау"),
        ("қабылдау", "Шешім қабылданды."),
        ("бекітілді", "бекіту"),
        ("бекіту", "Жоспар бекітілген."),
        ("жіберілді", "жіберу"),
        ("талқыланды", "талқылау"),
        ("бағаланады", "бағалау"),
        ("өтті", "өту"),
        ("жариялады", "жариялау"),
        ("тексеріледі", "тексеру"),
    ],
)
def test_a_verb_form_finds_its_verbal_noun(query, document):
    assert not set(query_terms(query)).isdisjoint(index_terms(document, "kk").split())


@pytest.mark.parametrize(
    ("query", "document"),
    [
        ("қалады", "қала"),  # stays / city
        ("жылу", "жыл"),  # warmth / year
        ("шешті", "шешім"),  # untied / decision
        ("білді", "білім"),  # knew / knowledge
    ],
)
def test_verb_readings_do_not_reach_other_words(query, document):
    assert set(query_terms(query)).isdisjoint(index_terms(document, "kk").split())
