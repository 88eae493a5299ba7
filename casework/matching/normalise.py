"""Normalisation of names, documents and phones for matching (dedupe.md §4.1, §4.2, §5).

Everything here is pure and deterministic; the matcher stores nothing but what these
functions derive from the fields as typed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "PARTICLES",
    "is_valid_rut",
    "name_tokens",
    "normalise_document",
    "normalise_name",
    "normalise_phone",
    "phon_form",
    "rut_dv",
    "skeleton",
    "strip_accents",
]

# Particles are kept for display but dropped from the matching tokens (dedupe.md §4.1 step 3).
PARTICLES: frozenset[str] = frozenset(
    {
        "de",
        "del",
        "la",
        "las",
        "los",
        "y",
        "e",
        "da",
        "das",
        "do",
        "dos",
        "di",
        "van",
        "von",
        "san",
        "santa",
    }
)

_NON_LETTER = re.compile(r"[^a-z0-9]+")
_NON_ALNUM_UPPER = re.compile(r"[^A-Z0-9]+")
_NON_DIGIT = re.compile(r"[^0-9]+")


def strip_accents(text: str) -> str:
    """NFKD and drop combining marks: "Pérez" -> "Perez", "Muñoz" -> "Munoz"."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def _raw_tokens(text: str) -> tuple[str, ...]:
    """Lower-case, accent-free tokens; any non-alphanumeric run (hyphen, apostrophe, dot) splits."""
    return tuple(t for t in _NON_LETTER.split(strip_accents(text).lower()) if t)


@lru_cache(maxsize=65536)
def name_tokens(text: str) -> tuple[str, ...]:
    """Matching tokens of a name field: particles dropped unless nothing else is left.

    >>> name_tokens("María de los Ángeles")
    ('maria', 'angeles')
    >>> name_tokens("Jean-Baptiste")
    ('jean', 'baptiste')
    """
    raw = _raw_tokens(text)
    kept = tuple(t for t in raw if t not in PARTICLES)
    return kept if kept else raw


def normalise_name(text: str) -> str:
    """Matching form of a name field: lower case, no accents, hyphens and punctuation as spaces,
    particles (de, del, de la, los, y, ...) dropped, whitespace collapsed.

    >>> normalise_name("  De la Cruz ")
    'cruz'
    >>> normalise_name("Jean-Baptiste")
    'jean baptiste'
    """
    return " ".join(name_tokens(text))


def particle_joined(text: str) -> str:
    """All tokens including particles, joined without spaces: "De la Cruz" -> "delacruz".

    Lets a surname typed run together ("Delacruz") still agree with the spaced form.
    """
    return "".join(_raw_tokens(text))


# --------------------------------------------------------------------------------------------
# Phonetic key for Spanish / Latin-American / Haitian names (dedupe.md §4.2).
# Rules apply in order to a lower-case, accent-free token. Upper-case placeholders stop later
# rules from firing again; everything is lower-cased at the end.

_PHON_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"^(?:gu|hu)(?=[ao])", "U"),  # Guamán / Huamán, Guadalupe
        (r"[cs]h", "X"),  # ch / sh
        (r"ph", "f"),
        (r"th", "t"),
        (r"h", ""),  # silent h (Jhon, Yhoana, Hernández -> ernandes)
        (r"qu(?=[ei])", "K"),
        (r"gu(?=[ei])", "G"),
        (r"q", "K"),
        (r"c(?=[ei])", "s"),
        (r"c", "K"),
        (r"k", "K"),
        (r"z", "s"),
        (r"g(?=[ei])", "J"),
        (r"j", "J"),
        (r"^x(?=[aeiou])", "J"),  # Ximena, Xavier
        (r"x", "Ks"),
        (r"v", "b"),
        (r"w", "u"),
        (r"ll", "y"),
        (r"y(?![aeiou])", "i"),  # Nathaly, Yeimy, Kevyn
        (r"^y(?=[aeiou])", "J"),  # Yeison / Jeison, Yorman / Jorman, Yohana / Johana
        (r"^es(?=[^aeiou])", "s"),  # Estefanía ~ Stefany
    )
)
_DOUBLE = re.compile(r"(.)\1+")
_VOWELS = frozenset("aeiou")


@lru_cache(maxsize=65536)
def phon_form(token: str) -> str:
    """Phonetic form of one normalised token, vowels kept (precise: used for decisions).

    >>> phon_form("yessenia") == phon_form("yesenia")
    True
    >>> phon_form("jhon") == phon_form("john")
    True
    >>> phon_form("hernandez") == phon_form("fernandez")
    False
    """
    out = token
    for pattern, repl in _PHON_RULES:
        out = pattern.sub(repl, out)
    out = out.lower()
    return _DOUBLE.sub(r"\1", out)


@lru_cache(maxsize=65536)
def skeleton(token: str) -> str:
    """Coarse phonetic key: first sound plus consonants, doubles collapsed (blocking only).

    >>> skeleton("gonzalez"), skeleton("gonsales")
    ('gnsls', 'gnsls')
    """
    phon = phon_form(token)
    if not phon:
        return ""
    out = phon[0] + "".join(ch for ch in phon[1:] if ch not in _VOWELS)
    return _DOUBLE.sub(r"\1", out)


# --------------------------------------------------------------------------------------------
# Documents (dedupe.md §5).

RUT_LIKE_TYPES: frozenset[str] = frozenset({"run", "rut", "ipe", "ipa", "run_provisorio"})


def rut_dv(body: int) -> str:
    """Chilean RUT/RUN check digit (módulo 11), weights 2..7 repeating from the right."""
    total, weight = 0, 2
    for digit in reversed(str(body)):
        total += int(digit) * weight
        weight = 2 if weight == 7 else weight + 1
    rest = 11 - total % 11
    return "0" if rest == 11 else "K" if rest == 10 else str(rest)


def _split_rut(number: str) -> tuple[str, str] | None:
    compact = _NON_ALNUM_UPPER.sub("", strip_accents(number).upper())
    if len(compact) < 2 or not compact[:-1].isdigit() or compact[-1] not in "0123456789K":
        return None
    body = compact[:-1].lstrip("0")
    if not body:
        return None
    return body, compact[-1]


def is_valid_rut(number: str) -> bool:
    """True when `number` (typed with or without dots, dash, spaces, lower-case k) has a
    correct check digit."""
    parts = _split_rut(number)
    return parts is not None and len(parts[0]) <= 9 and rut_dv(int(parts[0])) == parts[1]


def normalise_document(type_key: str, number: str) -> str:
    """Canonical number for comparison and blocking.

    - RUN / RUT (and the RUT-like provisional numbers): dots, dashes and spaces stripped, K
      upper-cased, leading zeros dropped, written "body-DV": "12.345.678-5" -> "12345678-5".
      The check digit is *not* enforced here: an invalid DV is a typing error to compare, not a
      reason to drop the number (see `is_valid_rut`).
    - national_id: digits only when there are at least five ("V-12.345.678" -> "12345678",
      "1234567 LP" -> "1234567"); desks type the country prefix or a department suffix or not.
    - passports and anything else: upper-case letters and digits only.
    """
    kind = type_key.strip().lower()
    if kind in RUT_LIKE_TYPES:
        parts = _split_rut(number)
        if parts is not None:
            return f"{parts[0]}-{parts[1]}"
    compact = _NON_ALNUM_UPPER.sub("", strip_accents(number).upper())
    if kind == "national_id":
        digits = _NON_DIGIT.sub("", compact)
        if len(digits) >= 5:
            return digits.lstrip("0") or digits
    return compact


def normalise_phone(number: str) -> str:
    """Last eight digits of a phone number ("" when fewer than seven digits were typed).

    Chilean mobiles are +56 9 XXXX XXXX; the last eight digits survive every way desks type them.
    """
    digits = _NON_DIGIT.sub("", number)
    if len(digits) < 7:
        return ""
    return digits[-8:]
