"""The yes/no questions of the route screener (screening.toml)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.refdata.loader import cached, read_toml, str_field, table_list, unique


@dataclass(frozen=True, slots=True)
class ScreeningQuestion:
    key: str
    text_es: str
    text_en: str
    reason_es: str  # why a route is proposed when the answer is yes
    reason_en: str


@cached
def screening_questions() -> tuple[ScreeningQuestion, ...]:
    """The yes/no questions the route screener understands (screening.toml)."""
    where = "screening.toml [[question]]"
    items = [
        ScreeningQuestion(
            key=str_field(e, "key", where),
            text_es=str_field(e, "text_es", where),
            text_en=str_field(e, "text_en", where),
            reason_es=str_field(e, "reason_es", where),
            reason_en=str_field(e, "reason_en", where),
        )
        for e in table_list(read_toml("screening.toml"), "question", where)
    ]
    return unique(items, lambda q: q.key, where)
