"""Generalisation and counting: person facts → true counts of distinct persons per cell.

True counts never leave the process except through :mod:`casework.disclosure.release`,
which suppresses and rounds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from casework.disclosure.codebook import (
    AGE_BANDS,
    AGE_CATEGORIES,
    AREA_CATEGORIES,
    AREA_MAP,
    MAX_AGE,
    NO_INFORMA,
    OTHER_COMMUNE_REGION,
    OTHER_NATIONALITY,
    OTHER_REGION,
    OUTCOME_CATEGORIES,
    OUTCOME_MAP,
    OUTCOME_PRIORITY,
    SEX_CATEGORIES,
    SEX_MAP,
    STATUS_CATEGORIES,
    STATUS_MAP,
    T1,
    T2,
    T3,
    T4,
    T5,
    T6,
    T7,
    TOTAL,
)
from casework.disclosure.facts import PersonFacts

CellKey = tuple[str, tuple[str, ...]]
"""``(table_id, dimension values)`` of one cell."""
TOTAL_KEY: CellKey = ("*", (TOTAL,))
"""The persons served in the period: the ``total`` row shared by tables T1..T5."""

NATIONALITY_RE = re.compile(r"[A-Z]{3}")
COMMUNE_RE = re.compile(r"\d{5}")


def _invalid(field: str) -> ValueError:
    # The offending value is not echoed: it could be anything a form let through.
    return ValueError(
        f"Valor no válido en el campo {field!r} de los datos de una persona. / "
        f"Invalid value in field {field!r} of a person's facts."
    )


def check_nationality(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and NATIONALITY_RE.fullmatch(value):
        return value
    raise _invalid("nationality")


def check_commune(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and COMMUNE_RE.fullmatch(value):
        return value
    raise _invalid("commune")


@dataclass(frozen=True, slots=True)
class Grouping:
    """Which nationalities and communes are listed; the rest go to the "other" groups.

    Fixed for a calendar year: the four quarters and the year use the same grouping.
    """

    nationalities: tuple[str, ...]
    communes: tuple[str, ...]
    region: str
    """Region (first 2 CUT digits) of the municipality: other communes of this region go to
    ``otra_comuna_region``, communes of other regions to ``otra_region``."""

    def categories(self, table_id: str) -> tuple[tuple[str, ...], ...]:
        """Dimension tuples of the table's cells (without the total row), in export order."""
        if table_id == T1.table_id:
            return tuple((c,) for c in (*self.nationalities, OTHER_NATIONALITY, NO_INFORMA))
        if table_id == T2.table_id:
            return tuple((c,) for c in SEX_CATEGORIES)
        if table_id == T3.table_id:
            return tuple((c,) for c in AGE_CATEGORIES)
        if table_id == T4.table_id:
            return tuple((c,) for c in STATUS_CATEGORIES)
        if table_id == T5.table_id:
            return tuple(
                (c,) for c in (*self.communes, OTHER_COMMUNE_REGION, OTHER_REGION, NO_INFORMA)
            )
        if table_id == T6.table_id:
            return tuple((a,) for a in AREA_CATEGORIES)
        if table_id == T7.table_id:
            return tuple((a, o) for a in AREA_CATEGORIES for o in OUTCOME_CATEGORIES)
        raise KeyError(table_id)

    def keys(self) -> tuple[CellKey, ...]:
        """Every cell of the table set, the shared total included."""
        out: list[CellKey] = [TOTAL_KEY]
        for table_id in (T1, T2, T3, T4, T5, T6, T7):
            out.extend((table_id.table_id, dims) for dims in self.categories(table_id.table_id))
        return tuple(out)


def compute_grouping(year_persons: Iterable[PersonFacts], k: int, municipality: str) -> Grouping:
    """List the nationalities and communes with at least ``k`` distinct persons in the year."""
    nat_persons: dict[str, set[str]] = {}
    com_persons: dict[str, set[str]] = {}
    nat_ok: set[object] = {None}
    com_ok: set[object] = {None}
    for person in year_persons:
        if person.excluded:
            continue
        nat = person.nationality
        if nat not in nat_ok:
            check_nationality(nat)
            nat_ok.add(nat)
        com = person.commune
        if com not in com_ok:
            check_commune(com)
            com_ok.add(com)
        if nat is not None:
            nat_persons.setdefault(nat, set()).add(person.key)
        if com is not None:
            com_persons.setdefault(com, set()).add(person.key)
    return Grouping(
        nationalities=tuple(sorted(c for c, keys in nat_persons.items() if len(keys) >= k)),
        communes=tuple(sorted(c for c, keys in com_persons.items() if len(keys) >= k)),
        region=municipality[:2],
    )


@dataclass(frozen=True, slots=True)
class Tabulation:
    """True (unprotected) counts of one period. Internal: never export it as is."""

    grouping: Grouping
    counts: Mapping[CellKey, int]
    """Distinct persons per cell, zeros included, :data:`TOTAL_KEY` included."""
    persons: int
    """Persons served (not excluded)."""
    referred: int
    """Persons with at least one referral in the period (never published)."""


class _Mapper:
    """Validates and maps raw values to cell keys, caching each distinct raw value."""

    def __init__(self, grouping: Grouping) -> None:
        self.grouping = grouping
        listed_nat = set(grouping.nationalities)
        listed_com = set(grouping.communes)
        self._listed_nat = listed_nat
        self._listed_com = listed_com
        self.nat: dict[object, CellKey] = {None: (T1.table_id, (NO_INFORMA,))}
        self.sex: dict[object, CellKey] = {
            raw: (T2.table_id, (cat,)) for raw, cat in SEX_MAP.items()
        }
        self.age: dict[object, CellKey] = {None: (T3.table_id, (NO_INFORMA,))}
        for label, low, high in AGE_BANDS:
            for age in range(low, high + 1):
                self.age[age] = (T3.table_id, (label,))
        self.status: dict[object, CellKey] = {None: (T4.table_id, (NO_INFORMA,))}
        for raw, cat in STATUS_MAP.items():
            self.status[raw] = (T4.table_id, (cat,))
        self.commune: dict[object, CellKey] = {None: (T5.table_id, (NO_INFORMA,))}
        self.referral: dict[object, tuple[str, str]] = {}
        for area_raw, area in AREA_MAP.items():
            for out_raw, out in OUTCOME_MAP.items():
                self.referral[(area_raw, out_raw)] = (area, out)

    def nationality_key(self, raw: object) -> CellKey:
        key = self.nat.get(raw)
        if key is None:
            code = check_nationality(raw)
            cat = code if code in self._listed_nat else OTHER_NATIONALITY
            key = (T1.table_id, (cat,))
            self.nat[raw] = key
        return key

    def commune_key(self, raw: object) -> CellKey:
        key = self.commune.get(raw)
        if key is None:
            code = check_commune(raw)
            assert code is not None
            if code in self._listed_com:
                cat = code
            elif code[:2] == self.grouping.region:
                cat = OTHER_COMMUNE_REGION
            else:
                cat = OTHER_REGION
            key = (T5.table_id, (cat,))
            self.commune[raw] = key
        return key


def tabulate(persons: Iterable[PersonFacts], grouping: Grouping) -> Tabulation:
    """Count distinct persons per cell of every table (excluded persons change nothing)."""
    counts: dict[CellKey, int] = dict.fromkeys(grouping.keys(), 0)
    mapper = _Mapper(grouping)
    seen: set[str] = set()
    n = 0
    referred = 0
    nat_map, sex_map, age_map = mapper.nat, mapper.sex, mapper.age
    status_map, com_map, ref_map = mapper.status, mapper.commune, mapper.referral
    t6, t7 = T6.table_id, T7.table_id
    for person in persons:
        if person.excluded:
            continue
        pkey = person.key
        if pkey in seen:
            raise ValueError(
                "La misma persona aparece dos veces en los datos del periodo. / "
                "The same person appears twice in the period's facts."
            )
        seen.add(pkey)
        n += 1
        key = nat_map.get(person.nationality) or mapper.nationality_key(person.nationality)
        counts[key] += 1
        key_sex = sex_map.get(person.sex)
        if key_sex is None:
            raise _invalid("sex")
        counts[key_sex] += 1
        age = person.age
        key_age = age_map.get(age) if type(age) is int or age is None else None
        if key_age is None:
            if isinstance(age, int) and not isinstance(age, bool) and 0 <= age <= MAX_AGE:
                key_age = age_map[int(age)]
            else:
                raise _invalid("age")
        counts[key_age] += 1
        key_status = status_map.get(person.status)
        if key_status is None:
            raise _invalid("status")
        counts[key_status] += 1
        key_com = com_map.get(person.commune) or mapper.commune_key(person.commune)
        counts[key_com] += 1
        if person.referrals:
            best: dict[str, str] = {}
            for ref in person.referrals:
                mapped = ref_map.get(ref)
                if mapped is None:
                    raise _invalid("referrals")
                area, outcome = mapped
                current = best.get(area)
                if current is None or OUTCOME_PRIORITY[outcome] > OUTCOME_PRIORITY[current]:
                    best[area] = outcome
            referred += 1
            for area, outcome in best.items():
                counts[(t6, (area,))] += 1
                counts[(t7, (area, outcome))] += 1
    counts[TOTAL_KEY] = n
    return Tabulation(grouping=grouping, counts=counts, persons=n, referred=referred)
