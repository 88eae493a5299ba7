"""Follow-ups: schedule, complete, miss, cancel, reschedule, and the worker's due list."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.errors import EditConflict, FieldConflict, FieldError, InvalidInput
from casework.models import AuditEvent, FollowUp, Person, Worker
from casework.models.base import utcnow
from casework.models.enums import FollowUpStatus
from casework.services import gate, paging
from casework.services.context import Context, audit, remember, replayed, validate
from casework.services.edits import FieldChange, apply_changes, lock, same
from casework.services.gate import AccessReason, Read, person_read
from casework.services.live_person import live_person
from casework.services.outbox import offline_command
from casework.services.paging import Page
from casework.services.schemas import FollowUpCloseIn, FollowUpIn, Output, local_today


class FollowUpOut(Output):
    id: uuid.UUID
    person_id: uuid.UUID
    worker_id: uuid.UUID
    referral_id: uuid.UUID | None
    guidance_id: uuid.UUID | None
    due_on: dt.date
    what: str
    status: str
    completed_at: dt.datetime | None
    outcome: str | None
    version: int = 1
    person_name: str = ""

    def overdue(self, today: dt.date | None = None) -> bool:
        return self.status == FollowUpStatus.PENDING.value and self.due_on < (
            today or local_today()
        )

    @property
    def open(self) -> bool:
        """Still to be done: only an open follow-up is closed or postponed."""
        return self.status == FollowUpStatus.PENDING.value

    def postponed_to(self) -> dt.date:
        """The date a postponement proposes: a week after its due day, or after today when
        that is already past."""
        return max(self.due_on, local_today()) + dt.timedelta(days=DEFAULT_DAYS)


DEFAULT_DAYS = 7
"""How far ahead a new follow-up, or a postponed one, is proposed."""


def default_due() -> dt.date:
    """The date a new follow-up's form proposes."""
    return local_today() + dt.timedelta(days=DEFAULT_DAYS)


def add_follow_up(
    session: Session,
    ctx: Context,
    person_id: uuid.UUID,
    data: FollowUpIn,
    worker_id: uuid.UUID,
    **details: Any,
) -> FollowUp:
    """Inside an open transaction (used by referrals and guidance too), after the caller
    passed the write rule (services/gate.py ``write_person``); ``details`` are what it
    returned, for the audit row."""
    row = FollowUp(
        person_id=person_id,
        worker_id=data.worker_id or worker_id,
        case_id=data.case_id,
        referral_id=data.referral_id,
        guidance_id=data.guidance_id,
        due_on=data.due_on,
        what=data.what,
    )
    session.add(row)
    session.flush()
    audit(session, ctx, "create", "follow_up", row.id, person_id=person_id, **details)
    return row


def _not_in_the_past(due_on: dt.date) -> None:
    """A follow-up a worker schedules or moves is due today or later: one already late the
    moment it is saved is a typo (the year, the month), so it is refused, nothing written."""
    if due_on < local_today():
        raise InvalidInput([FieldError("due_on", "due_in_past")])


@offline_command("followups.schedule")
def schedule(
    ctx: Context,
    person_id: uuid.UUID,
    data: FollowUpIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
    reason: AccessReason | str | None = None,
) -> uuid.UUID:
    """Schedule a follow-up of the person. Outside the worker's caseload it needs the file's
    reason (services/gate.py ``write_person``)."""
    follow_in = validate(FollowUpIn, data)
    _not_in_the_past(follow_in.due_on)
    with ctx.db.write() as session:
        done = replayed(session, request_id, "schedule_follow_up")
        if done is not None:
            return done
        worker = ctx.actor(session)
        live_person(session, person_id)
        details = gate.write_person(session, worker, person_id, reason)
        row = add_follow_up(session, ctx, person_id, follow_in, worker.id, **details)
        remember(session, request_id, "schedule_follow_up", row.id)
        return row.id


@offline_command("followups.close")
def close(
    ctx: Context,
    follow_up_id: uuid.UUID,
    data: FollowUpCloseIn | Mapping[str, Any],
    *,
    reason: AccessReason | str | None = None,
) -> None:
    """Done (with what came of it), missed or cancelled. Only a pending one can be closed:
    one another desk closed meanwhile raises EditConflict ``follow_up_closed_by`` (who closed
    it, when, as what, with what outcome) and nothing is written, unless it was closed
    exactly so (then there is nothing to do). Outside the worker's caseload it needs the
    file's reason (services/gate.py ``write_person``)."""
    close_in = validate(FollowUpCloseIn, data)
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        row = lock(session, FollowUp, follow_up_id, "follow_up")
        details = gate.write_person(session, worker, row.person_id, reason)
        typed = {"status": close_in.status.value, "outcome": close_in.outcome}
        if row.status != FollowUpStatus.PENDING.value:
            if all(same(getattr(row, k), v) for k, v in typed.items()):
                return
            raise closed_by(session, row, typed)
        apply_changes(
            row,
            {
                "status": FieldChange(base=FollowUpStatus.PENDING.value, new=typed["status"]),
                "outcome": FieldChange(base=None, new=typed["outcome"]),
            },
        )
        row.completed_at = utcnow()
        audit(
            session,
            ctx,
            close_in.status.value,
            "follow_up",
            row.id,
            person_id=row.person_id,
            **details,
        )


CLOSING_ACTIONS = tuple(s.value for s in FollowUpStatus if s is not FollowUpStatus.PENDING)
"""The audit actions that close a follow-up (their worker is who closed it)."""


def closed_by(session: Session, row: FollowUp, typed: Mapping[str, Any]) -> EditConflict:
    """The conflict for an edit of a follow-up another desk closed meanwhile: who closed it,
    when, as what and with what outcome, and what this edit typed (the field conflicts)."""
    who = session.scalar(
        sa.select(Worker.full_name)
        .join(AuditEvent, AuditEvent.worker_id == Worker.id)
        .where(
            AuditEvent.entity == "follow_up",
            AuditEvent.entity_id == row.id,
            AuditEvent.action.in_(CLOSING_ACTIONS),
        )
        .order_by(AuditEvent.at.desc())
        .limit(1)
    )
    base = {"status": FollowUpStatus.PENDING.value, "outcome": None, "due_on": row.due_on}
    conflicts = [
        FieldConflict(name, base.get(name), getattr(row, name), value, _LABELS.get(name))
        for name, value in typed.items()
        if not same(getattr(row, name), value)
    ]
    shown_typed = typed.get("outcome") or typed.get("due_on") or typed.get("status")
    return EditConflict(
        conflicts,
        "follow_up_closed_by",
        labels={"status": "fu", "typed": "fu"},
        list_fields=False,
        who=who or "?",
        at=row.completed_at,
        status=row.status,
        outcome=row.outcome,
        typed=shown_typed,
    )


_LABELS = {"status": "fu"}


@offline_command("followups.reschedule")
def reschedule(
    ctx: Context,
    follow_up_id: uuid.UUID,
    due_on: dt.date,
    *,
    base: dt.date | None = None,
    reason: AccessReason | str | None = None,
) -> None:
    """Move a pending follow-up to ``due_on``. ``base`` is the date the form showed: another
    desk's different new date meanwhile is an EditConflict, and so is a follow-up closed
    meanwhile (who closed it, when, with what outcome); nothing is written then. Outside the
    worker's caseload it needs the file's reason (services/gate.py ``write_person``)."""
    _not_in_the_past(due_on)
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        row = lock(session, FollowUp, follow_up_id, "follow_up")
        details = gate.write_person(session, worker, row.person_id, reason)
        if row.status != FollowUpStatus.PENDING.value:
            raise closed_by(session, row, {"due_on": due_on})
        changed = apply_changes(
            row, {"due_on": FieldChange(base=row.due_on if base is None else base, new=due_on)}
        )
        if changed:
            audit(
                session, ctx, "reschedule", "follow_up", row.id, person_id=row.person_id, **details
            )


def _out(rows: list[tuple[FollowUp, str, str, str | None]]) -> list[FollowUpOut]:
    return [
        FollowUpOut.model_validate(row).model_copy(
            update={"person_name": " ".join(p for p in (g, s1, s2) if p)}
        )
        for row, g, s1, s2 in rows
    ]


def due_for_worker(
    ctx: Context,
    worker_id: uuid.UUID | None = None,
    *,
    until: dt.date | None = None,
    since: dt.date | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> Page[FollowUpOut]:
    """Pending follow-ups due from ``since`` (default: any day) up to ``until`` (default
    today), oldest first: overdue ones lead. A page of ``limit`` rows from ``offset``
    (services/paging.py: ``total`` is the whole list's count)."""
    until = until or local_today()
    with ctx.db.read() as session:
        worker_id = gate.colleague(session, ctx, worker_id)
        stmt = (
            sa.select(FollowUp, Person.given_names, Person.first_surname, Person.second_surname)
            .join(Person, Person.id == FollowUp.person_id)
            .where(
                FollowUp.worker_id == worker_id,
                FollowUp.status == FollowUpStatus.PENDING.value,
                FollowUp.due_on <= until,
            )
        )
        if since is not None:
            stmt = stmt.where(FollowUp.due_on >= since)
        order = [(FollowUp.due_on, False), (FollowUp.created_at, False), (FollowUp.id, False)]
        page = paging.fetch(session, stmt, order, offset=offset, limit=limit)
        return page.mapped(_out([tuple(r) for r in page]))


@person_read
def for_person(
    ctx: Context, person_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> list[FollowUpOut]:
    """The person's follow-ups, read through the gate (services/gate.py)."""
    with ctx.db.write() as session:
        gate.read_person(session, ctx, person_id, Read.FOLLOW_UPS, reason)
        return load_for_person(session, person_id)


def load_for_person(session: Session, person_id: uuid.UUID) -> list[FollowUpOut]:
    """Inside a read the gate let through."""
    stmt = (
        sa.select(FollowUp, Person.given_names, Person.first_surname, Person.second_surname)
        .join(Person, Person.id == FollowUp.person_id)
        .where(FollowUp.person_id == person_id)
        .order_by(FollowUp.due_on)
    )
    return _out([tuple(r) for r in session.execute(stmt)])  # type: ignore[misc]
