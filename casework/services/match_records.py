"""Persons as the duplicate matcher reads them: records and their stored blocking keys.

The scoring is ``casework.matching`` (Fellegi–Sunter with term-frequency adjustment); its
blocking keys live in ``person_key`` (kinds prefixed ``m.``, written by
:func:`casework.services.keys.refresh`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.matching import PersonRecord, match_keys
from casework.models import IdentityDocument, Person

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


def stored_keys(rec: PersonRecord, *, remember: bool = True) -> set[tuple[str, str]]:
    """The matcher's keys this person gets in person_key (``remember``: see
    :func:`casework.matching.match_keys`)."""
    return {
        (PREFIX + kind, key[:120])
        for kind, key in match_keys(rec, remember=remember)
        if kind in STORED_KINDS
    }


def load_records(session: Session, ids: Sequence[uuid.UUID] | None = None) -> list[PersonRecord]:
    """Live persons as matcher records (all of them when ``ids`` is None)."""
    stmt = sa.select(
        Person.id,
        Person.given_names,
        Person.first_surname,
        Person.second_surname,
        Person.birth_date,
        Person.sex,
        Person.nationality,
        Person.phone,
        Person.phone2,
    ).where(Person.merged_into_id.is_(None))
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
