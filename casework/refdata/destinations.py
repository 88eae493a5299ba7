"""The referral catalogue (destinations.toml)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.refdata.codes import service_areas
from casework.refdata.loader import cached, read_toml, str_field, table_list, unique


@dataclass(frozen=True, slots=True)
class Destination:
    key: str
    name_es: str
    name_en: str
    service_area: str
    when_es: str
    typical_outcome_es: str
    private: bool  # a private organisation needs the person's consent to share data
    source: str
    when_en: str = ""
    typical_outcome_en: str = ""
    contact_es: str = ""  # address / phone / web, for the office to fill in


@cached
def destinations() -> tuple[Destination, ...]:
    """The referral catalogue (destinations.toml), in file order."""
    data = read_toml("destinations.toml")
    known_areas = {a.key for a in service_areas()}
    items: list[Destination] = []
    for e in table_list(data, "destination", "destinations.toml"):
        where = f"destinations.toml [[destination]] {e.get('key', '?')!r}"
        private = e.get("private", False)
        if not isinstance(private, bool):
            raise ValueError(f"{where}: 'private' must be true or false")
        item = Destination(
            key=str_field(e, "key", where),
            name_es=str_field(e, "name_es", where),
            name_en=str_field(e, "name_en", where),
            service_area=str_field(e, "service_area", where),
            when_es=str_field(e, "when_es", where),
            typical_outcome_es=str_field(e, "typical_outcome_es", where),
            private=private,
            source=str_field(e, "source", where),
            when_en=str_field(e, "when_en", where, ""),
            typical_outcome_en=str_field(e, "typical_outcome_en", where, ""),
            contact_es=str_field(e, "contact_es", where, ""),
        )
        if item.service_area not in known_areas:
            raise ValueError(f"{where}: unknown service_area {item.service_area!r}")
        items.append(item)
    return unique(items, lambda d: d.key, "destinations.toml")


def destination(key: str) -> Destination | None:
    return next((d for d in destinations() if d.key == key), None)
