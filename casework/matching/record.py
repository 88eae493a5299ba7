"""The person record the matcher compares: plain data, no database, no UI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["PersonRecord"]


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person as recorded (or as typed so far at intake).

    Fields are as typed; the matcher normalises them. Empty strings count as missing.
    `extra` carries optional comparison fields a caller may add (e.g. FEBRL's address parts in
    the benchmark); a field is only scored when the loaded `MatchParams` know its key.
    """

    id: str
    given_names: str
    first_surname: str
    second_surname: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    nationality: str | None = None
    documents: tuple[tuple[str, str], ...] = ()
    phones: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
