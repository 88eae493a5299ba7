"""Duplicate candidates at intake: who on record may be the person being typed.

The matcher (``casework.matching``) scores on term frequencies kept in the database as
persons are written (``casework.services.match_records``): each check reads the counts of
the values typed, exact and live, and denominators at most ``likely.TF_MAX_AGE`` old.
Candidates are picked by the blocking keys they share with what has been typed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.matching import Matcher, PersonRecord
from casework.models.base import UTCDateTime
from casework.services.context import Context
from casework.services.likely import (
    LIKELY,
    Candidate,
    LikelyDuplicate,
    candidate_ids,
    forget_frequencies,
    is_stale,
    likely,
    matcher_for,
    ranked_on_record,
    remember_frequencies,
)
from casework.services.match_records import record_of, refresh_totals, stored_totals

__all__ = [
    "LIKELY",
    "Candidate",
    "LikelyDuplicate",
    "Typed",
    "candidate_ids",
    "forget_frequencies",
    "intake_candidates",
    "likely",
    "matcher",
    "remember_frequencies",
    "typed_candidates",
    "warm",
]


def warm(ctx: Context) -> None:
    """Ahead of the first keystroke (the intake screen calls this in a worker): read the
    stored denominators (a handful of rows), and recount them here when they are missing
    or old, so the checks that follow never wait for a recount."""
    with ctx.db.read() as session:
        ctx.actor(session)
        totals, counted_at = stored_totals(session)
    if not totals or counted_at is None or is_stale(counted_at):
        refresh_totals(ctx.db.engine)


def matcher(ctx: Context, session: Session, probe: PersonRecord) -> Matcher:
    """A matcher with the frequencies of ``probe``'s values (inside the caller's session)."""
    return matcher_for(session, probe)


# Intake ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Typed:
    """What has been typed so far in the intake form, as the form holds it."""

    given_names: str = ""
    first_surname: str = ""
    second_surname: str = ""
    birth_date: dt.date | None = None
    sex: str | None = None
    documents: tuple[tuple[str, str], ...] = ()
    """(type, number) of each document typed."""
    phone: str = ""

    @property
    def searchable(self) -> bool:
        """Enough to look for the person on record: a first surname or a document."""
        return bool(self.first_surname or self.documents)

    def probe(self) -> PersonRecord:
        """The matcher's record of what has been typed."""
        return record_of(
            "intake",
            self.given_names,
            self.first_surname,
            self.second_surname or None,
            self.birth_date,
            self.sex,
            None,
            self.documents,
            (self.phone,),
        )


def intake_candidates(
    ctx: Context, probe: PersonRecord, limit: int = 5, min_score: float = 0.02
) -> list[Candidate]:
    """The persons on record who may be the one being typed, best first, with reasons."""
    with ctx.db.read() as session:
        ctx.actor(session)
        found = ranked_on_record(session, probe, limit=limit, min_score=min_score)
        last = _last_contacts(session, [c.id for _, c in found]) if found else {}
        return [Candidate(c.summary(last.get(c.id)), r.score, r.reasons) for r, c in found]


_LAST_CONTACTS = (
    sa.text(
        "SELECT person_id, max(occurred_at) AS at FROM contact"
        " WHERE person_id IN :ids GROUP BY person_id"
    )
    .bindparams(sa.bindparam("ids", expanding=True, type_=sa.Uuid()))
    .columns(sa.column("person_id", sa.Uuid()), sa.column("at", UTCDateTime()))
)


def _last_contacts(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dt.datetime]:
    """When each of these persons was last seen (those ever seen)."""
    return dict(session.execute(_LAST_CONTACTS, {"ids": ids}).all())


def typed_candidates(ctx: Context, typed: Typed) -> list[Candidate]:
    """:func:`intake_candidates` for what has been typed in the intake form; nothing
    until it is :attr:`Typed.searchable`."""
    if not typed.searchable:
        return []
    return intake_candidates(ctx, typed.probe())
