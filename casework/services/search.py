"""Search a worker can rely on: what the search screen and the person pickers find.

- Names in any order, without accents or case: every typed word must be a name token of the
  person (given names, surnames, social name), exactly, as the start of one (typing "Gonz"
  finds González), or, for words of four letters or more, one letter away (a letter changed,
  added or left out, or two neighbours swapped: "Gonzales", "Jhon"). The words one letter
  away come from the typo index name_variant (services/keys.py), checked again here.
- A number: a document (RUN with or without dots and dash, passport…) by its start, and a
  phone of eight digits or more by its last eight ("+56 9 8765 4321", "987654321",
  "87654321").
- A date dd-mm-aaaa: the persons born that day (exact birth dates only).

Ranked best first: exact words, then starts of words, then words one letter away; then
more fields matched (a given name and a surname before two given names); then by name.
Each result says what matched (:class:`Matched` codes; the screen translates them). A
person merged into another is found under their old record and shown as the survivor.
The SQL is the same on SQLite and PostgreSQL and reads the person_key index.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.matching.keys import dob_sorted
from casework.matching.normalise import normalise_phone
from casework.models import NameVariant, Person, PersonKey, PersonMerge
from casework.models.enums import DatePrecision
from casework.services.keys import DOC, NAME, NEAR_MIN, prefix_filter
from casework.services.match_records import PREFIX
from casework.services.schemas import PersonSummary
from casework.text import alnum_upper, deletions, one_edit, tokens

PHONE_KIND = PREFIX + "phone8"
"""The matcher's key of a phone's last eight digits (services/match_records.py), read here too."""
DOB_KIND = PREFIX + "dob_sorted"
"""The matcher's birth-date key (year, then day and month in order), checked against the date."""
CANDIDATES = 2_000
"""Matches ranked per search; past that the worker keeps typing to narrow it."""
PHONE_MIN = 8

_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_PARTIAL_DATE = re.compile(r"^\d{1,2}[-/.](\d{1,2}([-/.]\d{0,3})?)?$")
_LETTER = re.compile(r"[^\W\d_]")

Query: TypeAlias = "sa.Select[*tuple[Any, ...]] | sa.CompoundSelect[*tuple[Any, ...]]"
EXACT, START, NEAR = 0, 1, 2
"""How well a typed word matched a token (lower is better)."""


class Matched(StrEnum):
    """What matched, one code per field (translated by the screen: search.matched.<code>)."""

    NAME = "name"
    NAME_NEAR = "name_near"
    SURNAME = "surname"
    SURNAME_NEAR = "surname_near"
    FORMER_NAME = "former_name"
    DOCUMENT = "document"
    PHONE = "phone"
    BIRTH_DATE = "birth_date"


class Reading(StrEnum):
    """How the typed text is read."""

    EMPTY = "empty"
    NAMES = "names"
    NUMBER = "number"
    DATE = "date"
    PARTIAL_DATE = "partial_date"
    BAD_DATE = "bad_date"


class SearchResult(PersonSummary):
    """A person found, and what matched (:class:`Matched` codes, best field first)."""

    matched: list[str] = []


@dataclass(frozen=True)
class Hit:
    person_id: uuid.UUID
    matched: tuple[Matched, ...]


def reading(text: str) -> tuple[Reading, dt.date | None]:
    """How ``text`` will be searched (a date is returned when one was typed whole)."""
    typed = text.strip()
    if not typed or not tokens(typed):
        return Reading.EMPTY, None
    m = _DATE.match(typed)
    if m:
        day, month, year = (int(g) for g in m.groups())
        try:
            return Reading.DATE, dt.date(year, month, day)
        except ValueError:
            return Reading.BAD_DATE, None
    if _PARTIAL_DATE.match(typed) and any(c in "-/" for c in typed):
        return Reading.PARTIAL_DATE, None
    if any(c.isdigit() for c in typed):
        return Reading.NUMBER, None
    return Reading.NAMES, None


def find(session: Session, text: str, limit: int, *, typos: bool = True) -> list[Hit]:
    """Live persons for what was typed, best first, each with what matched. Without
    ``typos`` a name word must be a name or the start of one (naming one person for the
    record, where a letter off is another person)."""
    how, day = reading(text)
    if how is Reading.NAMES:
        return _names(session, tokens(text), limit, typos=typos)
    if how is Reading.NUMBER:
        return _number(session, text, limit)
    if how is Reading.DATE and day is not None:
        return _date(session, day, limit)
    return []


# Names ------------------------------------------------------------------------------------


def near_tokens(session: Session, words: list[str]) -> list[list[str]]:
    """For each word, the name tokens on record one letter away (not those starting with
    it, which the prefix finds anyway): one query for all the words."""
    probes = {w: {w} | deletions(w) for w in words if len(w) >= NEAR_MIN}
    if not probes:
        return [[] for _ in words]
    wanted = sorted(set().union(*probes.values()))
    stmt = sa.select(NameVariant.variant, NameVariant.token).where(NameVariant.variant.in_(wanted))
    pairs = session.connection().execute(stmt).all()
    return [
        sorted(
            {
                tok
                for variant, tok in pairs
                if variant in probes.get(w, ()) and not tok.startswith(w) and one_edit(w, tok)
            }
        )
        for w in words
    ]


def word_filter(word: str, tier: int, near: list[str]) -> sa.ColumnElement[bool]:
    """person_key rows of a name token matching ``word`` at ``tier`` or better."""
    if tier == EXACT:
        return sa.and_(PersonKey.kind == NAME, PersonKey.key == word)
    found = prefix_filter(NAME, word)
    if tier == NEAR and near:
        found = sa.or_(found, sa.and_(PersonKey.kind == NAME, PersonKey.key.in_(near)))
    return found


def names_select(words: list[str], tier: int, nears: list[list[str]]) -> Query:
    """Ids of the persons with a name token for every word, each matching at ``tier`` or
    better (the most selective word first)."""
    selects = [
        sa.select(PersonKey.person_id).where(word_filter(w, tier, n))
        for w, n in zip(words, nears, strict=True)
    ]
    return selects[0] if len(selects) == 1 else sa.intersect(*selects)


def _names(session: Session, words: list[str], limit: int, *, typos: bool) -> list[Hit]:
    # Longest word first: the most selective.
    words = sorted(set(words), key=lambda w: (-len(w), w))
    none: list[list[str]] = [[] for _ in words]

    def near() -> list[Source]:  # asked only when the page is not full by then
        nears = near_tokens(session, words)
        return [(names_select(words, NEAR, nears), ())] if any(nears) else []

    tiers: list[Tier] = [
        [(names_select(words, EXACT, none), ())],
        lambda: [(names_select(words, START, none), ())],
    ]
    if typos:
        tiers.append(near)
    found = _collect(session, tiers, limit)
    if not found:
        return []
    stmt = _name_fields().where(Person.id.in_(list(found)))
    shown = {r.id: r for r in session.connection().execute(stmt)}
    hits: list[tuple[int, int, int, Hit]] = []
    for order, (pid, (tier, _)) in enumerate(found.items()):
        matched = _name_reasons(words, shown[pid])
        fields = len({m for m in matched if m is not Matched.FORMER_NAME})
        hits.append((tier, -fields, order, Hit(pid, matched)))
    return [h for *_, h in sorted(hits, key=lambda x: x[:3])]


def _name_fields() -> sa.Select[*tuple[Any, ...]]:
    return sa.select(
        Person.id,
        Person.given_names,
        Person.first_surname,
        Person.second_surname,
        Person.social_name,
    )


@lru_cache(maxsize=8192)
def _token_set(text: str | None) -> frozenset[str]:
    return frozenset(tokens(text or ""))


def _name_reasons(words: list[str], person: Any) -> tuple[Matched, ...]:
    """What each typed word matched in this person's names, at its best level; a word that
    matches as well in two fields counts for the one not matched yet ("rosa ros" on Rosa
    Rosales: a given name and a surname)."""
    given = _token_set(person.given_names) | _token_set(person.social_name)
    surnames = _token_set(person.first_surname) | _token_set(person.second_surname)
    out: list[Matched] = []
    for word in words:
        options: list[tuple[int, Matched]] = []
        for field, exact, near in (
            (given, Matched.NAME, Matched.NAME_NEAR),
            (surnames, Matched.SURNAME, Matched.SURNAME_NEAR),
        ):
            if word in field:
                options.append((EXACT, exact))
            elif any(tok.startswith(word) for tok in field):
                options.append((START, exact))
            elif len(word) >= NEAR_MIN and any(one_edit(word, tok) for tok in field):
                options.append((NEAR, near))
        if not options:
            out.append(Matched.FORMER_NAME)  # found under a record merged into this one
            continue
        level = min(lvl for lvl, _ in options)
        codes = [code for lvl, code in options if lvl == level]
        out.append(next((c for c in codes if c not in out), codes[0]))
    order = list(Matched)
    return tuple(sorted(set(out), key=order.index))  # given names first, then surnames


# Numbers and dates -------------------------------------------------------------------------


def _number(session: Session, text: str, limit: int) -> list[Hit]:
    compact = alnum_upper(text)
    typed = [compact]
    if compact.startswith("CL") and compact[2:3].isdigit():
        typed.append(compact[2:])  # "CL 12.345.678-5"; a Chilean passport keeps its CL
    doc: tuple[Matched, ...] = (Matched.DOCUMENT,)
    exact = [(_key_select(sa.and_(PersonKey.kind == DOC, PersonKey.key.in_(typed))), doc)]
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) >= PHONE_MIN and not _LETTER.search(text):
        phone = normalise_phone(digits)
        by_phone = sa.and_(PersonKey.kind == PHONE_KIND, PersonKey.key == phone)
        exact.append((_key_select(by_phone), (Matched.PHONE,)))
    start = sa.and_(sa.or_(*(prefix_filter(DOC, k) for k in typed)), PersonKey.key.not_in(typed))
    found = _collect(session, [exact, [(_key_select(start), doc)]], limit)
    return [Hit(pid, codes) for pid, (_, codes) in found.items()]


def _key_select(condition: sa.ColumnElement[bool]) -> Query:
    return sa.select(PersonKey.person_id).where(condition)


def date_select(day: dt.date) -> Query:
    """Ids of the persons born on ``day`` (an exact birth date)."""
    key = dob_sorted(day)
    return (
        sa.select(PersonKey.person_id)
        .join(Person, Person.id == PersonKey.person_id)
        .where(
            PersonKey.kind == DOB_KIND,
            PersonKey.key == key,
            Person.birth_date == day,
            Person.birth_date_precision == DatePrecision.EXACT.value,
        )
    )


def _date(session: Session, day: dt.date, limit: int) -> list[Hit]:
    found = _collect(session, [[(date_select(day), (Matched.BIRTH_DATE,))]], limit)
    return [Hit(pid, codes) for pid, (_, codes) in found.items()]


# Ranking -----------------------------------------------------------------------------------

Source = tuple[Query, tuple[Matched, ...]]
Tier = list[Source] | Callable[[], list[Source]]


def shown_select(
    ids: Query, limit: int, *, merges: bool, exclude: list[uuid.UUID] | None = None
) -> Query:
    """(id, sort name) of the live persons shown for the ids of ``ids`` (at most CANDIDATES
    of them), first by name: a record merged into another shows its survivor."""
    matched = ids.limit(CANDIDATES).subquery()
    wanted = sa.select(matched.c[0])
    condition: sa.ColumnElement[bool] = Person.id.in_(wanted)
    if merges:
        survivors = sa.select(Person.merged_into_id).where(
            Person.merged_into_id.is_not(None), Person.id.in_(wanted)
        )
        condition = sa.or_(condition, Person.id.in_(survivors))
    stmt = sa.select(Person.id, Person.sort_name).where(condition, Person.merged_into_id.is_(None))
    if exclude:
        stmt = stmt.where(Person.id.not_in(exclude))
    return stmt.order_by(Person.sort_name).limit(limit)


def _collect(
    session: Session, tiers: Sequence[Tier], limit: int
) -> dict[uuid.UUID, tuple[int, tuple[Matched, ...]]]:
    """Persons found by each tier of sources (best tier first), up to ``limit``: each with
    its tier and what its sources matched, in order of tier, then name. A later tier is
    asked only while the page is not full, so a common name costs one indexed query."""
    conn = session.connection()  # Core: these are plain selects, no ORM objects
    merges = conn.scalar(sa.select(PersonMerge.id).limit(1)) is not None
    found: dict[uuid.UUID, tuple[int, str, tuple[Matched, ...]]] = {}
    for tier, sources in enumerate(tiers):
        earlier = list(found)
        for ids, codes in sources() if callable(sources) else sources:
            stmt = shown_select(ids, limit, merges=merges, exclude=earlier)
            for pid, sort_name in conn.execute(stmt):
                _, _, had = found.get(pid, (tier, sort_name, ()))
                found[pid] = (tier, sort_name, had + tuple(c for c in codes if c not in had))
        if len(found) >= limit:
            break
    best = sorted(found.items(), key=lambda item: item[1][:2])[:limit]
    return {pid: (tier, codes) for pid, (tier, _, codes) in best}
