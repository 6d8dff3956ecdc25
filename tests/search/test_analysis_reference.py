"""Speeding up the analysis must not move a single key.

``data/analysis_reference.json`` holds texts and what ``normalise``,
``tokenise``, ``index_terms`` and ``indexing._analysed`` returned for them when
it was written (analyser version 3, before the analysis was made faster). Any
change of output fails here, however it came about; a change meant to alter the
keys moves ``ANALYSER_VERSION`` and writes the file again:
``SANDYQ_WRITE_ANALYSIS_REFERENCE=1 .venv/bin/pytest -n 0 tests/search/test_analysis_reference.py``.

The texts: the demo articles whole and line by line, the Kazakh word list
joined three ways (one paragraph, one form a line, one form a block, so each
path of line and block language detection is taken), and the edge cases the
tokeniser and the normaliser care about.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from search import analysis, indexing

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path(__file__).parent / "data" / "analysis_reference.json"
LANGUAGES = (None, "kk", "ru", "en", "und")

EDGE_CASES = [
    "Aлмaты Алматы AЛMATЫ aлматы Almaty",  # Latin look-alikes inside Cyrillic words
    "paрtия пapтия ПAPTИЯ Қaзaқстан KAZAKHСТАН",  # mostly Latin, mostly Cyrillic
    "ҚазақстанKZ Kazakhstanда ВКО-ның Nur-Otan",
    "құ\u00adжат құ\u200bжат\u200c құ\u200dжат \u2060сөз\ufeff",  # soft hyphen, zero widths
    "ёлка Ёлка ЁЛКА ещё",
    "İstanbul İSTANBUL Iİıi ǅ ß ﬁle",  # casefold's surprises
    "докуме́нт докуме\u0301нты а\u0300б Ә\u0306",  # combining stress marks
    "ə Ə ӈ Ӈ \u04d9 \u04d8 ә Ә",  # schwa and hooked en
    "№ 02-05/117, № 02/05/117 от 12.03.2024 г., исх. 7-қ/2024, 3.14 1/2 a-1 1-a",
    "қарым-қатынас, бас-аяғы, 2024жылы, 2024-жылы, ab12cd34, 12ab, ab_12, __x__",
    "٣٤ ²³ ½ Ⅻ ① 𝟙𝟚 ١٢-٣٤",  # digits that are not ASCII
    "Café naïve Qūjattardy qūjat ÄĞIÑÖŞŪÜ äğıñöşūü shch zhi",
    "Ελληνικά 中文 עברית العربية हिन्दी Ölçü",
    "a" * 70 + " " + "б" * 70 + " " + "1" * 70 + " " + "а-" * 40 + "1",
    "x" + "б" * 66 + " б" + "x" * 66,  # look-alike repair past the 64-character cut
    "Партиямыздың құжаттары № 02-05/117.\n\nРешение принято.\n \nДокументы\tпартии\r\nОК",
    "\n\n\n",
    "",
    " ",
    "...---///",
    "а",
    "Сәлем\u2028мир\u2029ok\x0bok\x0cok\x1cok\x85ok",  # what splitlines splits on
]


#: Letters and marks the analysis treats specially, for texts made at random.
ALPHABET = (
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯӘҒҚҢӨҰҮҺІ"
    "abcdehikmnopqrstuxyzäğıñöşūüİIəƏӈ0123456789٣²"
    "      \n\n\t-/._№,«»()\u00ad\u200b\u0301\u0300ßﬁ"
)


def _random_texts(count: int, length: int) -> list[str]:
    """Texts of the characters above, from a generator whose output never changes."""
    state = 20260401
    texts = []
    for _ in range(count):
        chars = []
        for _ in range(length):
            state = (state * 1103515245 + 12345) % 2**31
            chars.append(ALPHABET[state % len(ALPHABET)])
        texts.append("".join(chars))
    return texts


def _texts() -> list[str]:
    texts = []
    for language in ("kk", "ru"):
        article = (ROOT / "home" / "demo_data" / f"seed-article-{language}.txt").read_text(
            encoding="utf-8"
        )
        texts.append(article)
        texts += [line for line in article.splitlines() if line.strip()]
    forms = []
    for line in (
        (ROOT / "tests" / "search" / "data" / "kk_wordlist.tsv")
        .read_text(encoding="utf-8")
        .splitlines()
    ):
        if line.strip() and not line.startswith("#"):
            forms.append(line.split("\t")[0])
    texts += [" ".join(forms), "\n".join(forms), "\n\n".join(forms)]
    return texts + EDGE_CASES + _random_texts(12, 1500)


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()


#: Outputs of longer texts are kept as digests, so the file stays small; rewrite
#: the file from the old code and diff it to see what moved.
LONG_TEXT = 1000


def _outputs(text: str) -> dict:
    outputs = {
        "normalise": analysis.normalise(text),
        "tokenise": analysis.tokenise(text),
        "index_terms": {str(lang): analysis.index_terms(text, lang) for lang in LANGUAGES},
    }
    if len(text) > LONG_TEXT:
        return {name: _digest(value) for name, value in outputs.items()}
    return json.loads(json.dumps(outputs))


def _case(text: str) -> dict:
    if len(text) > LONG_TEXT:
        return {"text_sha256": hashlib.sha256(text.encode()).hexdigest(), **_outputs(text)}
    return {"text": text, **_outputs(text)}


def _analysed_cases(texts: list[str]) -> list[tuple[str, str, str]]:
    """(title, body, language) triples, as pages hand them to ``_analysed``."""
    article = texts[0]
    cases = [
        ("Жиналыс хаттамасы\n02-05/117\nпартия құжат", article, "kk"),
        ("Решение бюро", texts[len(texts) // 2], "ru"),
        ("Aлмaты филиалы\nАлматинский филиал", "\n\n".join(EDGE_CASES), ""),
        ("", "", ""),
    ]
    # Long enough to be cut to the tsvector budget: the loop runs more than once.
    cases.append(("Ұзын мәтін", (article + "\n\n") * 400, "kk"))
    return cases


def _analysed_outputs(cases) -> list[dict]:
    indexing._analysed.cache_clear()
    outputs = []
    for title, body, language in cases:
        result = indexing._analysed(title, body, language)
        outputs.append(
            {
                "title": title,
                "body_sha256": hashlib.sha256(body.encode()).hexdigest(),
                "language": language,
                # The long case's keys are kept as a digest: the file stays small.
                "result": result if len(body) < 20_000 else _digest(result),
            }
        )
    return outputs


def _build() -> dict:
    texts = _texts()
    return {
        "analyser_version": analysis.ANALYSER_VERSION,
        "texts": [_case(text) for text in texts],
        "analysed": _analysed_outputs(_analysed_cases(texts)),
    }


@pytest.fixture(scope="module")
def reference() -> dict:
    if os.environ.get("SANDYQ_WRITE_ANALYSIS_REFERENCE"):
        REFERENCE.write_text(
            json.dumps(_build(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
        )
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def test_the_reference_is_of_this_analyser_version(reference):
    assert reference["analyser_version"] == analysis.ANALYSER_VERSION


def test_normalise_tokenise_and_index_terms_give_the_reference_outputs(reference):
    texts = _texts()
    assert len(reference["texts"]) == len(texts) > 30
    for case, text in zip(reference["texts"], texts, strict=True):
        assert _case(text) == case, text[:200]


def test_page_analysis_gives_the_reference_columns(reference):
    cases = _analysed_cases(_texts())
    expected = reference["analysed"]
    assert len(expected) == len(cases)
    for case, (title, body, language) in zip(expected, cases, strict=True):
        assert (case["title"], case["language"]) == (title, language)
        assert case["body_sha256"] == hashlib.sha256(body.encode()).hexdigest()
        result = indexing._analysed(title, body, language)
        got = json.loads(json.dumps(result if len(body) < 20_000 else _digest(result)))
        assert got == case["result"], title


def test_a_word_of_two_scripts_is_never_missed():
    """The fast test for look-alike repair agrees with its plain definition: a
    Cyrillic letter beside a letter of another script."""
    plain = re.compile(r"[\u0400-\u052f][^\W\d_\u0400-\u052f]|[^\W\d_\u0400-\u052f][\u0400-\u052f]")
    letters = "абвәaбxz1 -\n{²_٣,ä҂\u0483.İ"
    state = 7
    for _ in range(30_000):
        state = (state * 1103515245 + 12345) % 2**31
        size = state % 10
        text = ""
        for _ in range(size):
            state = (state * 1103515245 + 12345) % 2**31
            text += letters[(state >> 8) % len(letters)]
        assert analysis._needs_repair(text) == (plain.search(text) is not None), text
