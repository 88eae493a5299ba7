"""Small text helpers shared by search, sorting and validation."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case without accents: "Peña Núñez" -> "pena nunez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Folded alphanumeric tokens; hyphens and apostrophes split ("Jean-Baptiste" -> 2)."""
    return [tok for tok in _NON_ALNUM.split(fold(text)) if tok]


def clean_spaces(text: str) -> str:
    return " ".join(text.split())


def alnum_upper(text: str) -> str:
    """Only letters and digits, upper case: document numbers as people type them."""
    return "".join(c for c in fold(text) if c.isalnum()).upper()
