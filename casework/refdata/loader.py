"""The one loader of reference data: read a file (an office override or the shipped copy),
parse CSV/TOML, cache the result, and the checks every list shares.

Each list module builds its records with these helpers; :func:`reload` forgets every
cache registered with :func:`cached`. A broken file raises ``ValueError`` naming the
file (and the entry) and the problem.
"""

from __future__ import annotations

import csv
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final, TypeVar

OVERRIDE_ENV: Final = "CASEWORK_REFDATA_DIR"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Code:
    """One entry of a small code list; ``code`` is an external code (MINSAL, FHIR) if any."""

    key: str
    name_es: str
    name_en: str
    code: str = ""


# --------------------------------------------------------------------------- caching

_CACHE_CLEARS: list[Callable[[], None]] = []


def cached(fn: Callable[[], T]) -> Callable[[], T]:
    """``functools.cache`` for a loader; :func:`reload` clears it."""
    wrapped = cache(fn)
    _CACHE_CLEARS.append(wrapped.cache_clear)
    return wrapped


def reload() -> None:
    """Forget every cached file (after editing data or changing CASEWORK_REFDATA_DIR)."""
    for clear in _CACHE_CLEARS:
        clear()


# --------------------------------------------------------------------------- files


def override_dir() -> Path | None:
    value = os.environ.get(OVERRIDE_ENV, "").strip()
    return Path(value) if value else None


def shipped(*parts: str) -> Traversable:
    node: Traversable = resources.files("casework") / "data"
    for part in parts:
        node = node / part
    return node


def read_text(*parts: str) -> str:
    override = override_dir()
    if override is not None:
        candidate = override.joinpath(*parts)
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return shipped(*parts).read_text(encoding="utf-8")


def read_csv(name: str) -> list[dict[str, str]]:
    lines = [ln for ln in read_text(name).splitlines() if ln.strip() and not ln.startswith("#")]
    rows: list[dict[str, str]] = []
    for row in csv.DictReader(lines):
        rows.append({(k or "").strip(): (v or "").strip() for k, v in row.items()})
    return rows


def parse_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def read_toml(*parts: str) -> dict[str, Any]:
    return parse_toml(read_text(*parts), "/".join(parts))


def reviewed_on(name: str) -> date | None:
    """``last_reviewed`` of a data file (``"communes.csv"``, ``"routes/refuge.toml"``)."""
    text = read_text(*name.split("/"))
    match = re.search(r"last_reviewed\s*=\s*(\d{4}-\d{2}-\d{2})", text)
    return date.fromisoformat(match.group(1)) if match else None


# --------------------------------------------------------------------------- fields


def aliases(value: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in value.split("|") if a.strip())


def as_bool(value: str) -> bool:
    return fold(value) in {"true", "1", "yes", "si", "x"}


def str_field(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    """A string field; required and non-empty unless a ``default`` is given."""
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ValueError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def str_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: '{key}' must be a list of strings")
    return tuple(v.strip() for v in value)


def table_list(table: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{where}: '{key}' must be an array of tables ([[{key}]])")
    return value


def unique(items: Sequence[T], key: Callable[[T], str], where: str) -> tuple[T, ...]:
    seen: set[str] = set()
    for item in items:
        k = key(item)
        if k in seen:
            raise ValueError(f"{where}: duplicate key {k!r}")
        seen.add(k)
    return tuple(items)


# --------------------------------------------------------------------------- lookups


def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form used by every lookup."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.casefold().replace("'", "").replace("’", "").replace("´", "")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare).split())


def index(entries: Iterable[tuple[str, T]]) -> dict[str, T]:
    """Folded-name index; the first entry wins so the canonical name beats an alias."""
    out: dict[str, T] = {}
    for text, item in entries:
        folded = fold(text)
        if folded:
            out.setdefault(folded, item)
    return out


def search(
    folded: str,
    primary: Iterable[tuple[str, T]],
    alternates: Iterable[tuple[str, T]],
    limit: int,
) -> list[T]:
    """Rank: exact name or alias, name starts with the text, a word of the name does, an
    alias starts or has a word starting with it, then any name or alias contains it."""
    if not folded or limit <= 0:
        return []
    tiers: list[list[T]] = [[], [], [], [], []]
    for is_alias, entries in ((False, primary), (True, alternates)):
        for text, item in entries:
            name = fold(text)
            if name == folded:
                tier = 0
            elif name.startswith(folded):
                tier = 3 if is_alias else 1
            elif any(word.startswith(folded) for word in name.split()):
                tier = 3 if is_alias else 2
            elif folded in name:
                tier = 4
            else:
                continue
            tiers[tier].append(item)
    out: list[T] = []
    for tier_items in tiers:
        for item in tier_items:
            if item not in out:
                out.append(item)
    return out[:limit]
