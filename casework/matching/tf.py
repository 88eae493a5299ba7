"""Term frequencies of name values, for the term-frequency adjustment (dedupe.md §1.1).

Agreeing on "González" is weaker evidence than agreeing on "Exantus": for an exact agreement the
stranger-class probability u is replaced by the value's relative frequency.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from .normalise import name_tokens, normalise_document, normalise_phone
from .record import PersonRecord

__all__ = ["TermFrequencies", "counted"]

SURNAME, GIVEN, GIVEN_TOKEN = "surname", "given", "given_token"
PHONE, DOCUMENT = "phone", "document"


CATEGORIES: tuple[str, ...] = (SURNAME, GIVEN, GIVEN_TOKEN, PHONE, DOCUMENT)

# A nationality's own frequencies are used once it has at least this many values counted.
MIN_GROUP_TOTAL = 200


GROUPED: frozenset[str] = frozenset({SURNAME, GIVEN, GIVEN_TOKEN})
"""Categories also counted per nationality (names: their pools differ by culture)."""


def counted(record: PersonRecord) -> tuple[str, set[tuple[str, str]]]:
    """(nationality, {(category, value)}): what one record adds to the counts. Each
    distinct value once per record ("Pérez Pérez" is one surname, "María María" one given
    token), so the counts are the number of records holding a value, as the rows of
    person_key that store them (services/match_records.py) count them."""
    nat = (record.nationality or "").strip().upper()
    out: set[tuple[str, str]] = set()
    for text in (record.first_surname, record.second_surname):
        if text:
            out.add((SURNAME, "".join(name_tokens(text))))
    if record.given_names:
        toks = name_tokens(record.given_names)
        out.add((GIVEN, "".join(toks)))
        out.update((GIVEN_TOKEN, tok) for tok in toks)
    out.update((PHONE, normalise_phone(p)) for p in record.phones)
    for kind, number in record.documents:
        norm = normalise_document(kind, number)
        if len(norm) >= 3:
            out.add((DOCUMENT, norm))
    return nat, {(cat, value) for cat, value in out if value}


class _Table:
    __slots__ = ("counts", "totals")

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {cat: Counter() for cat in CATEGORIES}
        self.totals: dict[str, int] = dict.fromkeys(CATEGORIES, 0)

    def bump(self, cat: str, value: str) -> None:
        self.counts[cat][value] += 1
        self.totals[cat] += 1

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {cat: dict(counter) for cat, counter in self.counts.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, int]]) -> _Table:
        table = cls()
        for cat, counts in data.items():
            if cat not in table.counts:
                raise ValueError(f"unknown term-frequency category {cat!r}")
            counter: Counter[str] = Counter({str(k): int(v) for k, v in counts.items()})
            table.counts[cat] = counter
            table.totals[cat] = sum(counter.values())
        return table


class TermFrequencies:
    """Counts of normalised surnames, whole given names, given-name tokens, phones and
    document numbers.

    Values are counted in their matching form (accents, particles and spaces removed; phones
    by their last eight digits). Built from raw strings as typed; a record contributes each of
    its distinct surnames, its given-name field, each distinct given-name token, each phone and
    each document (:func:`counted`). The database keeps the same counts live as person_key
    rows (services/match_records.py); :meth:`from_counts` holds the few a check needs.
    Phones and documents are counted so that a number typed on many files (an office phone, a
    parent's passport on a child's file) weighs less than a number of one person.

    Records with a nationality are also counted per nationality. Name pools differ by culture
    ("Jean-Baptiste" is rare overall but common among Haitians), so when both records of a pair
    have the same nationality the matcher uses that nationality's frequencies: the names are
    then treated as independent *within* a culture, which is much closer to the truth than
    independent overall.
    """

    def __init__(self, surnames: Iterable[str] = (), given_names: Iterable[str] = ()) -> None:
        self._all = _Table()
        self._groups: dict[str, _Table] = {}
        self.records = 0  # records counted through `update`
        self.version = 0  # bumped on every change, so cached weights can be dropped
        for s in surnames:
            self._add_surname(s, None)
        for g in given_names:
            self._add_given(g, None)

    def _bump(self, cat: str, value: str, group: _Table | None) -> None:
        if value:
            self.version += 1
            self._all.bump(cat, value)
            if group is not None:
                group.bump(cat, value)

    def _add_surname(self, text: str | None, group: _Table | None) -> None:
        if text:
            self._bump(SURNAME, "".join(name_tokens(text)), group)

    def _add_given(self, text: str | None, group: _Table | None) -> None:
        if not text:
            return
        toks = name_tokens(text)
        self._bump(GIVEN, "".join(toks), group)
        for tok in dict.fromkeys(toks):
            self._bump(GIVEN_TOKEN, tok, group)

    @classmethod
    def from_records(cls, records: Iterable[PersonRecord]) -> TermFrequencies:
        tf = cls()
        for rec in records:
            tf.update(rec)
        return tf

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[tuple[str, str], Mapping[str, int]],
        totals: Mapping[tuple[str, str], int],
        records: int,
    ) -> TermFrequencies:
        """Frequencies of a few values: ``counts[(category, group)]`` holds the counts of
        the values looked up ("" group: all records), ``totals`` the denominators and
        ``records`` the population. A value not given counts as never seen, so give every
        value the matcher will ask about (those both records of a pair agree on)."""
        tf = cls()
        tf.records = records
        for (cat, group), n in totals.items():
            table = tf._all if not group else tf._groups.setdefault(group, _Table())
            table.totals[cat] = n
        for (cat, group), values in counts.items():
            table = tf._all if not group else tf._groups.setdefault(group, _Table())
            table.counts[cat].update({v: c for v, c in values.items() if c > 0})
            # a stale total is never below the values it is known to hold
            table.totals[cat] = max(table.totals[cat], sum(table.counts[cat].values()))
        return tf

    def update(self, record: PersonRecord) -> None:
        """Count one more record: each of its distinct values once (see :func:`counted`)."""
        self.records += 1
        self.version += 1
        nat, values = counted(record)
        group = self._groups.setdefault(nat, _Table()) if nat else None
        for cat, value in values:
            self._bump(cat, value, group if cat in GROUPED else None)

    def total(self, category: str, group: str = "") -> int:
        table = self._groups.get(group) if group else self._all
        return table.totals[category] if table is not None else 0

    def count(self, category: str, value: str, group: str = "") -> int:
        table = self._groups.get(group) if group else self._all
        return table.counts[category].get(value, 0) if table is not None else 0

    def freq(self, category: str, value: str, floor: float = 0.0, group: str = "") -> float | None:
        """Relative frequency of `value` (a normalised key), or None when nothing is counted.

        With `group` (a nationality) the frequency among that nationality's records is used,
        if enough of them are counted. A value never seen counts as seen once.
        """
        table = self._all
        if group:
            sub = self._groups.get(group)
            if sub is not None and sub.totals[category] >= MIN_GROUP_TOTAL:
                table = sub
        total = table.totals[category]
        if total == 0:
            return None
        return max(max(table.counts[category].get(value, 0), 1) / total, floor)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts: {"records": n, "all": {category: {value: n}}, "by_nationality":
        {nationality: {category: {value: n}}}}."""
        return {
            "records": self.records,
            "all": self._all.to_dict(),
            "by_nationality": {g: t.to_dict() for g, t in self._groups.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TermFrequencies:
        tf = cls()
        tf.records = int(data.get("records", 0))
        tf._all = _Table.from_dict(data.get("all", {}))
        tf._groups = {
            str(g): _Table.from_dict(t) for g, t in data.get("by_nationality", {}).items()
        }
        return tf
