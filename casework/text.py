"""Small text helpers shared by search, sorting and validation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

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
    letters swapped ("jhon"/"john"): an optimal string alignment distance of exactly 1, as
    the matcher measures names (rapidfuzz)."""
    return bool(OSA.distance(a, b, score_cutoff=1) == 1)
