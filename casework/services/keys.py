"""The person_key table: search tokens, document keys and the duplicate matcher's keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.matching.normalise import normalise_document
from casework.models import Person, PersonKey, PersonMerge
from casework.services.match_records import record_of, stored_keys
from casework.text import alnum_upper, fold, tokens

NAME = "name"
DOC = "doc"
KEY_MAX = 120
CANDIDATES = 2_000
"""Matches looked at per search; past that the worker keeps typing to narrow it."""


def sort_name(first_surname: str, second_surname: str | None, given_names: str) -> str:
    return fold(" ".join(p for p in (first_surname, second_surname or "", given_names) if p))[:300]


def person_keys(
    given_names: str,
    first_surname: str,
    second_surname: str | None,
    social_name: str | None,
    documents: Iterable[tuple[str, str]],
) -> set[tuple[str, str]]:
    """(kind, key) rows for one person; documents are (type, normalised number) pairs."""
    keys: set[tuple[str, str]] = set()
    for part in (given_names, first_surname, second_surname or "", social_name or ""):
        keys.update((NAME, tok[:KEY_MAX]) for tok in tokens(part))
    for type_key, number in documents:
        keys.update((DOC, key) for key in doc_keys(type_key, number))
    return keys


def doc_keys(type_key: str, number: str) -> set[str]:
    """A document's keys: the number as stored (what a search types) and the matcher's
    reading of it, when different (a national id "HT-998877" is also found as "998877",
    the way the intake duplicate panel looks it up)."""
    if not number:
        return set()
    return {
        alnum_upper(number)[:KEY_MAX],
        alnum_upper(normalise_document(type_key, number))[:KEY_MAX],
    } - {""}


def refresh(session: Session, person: Person) -> None:
    """Recompute a person's keys inside the current transaction."""
    session.flush()
    session.execute(sa.delete(PersonKey).where(PersonKey.person_id == person.id))
    rows = person_keys(
        person.given_names,
        person.first_surname,
        person.second_surname,
        person.social_name,
        ((d.type_key, d.number_norm) for d in person.documents),
    )
    rows |= stored_keys(
        record_of(
            person.id,
            person.given_names,
            person.first_surname,
            person.second_surname,
            person.birth_date,
            person.sex,
            person.nationality,
            ((d.type_key, d.number_norm) for d in person.documents),
            (person.phone, person.phone2),
        )
    )
    session.execute(
        sa.insert(PersonKey),
        [{"person_id": person.id, "kind": kind, "key": key} for kind, key in sorted(rows)],
    )


def prefix_filter(kind: str, prefix: str) -> sa.ColumnElement[bool]:
    """An index-friendly prefix match on person_key (same SQL on SQLite and PostgreSQL)."""
    return sa.and_(
        PersonKey.kind == kind,
        PersonKey.key >= prefix,
        PersonKey.key < prefix + "\uffff",
    )


def search_ids(session: Session, text: str, limit: int) -> list[uuid.UUID]:
    """Ids of live persons whose name tokens start with every typed token, or whose
    document starts with what was typed (RUN with or without dots and dash)."""
    words = tokens(text)
    if not words:
        return []
    selects: list[sa.Select[Any]] = []
    compact = alnum_upper(text)
    looks_like_doc = any(ch.isdigit() for ch in text)
    if looks_like_doc:
        if compact.startswith("CL") and compact[2:3].isdigit():
            compact = compact[2:]
        selects = [sa.select(PersonKey.person_id).where(prefix_filter(DOC, compact))]
    else:
        # Longest token first: it is the most selective.
        for word in sorted(set(words), key=len, reverse=True):
            selects.append(sa.select(PersonKey.person_id).where(prefix_filter(NAME, word)))
    base = selects[0] if len(selects) == 1 else sa.intersect(*selects)
    matched = base.limit(CANDIDATES).subquery()
    wanted = sa.select(matched.c[0])
    if session.scalar(sa.select(PersonMerge.id).limit(1)) is not None:
        # A record merged into another is found under its old spelling and shows the survivor.
        survivors = sa.select(Person.merged_into_id).where(
            Person.merged_into_id.is_not(None), Person.id.in_(wanted)
        )
        condition = sa.or_(Person.id.in_(wanted), Person.id.in_(survivors))
    else:
        condition = Person.id.in_(wanted)
    stmt = (
        sa.select(Person.id)
        .where(condition, Person.merged_into_id.is_(None))
        .order_by(Person.sort_name)
        .limit(limit)
    )
    return list(session.scalars(stmt))
