"""Kazakh alphabetical order that any database can sort by.

Neither SQLite nor a default PostgreSQL orders Ә after А or Ұ after У; code
points put every Kazakh-only letter after Я. A sort key maps each letter of the
Kazakh Cyrillic alphabet to a private-use character in alphabet order, so a
plain binary ``ORDER BY sort_key`` gives the order a Kazakh reader expects.
"""

import re
import unicodedata

KAZAKH_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_FIRST_PRIVATE = 0xE000
_KEY = {letter: chr(_FIRST_PRIVATE + position) for position, letter in enumerate(KAZAKH_ALPHABET)}


def kazakh_sort_key(text: str, max_length: int = 255) -> str:
    """Case-insensitive key; quotes and punctuation do not count, digits sort first."""
    folded = unicodedata.normalize("NFC", text).casefold()
    key = "".join(_KEY.get(char, char) for char in folded if char.isalnum() or char == " ")
    return " ".join(key.split())[:max_length]


_DIGITS = 10
_PIECES = re.compile(r"(\d+)|([^\W\d_]+)|[\W_]+")


def natural_sort_key(text: str, max_length: int = 100) -> str:
    """A key that orders numbers within text by value: «02-Ш/9» before «02-Ш/10».

    Each run of digits is zero-padded to a fixed width, letters follow Kazakh
    alphabetical order (as in ``kazakh_sort_key``) and any run of punctuation
    counts as one separator, which sorts before digits and letters.
    """
    pieces = []
    for digits, letters in (
        match.groups() for match in _PIECES.finditer(unicodedata.normalize("NFC", text))
    ):
        if digits:
            pieces.append(digits.lstrip("0").rjust(_DIGITS, "0"))
        elif letters:
            pieces.append("".join(_KEY.get(char, char) for char in letters.casefold()))
        else:
            pieces.append(" ")
    return "".join(pieces).strip()[:max_length]
