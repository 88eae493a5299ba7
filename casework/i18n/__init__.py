"""Message catalogues (Spanish and English) and the current language.

Catalogues are TOML files beside this module: ``es.toml`` and ``en.toml``, plus any
``es-<area>.toml`` / ``en-<area>.toml`` pairs an area of the app adds; both languages have
the same keys.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"
_current = DEFAULT_LANGUAGE


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(name, value, out)
        else:
            out[name] = str(value)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Read when a message of ``lang`` is first asked for (``--version`` reads none)."""
    import tomllib
    from importlib import resources

    folder = resources.files(__package__)
    names = sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.name == f"{lang}.toml"
        or (entry.name.startswith(f"{lang}-") and entry.name.endswith(".toml"))
    )
    out: dict[str, str] = {}
    for name in names:
        _flatten("", tomllib.loads(folder.joinpath(name).read_text(encoding="utf-8")), out)
    return out


def detect_language(explicit: str | None = None) -> str:
    """``--lang`` wins; else the locale variables; else Spanish (the office's language)."""
    if explicit:
        code = explicit.lower()[:2]
        if code not in LANGUAGES:
            raise ValueError(f"unsupported language {explicit!r} (use es or en)")
        return code
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        code = value.lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    _current = lang


def current_language() -> str:
    return _current


def t(key: str, lang: str | None = None, **params: Any) -> str:
    """The message for ``key`` in ``lang`` (default: the current language), formatted."""
    text = catalogue(lang or _current).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(key, key)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def tn(key: str, count: int, lang: str | None = None, **params: Any) -> str:
    """A message with a count: ``<key>_one`` for one (where the catalogue has it), ``<key>``
    otherwise; ``{count}`` is given formatted (1.148)."""
    one = f"{key}_one"
    chosen = one if count == 1 and one in catalogue(lang or _current) else key
    return t(chosen, lang, count=fmt_count(count), **params)


def fmt_count(n: int) -> str:
    """A count as the desk reads it: 1.148 in Spanish (the Chilean way), 1,148 in English."""
    text = f"{n:,}"
    return text.replace(",", ".") if _current == "es" else text
