"""Retention (Ley 21.719 art. 3 c: kept only as long as necessary, then erased or
anonymised): a period per record type, the review queue of closed cases past it, and the
supervisor's decision on each: keep (with a reason, until a date) or anonymise.

Anonymising erases the person for real with the same code as an erasure request
(:func:`casework.services.rights.erase_person`) and leaves a tombstone with counts only.
Blanking fields in place was not chosen: what would be left (age, nationality, commune,
dates, free-text notes and referrals) still singles out a person in an office this size,
so it would not be anonymous in the sense of art. 2 k; statistics already released are
aggregates and stay as they are.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Final

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from casework.errors import Conflict, FieldError, InvalidInput, NotAllowed, NotFound
from casework.models import (
    Case,
    Person,
    Programme,
    RetentionPolicy,
    RetentionReview,
    Tombstone,
    Worker,
)
from casework.models.base import utcnow
from casework.models.enums import CaseStatus, Role
from casework.models.security import RetentionDecision
from casework.services import gate, rights
from casework.services.context import Context, audit, validate
from casework.services.outbox import online_only
from casework.services.schemas import Input, Output, Text, local_today

CLOSED_CASE: Final = "closed_case"
DEFAULT_MONTHS: Final[dict[str, int]] = {CLOSED_CASE: 60}
"""Shipped defaults: a closed case is reviewed five years after it was closed (the period
the municipality keeps social-assistance files; an admin may change it)."""
RECORD_TYPES: Final = tuple(DEFAULT_MONTHS)
KEEP_DEFAULT_MONTHS: Final = 12
"""A case kept without a date comes back to the queue after a year."""


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the last day of the month when it does not exist)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# Policy ---------------------------------------------------------------------------------


class PolicyOut(Output):
    record_type: str
    months: int
    default: bool


class PolicyIn(Input):
    record_type: str
    months: int = Field(ge=1, le=1200)


def _months(session: Session, record_type: str) -> int:
    row = session.get(RetentionPolicy, record_type)
    return row.months if row is not None else DEFAULT_MONTHS[record_type]


def policies(ctx: Context) -> list[PolicyOut]:
    """How long each kind of record is kept: the office's settings, no personal data (so
    ``casework retention policy`` reads them without signing in)."""
    with ctx.db.read() as session:
        rows = {r.record_type: r for r in session.scalars(sa.select(RetentionPolicy))}
        return [
            PolicyOut(
                record_type=kind,
                months=rows[kind].months if kind in rows else months,
                default=kind not in rows,
            )
            for kind, months in DEFAULT_MONTHS.items()
        ]


@online_only("retention.set_policy")
def set_policy(ctx: Context, data: PolicyIn | Mapping[str, Any]) -> PolicyOut:
    """An admin sets the period of one record type."""
    policy = validate(PolicyIn, data)
    if policy.record_type not in RECORD_TYPES:
        raise InvalidInput(
            [FieldError("record_type", "unknown_record_type", {"value": policy.record_type})]
        )
    with ctx.db.write() as session:
        admin = ctx.require_role(session, Role.ADMIN)
        row = session.get(RetentionPolicy, policy.record_type)
        if row is None:
            row = RetentionPolicy(record_type=policy.record_type, months=policy.months)
            session.add(row)
        row.months = policy.months
        row.updated_at = utcnow()
        row.updated_by = admin.id
        audit(
            session,
            ctx,
            "update",
            "retention_policy",
            None,
            record_type=policy.record_type,
            months=policy.months,
        )
        return PolicyOut(record_type=row.record_type, months=row.months, default=False)


# The review queue -----------------------------------------------------------------------


class QueueItem(Output):
    case_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    programme_name: str
    closed_on: dt.date
    review_since: dt.date
    """The day the retention period ended."""
    kept_until: dt.date | None = None
    """An earlier decision to keep, now expired."""
    blocked_by: int = 0
    """The person's other cases still open or inside their period: they block anonymising."""


def _cutoff(session: Session) -> dt.datetime:
    """Cases closed before this moment are past their period."""
    today = local_today()
    months = _months(session, CLOSED_CASE)
    start = add_months(today, -months)
    return dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)


def _kept(session: Session) -> dict[uuid.UUID, dt.date]:
    """Person -> latest keep-until date of a decision to keep."""
    rows = session.execute(
        sa.select(RetentionReview.person_id, sa.func.max(RetentionReview.keep_until))
        .where(RetentionReview.decision == RetentionDecision.KEPT.value)
        .group_by(RetentionReview.person_id)
    ).all()
    return {pid: until for pid, until in rows if until is not None}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _queue(session: Session, scope: gate.Scope) -> list[QueueItem]:
    today = local_today()
    cutoff = _cutoff(session)
    months = _months(session, CLOSED_CASE)
    kept = _kept(session)
    rows = session.execute(
        sa.select(Case, Person.given_names, Person.first_surname, Person.second_surname)
        .join(Person, Person.id == Case.person_id)
        .where(
            Case.status == CaseStatus.CLOSED.value,
            Case.closed_at < cutoff,
            Person.merged_into_id.is_(None),
            *([] if scope.programme_id is None else [Case.programme_id == scope.programme_id]),
        )
        .order_by(Case.closed_at)
    ).all()
    programmes = dict(session.execute(sa.select(Programme.id, Programme.name)).all())
    person_ids = {case.person_id for case, *_ in rows}
    blockers: dict[uuid.UUID, int] = {}
    if person_ids:
        for pid, status, closed_at in session.execute(
            sa.select(Case.person_id, Case.status, Case.closed_at).where(
                Case.person_id.in_(person_ids)
            )
        ):
            if (
                closed_at is None
                or status != CaseStatus.CLOSED.value
                or _aware(closed_at) >= cutoff
            ):
                blockers[pid] = blockers.get(pid, 0) + 1
    out = []
    for case, given, first, second in rows:
        until = kept.get(case.person_id)
        if until is not None and until >= today:
            continue
        assert case.closed_at is not None  # the query asked for closed cases
        closed_on = _aware(case.closed_at).date()
        out.append(
            QueueItem(
                case_id=case.id,
                person_id=case.person_id,
                person_name=" ".join(p for p in (given, first, second) if p),
                programme_name=programmes.get(case.programme_id, ""),
                closed_on=closed_on,
                review_since=add_months(closed_on, months),
                kept_until=until,
                blocked_by=blockers.get(case.person_id, 0),
            )
        )
    return out


def review_queue(ctx: Context) -> list[QueueItem]:
    """Closed cases past their retention period with no decision in force, oldest first.
    Supervisors only: a programme supervisor the cases of their programme, an office-wide
    one every case (administrators set the periods, they do not read the queue's names)."""
    with ctx.db.read() as session:
        return _queue(session, gate.supervision(session, ctx))


def _due(session: Session, ctx: Context, case_id: uuid.UUID) -> tuple[QueueItem, Worker]:
    """The queue item of the case, and the supervisor deciding it: a case of another
    programme is ``other_programme`` (office-wide supervisors decide on any)."""
    scope = gate.supervision(session, ctx)
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("not_found", what="case")
    if scope.programme_id is not None and case.programme_id != scope.programme_id:
        raise NotAllowed("other_programme")
    item = next((i for i in _queue(session, scope) if i.case_id == case_id), None)
    if item is None:
        raise Conflict("retention_not_due")
    return item, scope.supervisor


# Decisions ------------------------------------------------------------------------------


class KeepIn(Input):
    reason: Text = Field(max_length=300)
    keep_until: dt.date | None = None


@online_only("retention.keep")
def keep(
    ctx: Context, case_id: uuid.UUID, reason: str, keep_until: dt.date | None = None
) -> dt.date:
    """Keep the person's data for a stated reason until a date (a year by default); the
    case comes back to the queue after that. Returns the date."""
    if not (reason or "").strip():
        raise Conflict("keep_needs_reason")
    decision = validate(KeepIn, {"reason": reason, "keep_until": keep_until})
    today = local_today()
    until = decision.keep_until or add_months(today, KEEP_DEFAULT_MONTHS)
    if until <= today:
        raise Conflict("keep_until_past")
    with ctx.db.write() as session:
        item, supervisor = _due(session, ctx, case_id)
        row = RetentionReview(
            person_id=item.person_id,
            decision=RetentionDecision.KEPT.value,
            reason=decision.reason,
            keep_until=until,
            decided_by=supervisor.id,
        )
        session.add(row)
        session.flush()
        audit(
            session,
            ctx,
            "retention_keep",
            "case",
            case_id,
            person_id=item.person_id,
            review_id=str(row.id),
            keep_until=until.isoformat(),
        )
        return until


class AnonymiseReport(Output):
    person_id: uuid.UUID
    rows: dict[str, int]


@online_only("retention.anonymise")
def anonymise(ctx: Context, case_id: uuid.UUID) -> AnonymiseReport:
    """Erase the personal data of the case's person, when none of their other cases is
    open or inside its period; a tombstone and the decision keep ids and counts only."""
    with ctx.db.write() as session:
        item, supervisor = _due(session, ctx, case_id)
        if item.blocked_by:
            raise Conflict("retention_other_case", count=item.blocked_by)
        rows = rights.erase_person(session, item.person_id)
        rows.pop("_persons")
        session.add(
            Tombstone(
                person_id=item.person_id,
                worker_id=supervisor.id,
                reason="retention",
                counts=rows,
            )
        )
        session.add(
            RetentionReview(
                person_id=item.person_id,
                decision=RetentionDecision.ANONYMISED.value,
                reason="retention period ended",
                decided_by=supervisor.id,
            )
        )
        audit(
            session,
            ctx,
            "retention_anonymise",
            "person",
            item.person_id,
            person_id=item.person_id,
            case_id=str(case_id),
            **rows,
        )
    rights.compact(ctx)
    return AnonymiseReport(person_id=item.person_id, rows=rows)
