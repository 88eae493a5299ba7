"""Persons as the duplicate matcher reads them: records, their stored blocking keys and
the term frequencies kept in the database.

The scoring is ``casework.matching`` (Fellegi–Sunter with term-frequency adjustment); its
blocking keys live in ``person_key`` (kinds prefixed ``m.``, written by
:func:`casework.services.keys.refresh`). So do its term frequencies: each live person has
one row per value it counts (``TermFrequencies.update``), so the number of rows of a
(kind, key) IS the value's frequency, kept exact by every write in its own transaction:

==================  =======================================================================
``f.sur``           each distinct surname, joined ("delacruz")
``f.giv``           the given-names field, joined
``f.gtok``          each distinct given-name token
``f.phone``         each phone's last eight digits
``f.doc``           each document number (three characters or more)
``g.sur.<NAT>``     the same three name kinds again under the person's nationality (a kind
``g.giv.<NAT>``     per nationality, so every count is one equality on the (kind, key)
``g.gtok.<NAT>``    index; nationality codes have three letters)
``f.person``        one row (key "") per live person: the population
==================  =======================================================================

A merged person's rows of these kinds are removed (services/merge.py), so counts are over
live persons only. The denominators, rows per kind, are recounted in SQL
(:func:`recount_totals`) into ``match_total``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework import clock
from casework.matching import PersonRecord, TermFrequencies, match_keys
from casework.matching.tf import DOCUMENT, GIVEN, GIVEN_TOKEN, PHONE, SURNAME, counted
from casework.models import IdentityDocument, MatchTotal, Person, PersonKey

PREFIX = "m."
STORED_KINDS = frozenset({"rut_body", "phone8", "sur+giv", "sur+sur", "dob_sorted", "giv+yob"})
"""Matcher keys kept in person_key: enough to find a desk's respelling of a person, few
enough that 100,000 persons stay a small table. Documents use the search key (kind doc)."""


def record_of(
    person_id: uuid.UUID | str,
    given_names: str,
    first_surname: str,
    second_surname: str | None,
    birth_date: Any,
    sex: str | None,
    nationality: str | None,
    documents: Iterable[tuple[str, str]] = (),
    phones: Iterable[str | None] = (),
) -> PersonRecord:
    return PersonRecord(
        id=str(person_id),
        given_names=given_names or "",
        first_surname=first_surname or "",
        second_surname=second_surname or None,
        birth_date=birth_date,
        sex=sex,
        nationality=nationality,
        documents=tuple(documents),
        phones=tuple(p for p in phones if p),
    )


KEY_MAX = 120

ALL_KINDS: Mapping[str, str] = {
    SURNAME: "f.sur",
    GIVEN: "f.giv",
    GIVEN_TOKEN: "f.gtok",
    PHONE: "f.phone",
    DOCUMENT: "f.doc",
}
"""person_key kind of each term-frequency category, over all live persons."""
GROUP_KINDS: Mapping[str, str] = {SURNAME: "g.sur.", GIVEN: "g.giv.", GIVEN_TOKEN: "g.gtok."}
"""Prefix of the kind of each category counted per nationality (the code follows)."""
PERSONS = "f.person"
"""One row per live person (key ""): the population the priors scale with."""
GROUP_MAX = 12 - max(len(k) for k in GROUP_KINDS.values())
"""Longest nationality code that fits person_key.kind (String(12)); codes have three."""

_CATEGORY_OF = {kind: cat for cat, kind in ALL_KINDS.items()}


def frequency_kind(category: str, group: str = "") -> str:
    """The person_key kind counting ``category`` (under nationality ``group``)."""
    return GROUP_KINDS[category] + group if group else ALL_KINDS[category]


def category_of(kind: str) -> tuple[str, str] | None:
    """(category, group) a frequency kind counts; None for the other kinds (and f.person)."""
    cat = _CATEGORY_OF.get(kind)
    if cat is not None:
        return cat, ""
    for cat, prefix in GROUP_KINDS.items():
        if kind.startswith(prefix):
            return cat, kind[len(prefix) :]
    return None


def is_frequency_kind(kind: str) -> bool:
    return kind.startswith(("f.", "g."))


def frequency_keys(rec: PersonRecord) -> set[tuple[str, str]]:
    """The rows that count this (live) person in the term frequencies."""
    nat, values = counted(rec)
    group = nat if len(nat) <= GROUP_MAX else ""
    rows = {(PERSONS, "")}
    for cat, value in values:
        key = value[:KEY_MAX]
        rows.add((ALL_KINDS[cat], key))
        if group and cat in GROUP_KINDS:
            rows.add((GROUP_KINDS[cat] + group, key))
    return rows


def stored_keys(
    rec: PersonRecord, *, remember: bool = True, counted: bool = True
) -> set[tuple[str, str]]:
    """The matcher's keys this person gets in person_key (``remember``: see
    :func:`casework.matching.match_keys`): its blocking keys and, unless ``counted`` is
    False (a merged person), the rows that count it in the term frequencies."""
    rows = {
        (PREFIX + kind, key[:KEY_MAX])
        for kind, key in match_keys(rec, remember=remember)
        if kind in STORED_KINDS
    }
    if counted:
        rows |= frequency_keys(rec)
    return rows


def uncount(session: Session, person_id: uuid.UUID) -> None:
    """Remove a person from the term frequencies (a merged record: its survivor counts)."""
    session.execute(
        sa.delete(PersonKey).where(
            PersonKey.person_id == person_id,
            sa.or_(PersonKey.kind.startswith("f."), PersonKey.kind.startswith("g.")),
        )
    )


# Denominators -------------------------------------------------------------------------------


def recount_totals(conn: sa.Connection | Session) -> dict[str, int]:
    """Rows of every frequency kind, counted in SQL (one pass over their part of the
    person_key index). The range holds every kind starting with "f" or "g" whatever the
    collation; the exact kinds are picked here."""
    rows = conn.execute(
        sa.select(PersonKey.kind, sa.func.count())
        .where(PersonKey.kind >= "f", PersonKey.kind < "h")
        .group_by(PersonKey.kind)
    )
    return {kind: int(n) for kind, n in rows if is_frequency_kind(kind)}


COMMON = 1000
"""A value held by more persons than this is common: its count is stored with the
denominators (walking its index entries at every check would cost ~1 ms per 1,000)."""


def recount_common(
    conn: sa.Connection | Session, above: int = COMMON
) -> dict[tuple[str, str], int]:
    """Rows of each value of the frequency kinds held by more than ``above`` persons (same
    range as the totals: one pass over that part of the index, streamed in SQL)."""
    n = sa.func.count()
    rows = conn.execute(
        sa.select(PersonKey.kind, PersonKey.key, n)
        .where(PersonKey.kind >= "f", PersonKey.kind < "h")
        .group_by(PersonKey.kind, PersonKey.key)
        .having(n > above)
    )
    return {(kind, key): int(c) for kind, key, c in rows if is_frequency_kind(kind)}


def term_frequencies(
    counts: Mapping[tuple[str, str], int], totals: Mapping[str, int]
) -> TermFrequencies:
    """The matcher's frequencies of the values counted in ``counts`` ((kind, key) -> rows)
    over the denominators ``totals`` (rows per kind, with the population)."""
    by_value: dict[tuple[str, str], dict[str, int]] = {}
    for (kind, key), n in counts.items():
        found = category_of(kind)
        if found is not None:
            by_value.setdefault(found, {})[key] = n
    denominators = {}
    for kind, n in totals.items():
        found = category_of(kind)
        if found is not None:
            denominators[found] = n
    return TermFrequencies.from_counts(by_value, denominators, totals.get(PERSONS, 0))


def store_totals(
    conn: sa.Connection | Session,
    totals: Mapping[str, int],
    common: Mapping[tuple[str, str], int] | None = None,
    at: dt.datetime | None = None,
) -> dt.datetime:
    """Write the denominators and the common values' counts into match_total (one upsert
    per row, in key order, so two desks storing at once wait for each other instead of
    deadlocking; the last writer wins); rows no longer counted are dropped."""
    from sqlalchemy.dialects import postgresql, sqlite

    at = at or clock.now()
    counts = {(kind, ""): n for kind, n in {PERSONS: 0, **totals}.items()} | dict(common or {})
    rows = [{"kind": k, "key": v, "n": n, "counted_at": at} for (k, v), n in sorted(counts.items())]
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    dialect: Any = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(MatchTotal)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[MatchTotal.kind, MatchTotal.key],
            set_={"n": stmt.excluded.n, "counted_at": stmt.excluded.counted_at},
        ),
        rows,
    )
    conn.execute(sa.delete(MatchTotal).where(MatchTotal.counted_at < at))
    return at


def stored_totals(conn: sa.Connection | Session) -> tuple[dict[str, int], dt.datetime | None]:
    """The stored denominators (rows per kind) and when counted (None: never)."""
    totals: dict[str, int] = {}
    at: dt.datetime | None = None
    for kind, n, counted_at in conn.execute(
        sa.select(MatchTotal.kind, MatchTotal.n, MatchTotal.counted_at).where(MatchTotal.key == "")
    ):
        totals[kind] = int(n)
        at = counted_at if at is None else min(at, counted_at)
    return totals, at


RECORD_COLUMNS = (
    Person.given_names,
    Person.first_surname,
    Person.second_surname,
    Person.birth_date,
    Person.sex,
    Person.nationality,
    Person.phone,
    Person.phone2,
)
"""A person's columns the matcher reads, after its id, in `record_of`'s order."""


def load_records(session: Session, ids: Sequence[uuid.UUID] | None = None) -> list[PersonRecord]:
    """Live persons as matcher records (all of them when ``ids`` is None)."""
    stmt = sa.select(Person.id, *RECORD_COLUMNS).where(Person.merged_into_id.is_(None))
    doc_stmt = sa.select(
        IdentityDocument.person_id, IdentityDocument.type_key, IdentityDocument.number_norm
    )
    if ids is not None:
        stmt = stmt.where(Person.id.in_(ids))
        doc_stmt = doc_stmt.where(IdentityDocument.person_id.in_(ids))
    docs: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
    for pid, type_key, number in session.execute(doc_stmt):
        docs[pid].append((type_key, number))
    return [
        record_of(
            r.id,
            r.given_names,
            r.first_surname,
            r.second_surname,
            r.birth_date,
            r.sex,
            r.nationality,
            docs.get(r.id, ()),
            (r.phone, r.phone2),
        )
        for r in session.execute(stmt)
    ]


def refresh_totals(engine: sa.Engine | sa.Connection) -> dict[str, int]:
    """Recount the denominators in SQL and store them: read in one transaction, written
    in another, short one (on SQLite a recount never holds the write lock)."""
    if isinstance(engine, sa.Connection):
        totals = recount_totals(engine)
        store_totals(engine, totals, recount_common(engine))
        return totals
    with engine.connect() as conn:
        totals = recount_totals(conn)
        common = recount_common(conn)
        conn.rollback()
    with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
        store_totals(conn, totals, common)
    return totals
