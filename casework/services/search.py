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
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from casework.matching.normalise import normalise_phone
from casework.models import NameVariant, Person, PersonKey
from casework.models.enums import DatePrecision
from casework.services.keys import DOC, NAME, NEAR_MIN, prefix_filter
from casework.services.match_records import PREFIX
from casework.services.schemas import PersonSummary
from casework.text import alnum_upper, one_edit, tokens

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

Query: TypeAlias = "sa.Select[*tuple[Any, ...]]"
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


def find(session: Session, text: str, limit: int) -> list[Hit]:
    """Live persons for what was typed, best first, each with what matched."""
    how, day = reading(text)
    if how is Reading.NAMES:
        return _names(session, tokens(text), limit)
    if how is Reading.NUMBER:
        return _number(session, text, limit)
    if how is Reading.DATE and day is not None:
        return _date(session, day, limit)
    return []


# Names ------------------------------------------------------------------------------------


def near_tokens(session: Session, word: str) -> list[str]:
    """Name tokens on record one letter away from ``word`` (not those starting with it,
    which the prefix finds anyway)."""
    if len(word) < NEAR_MIN:
        return []
    probes = {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}
    found = session.scalars(
        sa.select(NameVariant.token).where(NameVariant.variant.in_(sorted(probes))).distinct()
    )
    return sorted(tok for tok in found if not tok.startswith(word) and one_edit(word, tok))


def word_select(word: str, near: list[str]) -> Query:
    """(person id, level) of the persons with a name token matching ``word``."""
    start = sa.and_(PersonKey.key >= word, PersonKey.key < word + "\uffff")
    found = sa.or_(start, PersonKey.key.in_(near)) if near else start
    level = sa.case((PersonKey.key == word, EXACT), (start, START), else_=NEAR)
    return (
        sa.select(PersonKey.person_id.label("pid"), sa.func.min(level).label("lvl"))
        .where(PersonKey.kind == NAME, found)
        .group_by(PersonKey.person_id)
    )


def names_select(words: list[str], nears: list[list[str]]) -> Query:
    """(person id, total level) of the persons matching every word."""
    subs = [word_select(w, n).subquery() for w, n in zip(words, nears, strict=True)]
    first = subs[0]
    stmt = sa.select(first.c.pid, sum((s.c.lvl for s in subs[1:]), first.c.lvl).label("total"))
    source: Any = first
    for sub in subs[1:]:
        source = source.join(sub, sub.c.pid == first.c.pid)
    return stmt.select_from(source)


def _names(session: Session, words: list[str], limit: int) -> list[Hit]:
    # Longest word first: the most selective.
    words = sorted(set(words), key=lambda w: (-len(w), w))
    nears = [near_tokens(session, w) for w in words]
    rows = _ranked(session, names_select(words, nears), limit)
    if not rows:
        return []
    shown = {r.id: r for r in session.execute(_name_fields().where(Person.id.in_(list(rows))))}
    hits: list[tuple[int, int, int, Hit]] = []
    for order, (pid, row) in enumerate(rows.items()):
        total = row.total
        matched = _name_reasons(words, shown[pid])
        fields = len({m for m in matched if m is not Matched.FORMER_NAME})
        hits.append((total, -fields, order, Hit(pid, matched)))
    return [h for *_, h in sorted(hits, key=lambda x: x[:3])]


def _name_fields() -> Query:
    return sa.select(
        Person.id,
        Person.given_names,
        Person.first_surname,
        Person.second_surname,
        Person.social_name,
    )


def _name_reasons(words: list[str], person: Any) -> tuple[Matched, ...]:
    """What each typed word matched in this person's names, at its best level; a word that
    matches as well in two fields counts for the one not matched yet ("rosa ros" on Rosa
    Rosales: a given name and a surname)."""
    given = set(tokens(person.given_names or "")) | set(tokens(person.social_name or ""))
    surnames = set(tokens(person.first_surname or "")) | set(tokens(person.second_surname or ""))
    out: list[Matched] = []
    for word in words:
        options: list[tuple[int, Matched]] = []
        for field, exact, near in (
            (given, Matched.NAME, Matched.NAME_NEAR),
            (surnames, Matched.SURNAME, Matched.SURNAME_NEAR),
        ):
            for tok in field:
                if tok.startswith(word):
                    options.append((EXACT if tok == word else START, exact))
                elif one_edit(word, tok):
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


def number_select(text: str) -> Query:
    """(person id, level, by document, by phone) for a typed number."""
    compact = alnum_upper(text)
    if compact.startswith("CL") and compact[2:3].isdigit():
        compact = compact[2:]
    docs = (
        sa.select(
            PersonKey.person_id.label("pid"),
            sa.case((PersonKey.key == compact, EXACT), else_=START).label("lvl"),
            sa.literal(1).label("doc"),
            sa.literal(0).label("tel"),
        )
        .where(prefix_filter(DOC, compact))
        .limit(CANDIDATES)
        .subquery()
    )
    parts: list[Query] = [sa.select(docs)]
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) >= PHONE_MIN and not _LETTER.search(text):
        parts.append(
            sa.select(
                PersonKey.person_id.label("pid"),
                sa.literal(EXACT).label("lvl"),
                sa.literal(0).label("doc"),
                sa.literal(1).label("tel"),
            ).where(PersonKey.kind == PHONE_KIND, PersonKey.key == normalise_phone(digits))
        )
    union = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    return sa.select(
        union.c.pid,
        sa.func.min(union.c.lvl).label("total"),
        sa.func.max(union.c.doc).label("doc"),
        sa.func.max(union.c.tel).label("tel"),
    ).group_by(union.c.pid)


def _number(session: Session, text: str, limit: int) -> list[Hit]:
    hits = []
    for pid, row in _ranked(session, number_select(text), limit).items():
        codes = ((Matched.DOCUMENT,) if row.doc else ()) + ((Matched.PHONE,) if row.tel else ())
        hits.append(Hit(pid, codes))
    return hits


def date_select(day: dt.date) -> Query:
    """(person id, level) of the persons born on ``day`` (an exact birth date)."""
    lo, hi = sorted((day.day, day.month))
    key = f"{day.year:04d}{lo:02d}{hi:02d}"
    return (
        sa.select(PersonKey.person_id.label("pid"), sa.literal(EXACT).label("total"))
        .join(Person, Person.id == PersonKey.person_id)
        .where(
            PersonKey.kind == DOB_KIND,
            PersonKey.key == key,
            Person.birth_date == day,
            Person.birth_date_precision == DatePrecision.EXACT.value,
        )
        .limit(CANDIDATES)
    )


def _date(session: Session, day: dt.date, limit: int) -> list[Hit]:
    rows = _ranked(session, date_select(day), limit)
    return [Hit(pid, (Matched.BIRTH_DATE,)) for pid in rows]


# Ranking -----------------------------------------------------------------------------------


def ranked_select(matches: Query, limit: int) -> Query:
    """The live persons shown for ``matches`` (person id, total level, then any 0/1 flags),
    best first: a merged record shows its survivor. Only the best CANDIDATES matches are
    ranked."""
    best = matches.order_by(sa.literal_column("total")).limit(CANDIDATES).subquery()
    cols = list(best.c)
    found = aliased(Person)
    shown = aliased(Person)
    total = sa.func.min(cols[1])
    return (
        sa.select(shown.id, total.label("total"), *(sa.func.max(c).label(c.name) for c in cols[2:]))
        .select_from(best)
        .join(found, found.id == cols[0])
        .join(shown, shown.id == sa.func.coalesce(found.merged_into_id, found.id))
        .where(shown.merged_into_id.is_(None))
        .group_by(shown.id, shown.sort_name)
        .order_by(total, shown.sort_name)
        .limit(limit)
    )


def _ranked(session: Session, matches: Query, limit: int) -> dict[uuid.UUID, Any]:
    return {r.id: r for r in session.execute(ranked_select(matches, limit))}
