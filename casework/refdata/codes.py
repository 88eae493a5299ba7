"""The small code lists and the service areas (codes.toml), and their display names.

The list constants are loaded from codes.toml at import time; edit the file, not this
module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from casework.refdata.loader import Code, cached, read_toml, str_field, table_list, unique


@dataclass(frozen=True, slots=True)
class ServiceArea:
    key: str
    name_es: str
    name_en: str


class Labelled(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def name_es(self) -> str: ...
    @property
    def name_en(self) -> str: ...


@cached
def _codes_file() -> dict[str, Any]:
    return read_toml("codes.toml")


@cached
def _code_lists() -> dict[str, tuple[Code, ...]]:
    data = _codes_file()
    lists = data.get("lists")
    if not isinstance(lists, dict):
        raise ValueError("codes.toml: missing [lists] table")
    out: dict[str, tuple[Code, ...]] = {}
    for name, entries in lists.items():
        where = f"codes.toml [lists.{name}]"
        if not isinstance(entries, list):
            raise ValueError(f"{where}: must be an array of tables")
        items = [
            Code(
                key=str_field(e, "key", where),
                name_es=str_field(e, "name_es", where),
                name_en=str_field(e, "name_en", where),
                code=str_field(e, "code", where, ""),
            )
            for e in table_list(lists, name, where)
        ]
        out[name] = unique(items, lambda c: c.key, where)
    return out


def code_list(name: str) -> tuple[Code, ...]:
    """A code list from codes.toml by name ("contact_reasons"); KeyError if unknown."""
    return _code_lists()[name]


@cached
def service_areas() -> tuple[ServiceArea, ...]:
    """Service areas of the referral catalogue (health, housing, legal, ...)."""
    where = "codes.toml [[service_areas]]"
    items = [
        ServiceArea(
            str_field(e, "key", where),
            str_field(e, "name_es", where),
            str_field(e, "name_en", where),
        )
        for e in table_list(_codes_file(), "service_areas", where)
    ]
    return unique(items, lambda a: a.key, where)


def service_area(key: str) -> ServiceArea | None:
    return next((a for a in service_areas() if a.key == key), None)


def label(code_list: Iterable[Labelled], key: str | None, lang: str = "es") -> str:
    """Display name of ``key`` in ``code_list`` ("es" or "en"); the key itself if unknown."""
    if not key:
        return ""
    for item in code_list:
        if item.key == key:
            return item.name_en if lang.lower().startswith("en") else item.name_es
    return key


REFERRAL_OUTCOMES: Final = code_list("referral_outcomes")
REFERRAL_STATUSES: Final = code_list("referral_statuses")
CONTACT_REASONS: Final = code_list("contact_reasons")
CONTACT_CHANNELS: Final = code_list("contact_channels")
CIVIL_STATUSES: Final = code_list("civil_statuses")
GENDER_IDENTITIES: Final = code_list("gender_identities")
SEXES: Final = code_list("sexes")
RELATIONSHIPS: Final = code_list("relationships")
MIGRATION_STATUSES: Final = code_list("migration_statuses")
INDIGENOUS_PEOPLES: Final = code_list("indigenous_peoples")
