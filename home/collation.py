"""Kazakh alphabetical order that any database can sort by.

Neither SQLite nor a default PostgreSQL orders Ә after А or Ұ after У; code
points put every Kazakh-only letter after Я. A sort key maps each letter of the
Kazakh Cyrillic alphabet to a private-use character in alphabet order, so a
plain binary ``ORDER BY sort_key`` gives the order a Kazakh reader expects.
"""

import unicodedata

KAZAKH_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_FIRST_PRIVATE = 0xE000
_KEY = {letter: chr(_FIRST_PRIVATE + position) for position, letter in enumerate(KAZAKH_ALPHABET)}


def kazakh_sort_key(text: str, max_length: int = 255) -> str:
    """Case-insensitive key; quotes and punctuation do not count, digits sort first."""
    folded = unicodedata.normalize("NFC", text).casefold()
    key = "".join(_KEY.get(char, char) for char in folded if char.isalnum() or char == " ")
    return " ".join(key.split())[:max_length]
