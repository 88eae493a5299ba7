"""Small text helpers shared by search, sorting and validation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


@lru_cache(maxsize=32768)
def fold(text: str) -> str:
    """Lower case without accents: "Peña Núñez" -> "pena nunez". Names repeat a lot (a
    search, a bulk load): the answers are remembered."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Folded alphanumeric tokens; hyphens and apostrophes split ("Jean-Baptiste" -> 2)."""
    return [tok for tok in _NON_ALNUM.split(fold(text)) if tok]


def clean_spaces(text: str) -> str:
    return " ".join(text.split())


def alnum_upper(text: str) -> str:
    """Only letters and digits, upper case: document numbers as people type them."""
    return _NOT_LETTER_OR_DIGIT.sub("", fold(text)).upper()


def deletions(word: str) -> set[str]:
    """The word with one letter left out, each way: "john" -> {"ohn", "jhn", "jon", "joh"}."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with one letter changed, added or left out, or two neighbouring
    letters swapped ("jhon"/"john"); False when equal or further apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
