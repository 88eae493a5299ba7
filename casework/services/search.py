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
from casework.services.keys import DOC, NAME, NEAR_MIN
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


# Statements ------------------------------------------------------------------------------
# Each kind of search has a few shapes (how many words, which tier); each shape's statement
# is built once with named parameters and bound at every keystroke: building SQLAlchemy
# expressions costs more than SQLite takes to answer most searches.

Query: TypeAlias = "sa.Select[*tuple[Any, ...]] | sa.CompoundSelect[*tuple[Any, ...]]"
Params: TypeAlias = dict[str, Any]
END = "\uffff"
"""Appended to a prefix: the end of the range of the keys that start with it (as
services/keys.py ``prefix_filter``)."""


def _prefix(kind: str, name: str) -> sa.ColumnElement[bool]:
    """person_key rows of ``kind`` whose key starts with parameter ``name`` (its end of
    range in ``name``_end): index-friendly, the same SQL on SQLite and PostgreSQL."""
    return sa.and_(
        PersonKey.kind == kind,
        PersonKey.key >= sa.bindparam(name),
        PersonKey.key < sa.bindparam(f"{name}_end"),
    )


def _starting(name: str, prefix: str) -> Params:
    return {name: prefix, f"{name}_end": prefix + END}


def _ids(condition: sa.ColumnElement[bool]) -> Query:
    return sa.select(PersonKey.person_id).where(condition)


@lru_cache(maxsize=1)
def _variants_select() -> sa.Select[str, str]:
    return sa.select(NameVariant.variant, NameVariant.token).where(
        NameVariant.variant.in_(sa.bindparam("variants", expanding=True))
    )


@lru_cache(maxsize=1)
def _any_merge() -> sa.Select[uuid.UUID]:
    return sa.select(PersonMerge.id).limit(1)


@lru_cache(maxsize=64)
def _names_select(words: int, tier: int, near: tuple[bool, ...]) -> Query:
    """Ids of the persons with a name token for each of ``words`` words (parameters w0,
    w1…), each matching at ``tier`` or better; at NEAR, word i also matches the tokens
    one letter away in parameter near<i> when ``near[i]``."""
    selects = []
    for i in range(words):
        if tier == EXACT:
            found = sa.and_(PersonKey.kind == NAME, PersonKey.key == sa.bindparam(f"w{i}"))
        else:
            found = _prefix(NAME, f"w{i}")
        if tier == NEAR and near[i]:
            one_off = PersonKey.key.in_(sa.bindparam(f"near{i}", expanding=True))
            found = sa.or_(found, sa.and_(PersonKey.kind == NAME, one_off))
        selects.append(_ids(found))
    return selects[0] if words == 1 else sa.intersect(*selects)


def _names_params(words: list[str], nears: list[list[str]]) -> Params:
    params: Params = {}
    for i, (word, near) in enumerate(zip(words, nears, strict=True)):
        params |= _starting(f"w{i}", word)
        if near:
            params[f"near{i}"] = near
    return params


@lru_cache(maxsize=8)
def _document_selects(typed: int) -> tuple[Query, Query, Query]:
    """(a document typed whole, a phone's last eight digits, the start of a document) for
    ``typed`` readings of the number (parameters t0, t1…)."""
    names = [f"t{i}" for i in range(typed)]
    whole = PersonKey.key.in_([sa.bindparam(n) for n in names])
    start = sa.or_(*(_prefix(DOC, n) for n in names))
    return (
        _ids(sa.and_(PersonKey.kind == DOC, whole)),
        _ids(sa.and_(PersonKey.kind == PHONE_KIND, PersonKey.key == sa.bindparam("phone"))),
        _ids(sa.and_(start, sa.not_(whole))),
    )


@lru_cache(maxsize=1)
def _date_select() -> Query:
    """Ids of the persons born on parameter ``day`` (an exact birth date; its key in
    parameter ``key``)."""
    return (
        sa.select(PersonKey.person_id)
        .join(Person, Person.id == PersonKey.person_id)
        .where(
            PersonKey.kind == DOB_KIND,
            PersonKey.key == sa.bindparam("key"),
            Person.birth_date == sa.bindparam("day"),
            Person.birth_date_precision == DatePrecision.EXACT.value,
        )
    )


@lru_cache(maxsize=256)
def _shown_select(ids: Query, *, merges: bool, exclude: bool) -> Query:
    """The live persons shown for the ids of ``ids`` (at most CANDIDATES of them), first
    by name, up to parameter ``limit``: (id, sort name, names). A record merged into
    another shows its survivor; ``exclude``: not those in parameter ``exclude``."""
    matched = ids.limit(CANDIDATES).subquery()
    wanted = sa.select(matched.c[0])
    condition: sa.ColumnElement[bool] = Person.id.in_(wanted)
    if merges:
        survivors = sa.select(Person.merged_into_id).where(
            Person.merged_into_id.is_not(None), Person.id.in_(wanted)
        )
        condition = sa.or_(condition, Person.id.in_(survivors))
    stmt = sa.select(
        Person.id,
        Person.sort_name,
        Person.given_names,
        Person.first_surname,
        Person.second_surname,
        Person.social_name,
    ).where(condition, Person.merged_into_id.is_(None))
    if exclude:
        stmt = stmt.where(Person.id.not_in(sa.bindparam("exclude", expanding=True)))
    return stmt.order_by(Person.sort_name).limit(sa.bindparam("limit", type_=sa.Integer))


# Names ------------------------------------------------------------------------------------


def near_tokens(session: Session, words: list[str]) -> list[list[str]]:
    """For each word, the name tokens on record one letter away (not those starting with
    it, which the prefix finds anyway): one query for all the words."""
    probes = {w: {w} | deletions(w) for w in words if len(w) >= NEAR_MIN}
    if not probes:
        return [[] for _ in words]
    wanted = sorted(set().union(*probes.values()))
    pairs = session.connection().execute(_variants_select(), {"variants": wanted}).all()
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


def _names(session: Session, words: list[str], limit: int, *, typos: bool) -> list[Hit]:
    # Longest word first: the most selective.
    words = sorted(set(words), key=lambda w: (-len(w), w))
    none: list[list[str]] = [[] for _ in words]
    plain = _names_params(words, none)
    n = len(words)

    def near() -> list[Source]:  # asked only when the page is not full by then
        nears = near_tokens(session, words)
        if not any(nears):
            return []
        shape = tuple(bool(x) for x in nears)
        return [(_names_select(n, NEAR, shape), _names_params(words, nears), ())]

    tiers: list[Tier] = [
        [(_names_select(n, EXACT, ()), plain, ())],
        lambda: [(_names_select(n, START, ()), plain, ())],
    ]
    if typos:
        tiers.append(near)
    found = _collect(session, tiers, limit)
    hits: list[tuple[int, int, int, Hit]] = []
    for order, (pid, (tier, _, row)) in enumerate(found.items()):
        matched = _name_reasons(words, row)
        fields = len({m for m in matched if m is not Matched.FORMER_NAME})
        hits.append((tier, -fields, order, Hit(pid, matched)))
    return [h for *_, h in sorted(hits, key=lambda x: x[:3])]


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
    whole, by_phone, start = _document_selects(len(typed))
    params: Params = {}
    for i, t in enumerate(typed):
        params |= _starting(f"t{i}", t)
    doc: tuple[Matched, ...] = (Matched.DOCUMENT,)
    exact: list[Source] = [(whole, params, doc)]
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) >= PHONE_MIN and not _LETTER.search(text):
        exact.append((by_phone, {"phone": normalise_phone(digits)}, (Matched.PHONE,)))
    found = _collect(session, [exact, [(start, params, doc)]], limit)
    return [Hit(pid, codes) for pid, (_, codes, _) in found.items()]


def _date(session: Session, day: dt.date, limit: int) -> list[Hit]:
    params = {"key": dob_sorted(day), "day": day}
    found = _collect(session, [[(_date_select(), params, (Matched.BIRTH_DATE,))]], limit)
    return [Hit(pid, codes) for pid, (_, codes, _) in found.items()]


# Ranking -----------------------------------------------------------------------------------

Source = tuple[Query, Params, tuple[Matched, ...]]
"""Ids to show, the parameters of that statement, and what they matched."""
Tier = list[Source] | Callable[[], list[Source]]


def _collect(
    session: Session, tiers: Sequence[Tier], limit: int
) -> dict[uuid.UUID, tuple[int, tuple[Matched, ...], Any]]:
    """Persons found by each tier of sources (best tier first), up to ``limit``: each with
    its tier, what its sources matched and its row (id, sort name, names), in order of
    tier, then name. A later tier is asked only while the page is not full, so a common
    name costs one indexed query."""
    conn = session.connection()  # Core: these are plain selects, no ORM objects
    merges = conn.scalar(_any_merge()) is not None
    found: dict[uuid.UUID, tuple[int, tuple[Matched, ...], Any]] = {}
    for tier, sources in enumerate(tiers):
        earlier = list(found)
        for ids, params, codes in sources() if callable(sources) else sources:
            stmt = _shown_select(ids, merges=merges, exclude=bool(earlier))
            bound = params | {"limit": limit} | ({"exclude": earlier} if earlier else {})
            for row in conn.execute(stmt, bound):
                _, had, _ = found.get(row.id, (tier, (), row))
                found[row.id] = (tier, had + tuple(c for c in codes if c not in had), row)
        if len(found) >= limit:
            break
    best = sorted(found.items(), key=lambda item: (item[1][0], item[1][2].sort_name))[:limit]
    return dict(best)
