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
