"""Rights that hold regardless of migration status (rights.toml)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.refdata.loader import cached, read_toml, str_field, table_list, unique


@dataclass(frozen=True, slots=True)
class Right:
    key: str
    text_es: str
    text_en: str
    source: str
    title_es: str = ""
    title_en: str = ""


@cached
def rights() -> tuple[Right, ...]:
    """Rights that hold regardless of migration status (rights.toml), in file order."""
    where = "rights.toml [[right]]"
    items = [
        Right(
            key=str_field(e, "key", where),
            text_es=str_field(e, "text_es", where),
            text_en=str_field(e, "text_en", where),
            source=str_field(e, "source", where),
            title_es=str_field(e, "title_es", where, ""),
            title_en=str_field(e, "title_en", where, ""),
        )
        for e in table_list(read_toml("rights.toml"), "right", where)
    ]
    return unique(items, lambda r: r.key, where)


def right(key: str) -> Right | None:
    return next((r for r in rights() if r.key == key), None)
