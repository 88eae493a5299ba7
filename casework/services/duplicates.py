"""Persons already on record who may be the one being typed at intake.

A first, simple matcher: same document, or same surname with the same given name or birth
date. The full Fellegi–Sunter matcher (``casework.matching``) replaces it behind the same
function.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework import rut
from casework.models import IdentityDocument, Person, PersonKey
from casework.services import keys
from casework.services.context import Context
from casework.services.persons import _summaries
from casework.services.schemas import PersonSummary
from casework.text import alnum_upper, tokens

MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Probe:
    """Whatever has been typed so far on the intake form."""

    given_names: str = ""
    first_surname: str = ""
    second_surname: str = ""
    birth_date: dt.date | None = None
    documents: tuple[tuple[str, str], ...] = ()
    phone: str = ""


@dataclass(frozen=True)
class Candidate:
    person: PersonSummary
    score: float
    reasons: tuple[tuple[str, dict[str, str]], ...] = field(default_factory=tuple)
    """(reason code, params) pairs; the screen words them in the UI language."""


def _doc_keys(probe: Probe) -> list[str]:
    out = []
    for type_key, number in probe.documents:
        if type_key in ("run", "rut") and rut.is_valid(number):
            out.append(alnum_upper(rut.canonical(number)))
        elif len(alnum_upper(number)) >= 5:
            out.append(alnum_upper(number))
    return out


def _ids_for(session: Session, probe: Probe) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    doc_hits: set[uuid.UUID] = set()
    for key in _doc_keys(probe):
        doc_hits.update(
            session.scalars(
                sa.select(PersonKey.person_id).where(
                    PersonKey.kind == keys.DOC, PersonKey.key == key
                )
            )
        )
    name_hits: set[uuid.UUID] = set()
    surnames = [
        tok for tok in tokens(f"{probe.first_surname} {probe.second_surname}") if len(tok) >= 3
    ]
    if surnames:
        same_surname = sa.select(PersonKey.person_id).where(
            sa.or_(*(keys.prefix_filter(keys.NAME, tok[:4]) for tok in surnames))
        )
        given = [tok for tok in tokens(probe.given_names) if len(tok) >= 2]
        alternatives: list[sa.ColumnElement[bool]] = []
        if given:
            alternatives.append(
                Person.id.in_(
                    sa.select(PersonKey.person_id).where(
                        sa.or_(*(keys.prefix_filter(keys.NAME, tok[:3]) for tok in given))
                    )
                )
            )
        if probe.birth_date is not None:
            b = probe.birth_date
            dates = {b}
            if b.day <= 12:
                dates.add(dt.date(b.year, b.day, b.month))
            alternatives.append(Person.birth_date.in_(dates))
        if alternatives:
            stmt = sa.select(Person.id).where(Person.id.in_(same_surname), sa.or_(*alternatives))
            name_hits.update(session.scalars(stmt.limit(MAX_CANDIDATES)))
    return doc_hits, name_hits


def intake_candidates(ctx: Context, probe: Probe, limit: int = 5) -> list[Candidate]:
    with ctx.db.read() as session:
        doc_hits, name_hits = _ids_for(session, probe)
        ids = list(doc_hits | name_hits)
        if not ids:
            return []
        people = {
            p.id: p
            for p in session.scalars(
                sa.select(Person).where(Person.id.in_(ids), Person.merged_into_id.is_(None))
            )
        }
        docs: dict[uuid.UUID, set[str]] = {}
        for pid, norm in session.execute(
            sa.select(IdentityDocument.person_id, IdentityDocument.number_norm).where(
                IdentityDocument.person_id.in_(ids)
            )
        ):
            docs.setdefault(pid, set()).add(alnum_upper(norm))
        scored: list[tuple[float, uuid.UUID, tuple[tuple[str, dict[str, str]], ...]]] = []
        typed_docs = set(_doc_keys(probe))
        for pid, person in people.items():
            score, reasons = _score(probe, person, typed_docs & docs.get(pid, set()))
            if score >= 0.3:
                scored.append((score, pid, reasons))
        scored.sort(key=lambda s: -s[0])
        top = scored[:limit]
        summaries = {s.id: s for s in _summaries(session, [pid for _, pid, _ in top])}
        return [Candidate(summaries[pid], score, reasons) for score, pid, reasons in top]


def _score(
    probe: Probe, person: Person, same_docs: set[str]
) -> tuple[float, tuple[tuple[str, dict[str, str]], ...]]:
    reasons: list[tuple[str, dict[str, str]]] = []
    score = 0.0
    if same_docs:
        reasons.append(("same_document", {}))
        score += 0.9
    typed_surnames = set(tokens(f"{probe.first_surname} {probe.second_surname}"))
    their_surnames = set(tokens(f"{person.first_surname} {person.second_surname or ''}"))
    common = typed_surnames & their_surnames
    if common:
        score += 0.3 if len(common) == 1 else 0.4
        first_typed = tokens(probe.first_surname)[:1]
        first_theirs = tokens(person.first_surname)[:1]
        if first_typed and first_typed != first_theirs and set(first_typed) <= their_surnames:
            reasons.append(("surnames_swapped", {}))
        else:
            reasons.append(("same_surname", {}))
    typed_given = tokens(probe.given_names)
    their_given = tokens(person.given_names)
    if typed_given and their_given:
        if typed_given[0] == their_given[0]:
            score += 0.3
            reasons.append(("same_given_name", {}))
        elif their_given[0].startswith(typed_given[0]) or typed_given[0].startswith(their_given[0]):
            score += 0.15
    if probe.birth_date and person.birth_date:
        b, p = probe.birth_date, person.birth_date
        if b == p:
            score += 0.3
            reasons.append(("same_birth_date", {}))
        elif (b.year, b.month, b.day) == (p.year, p.day, p.month):
            score += 0.2
            reasons.append(("dob_day_month_swapped", {}))
        elif abs(b.year - p.year) == 1 and (b.month, b.day) == (p.month, p.day):
            score += 0.15
            reasons.append(("dob_year_off_by_one", {}))
        else:
            score -= 0.4
            reasons.append(("different_birth_date", {}))
    return min(score, 1.0), tuple(reasons)
