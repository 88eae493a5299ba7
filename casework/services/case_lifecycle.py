"""A case's life: closed with an outcome, reopened, put on hold and resumed.

Who may: the case's worker, a supervisor of its programme, an office-wide supervisor (the
same rule as the case's flags, services/cases.py). Each change is one transaction: the case
row is locked first (``edits.lock``), its status checked as it is *now*, and the change,
its history row (``case_event``, shown on the person's timeline) and its audit rows written
together. Two desks closing one case at once: the first closes it, the second is told who
closed it and when (``Conflict("lifecycle_already_closed")``), and writes nothing.

Closing settles what hangs on the case, as the worker chooses: its pending follow-ups are
cancelled or kept, its open referrals cancelled (through the referral service's own move,
so a referral's history and rules stay one) or left open. A closed case starts its
retention clock at ``closed_at`` (services/retention.py); reopening clears ``closed_at``,
so the case leaves the review queue.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from casework.errors import Conflict, EditConflict, NotAllowed
from casework.models import Case, CaseEvent, FollowUp, Programme, Referral, Worker
from casework.models.base import utcnow
from casework.models.enums import (
    REFERRAL_OPEN,
    CaseEventKind,
    CaseOutcome,
    CaseStatus,
    FollowUpStatus,
    ReferralStatus,
)
from casework.services import gate, referrals
from casework.services.cases import _may_edit
from casework.services.context import Context, audit, validate
from casework.services.edits import lock
from casework.services.gate import AccessReason, Read, person_read
from casework.services.live_person import live_person
from casework.services.outbox import online_only
from casework.services.schemas import Input, OptText, Output, Text, local_today

NOTE_MAX = 1000


class CloseIn(Input):
    outcome: CaseOutcome
    note: OptText = Field(default=None, max_length=NOTE_MAX, validate_default=True)
    follow_ups: Literal["cancel", "keep"] = "cancel"
    """The case's pending follow-ups: cancelled with the case (the default) or kept."""
    referrals: Literal["cancel", "leave"] = "cancel"
    """The case's open referrals: cancelled with the case (the default) or left open."""

    @field_validator("note")
    @classmethod
    def _note(cls, value: str | None, info: ValidationInfo) -> str | None:
        # On the field, not the form: the desk shows the message beside the note.
        if info.data.get("outcome") is CaseOutcome.OTHER and not value:
            raise PydanticCustomError("lifecycle_note_required", "say why")
        return value


class ReopenIn(Input):
    reason: Text = Field(max_length=NOTE_MAX)


class HoldIn(Input):
    reason: Text = Field(max_length=NOTE_MAX)
    until: dt.date | None = None
    """The day the worker means to take the case up again; today or later."""

    @field_validator("until")
    @classmethod
    def _until(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and value < local_today():
            raise PydanticCustomError("lifecycle_until_past", "in the past")
        return value


class ResumeIn(Input):
    note: OptText = Field(default=None, max_length=NOTE_MAX)


class LifecycleOut(Output):
    """The case the person file's lifecycle dialog works on, with what closing would settle."""

    case_id: uuid.UUID
    person_id: uuid.UUID
    programme_name: str
    worker_name: str
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    closing_outcome: str | None
    closing_note: str | None
    hold_until: dt.date | None
    pending_follow_ups: int
    """Pending follow-ups closing would cancel (or keep)."""
    open_referrals: int
    """Open referrals closing would cancel (or leave open)."""
    may_change: bool
    version: int = 1


class ChangeOut(Output):
    """What a change did."""

    case_id: uuid.UUID
    status: str
    follow_ups_cancelled: int = 0
    referrals_cancelled: int = 0


# What hangs on a case ------------------------------------------------------------------------


def _others_open(session: Session, case: Case) -> bool:
    """Whether the person has another case that is not closed."""
    return bool(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Case)
            .where(
                Case.person_id == case.person_id,
                Case.id != case.id,
                Case.status != CaseStatus.CLOSED.value,
            )
        )
    )


def _of_case(session: Session, case: Case, column: Any) -> Any:
    """Rows linked to the case by ``column``; when it is the person's only case not closed,
    rows linked to no case too (a follow-up scheduled from the file, older referrals)."""
    if _others_open(session, case):
        return column == case.id
    return sa.or_(column == case.id, column.is_(None))


def _open_referrals(session: Session, case: Case, *, for_update: bool = False) -> list[Referral]:
    """The case's referrals not yet settled (:data:`REFERRAL_OPEN`)."""
    stmt = (
        sa.select(Referral)
        .where(
            Referral.person_id == case.person_id,
            _of_case(session, case, Referral.case_id),
            Referral.status.in_([s.value for s in REFERRAL_OPEN]),
        )
        .order_by(Referral.id)
    )
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(stmt))


def _pending_follow_ups(
    session: Session, case: Case, *, for_update: bool = False
) -> list[FollowUp]:
    """The case's pending follow-ups: linked to it, or to one of its referrals."""
    referral_ids = sa.select(Referral.id).where(
        Referral.person_id == case.person_id, _of_case(session, case, Referral.case_id)
    )
    stmt = (
        sa.select(FollowUp)
        .where(
            FollowUp.person_id == case.person_id,
            FollowUp.status == FollowUpStatus.PENDING.value,
            sa.or_(
                _of_case(session, case, FollowUp.case_id),
                FollowUp.referral_id.in_(referral_ids),
            ),
        )
        .order_by(FollowUp.id)
    )
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(stmt))


def _out(session: Session, reader: Worker, case: Case) -> LifecycleOut:
    programme = session.get(Programme, case.programme_id)
    worker = session.get(Worker, case.worker_id)
    is_closed = case.status == CaseStatus.CLOSED.value
    return LifecycleOut(
        case_id=case.id,
        person_id=case.person_id,
        programme_name=programme.name if programme else "",
        worker_name=worker.full_name if worker else "",
        status=case.status,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        closing_outcome=case.closing_outcome,
        closing_note=case.closing_note,
        hold_until=case.hold_until,
        pending_follow_ups=0 if is_closed else len(_pending_follow_ups(session, case)),
        open_referrals=0 if is_closed else len(_open_referrals(session, case)),
        may_change=_may_edit(reader, case),
        version=case.version,
    )


@person_read
def current(
    ctx: Context, person_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> LifecycleOut | None:
    """The case the lifecycle dialog works on: the reader's own case not closed, else one
    of the reader's programme not closed, else the most recent of the reader's programme,
    else the most recent; None when the person has no case. Read through the gate."""
    with ctx.db.write() as session:
        reader = gate.read_person(session, ctx, person_id, Read.CURRENT_CASE, reason).reader
        found = session.scalars(
            sa.select(Case).where(Case.person_id == person_id).order_by(Case.opened_at.desc())
        ).all()
        if not found:
            return None

        def rank(case: Case) -> tuple[bool, bool, bool]:
            is_open = case.status != CaseStatus.CLOSED.value
            ours = case.programme_id == reader.programme_id
            return (is_open and case.worker_id == reader.id, is_open and ours, ours)

        return _out(session, reader, max(found, key=rank))  # max keeps the newest of equals


# Changes ---------------------------------------------------------------------------------


def _begin(
    session: Session, ctx: Context, case_id: uuid.UUID, reason: AccessReason | str | None
) -> tuple[Worker, Case, dict[str, Any]]:
    """The actor, the case locked with its status as it is now, and the write rule's
    details for the audit rows; refused for whoever may not change the case."""
    worker = ctx.actor(session)
    case = lock(session, Case, case_id, "case")
    live_person(session, case.person_id)
    details = gate.write_person(session, worker, case.person_id, reason)
    if not _may_edit(worker, case):
        raise NotAllowed("lifecycle_not_allowed")
    return worker, case, details


def _last_event(session: Session, case: Case, kind: CaseEventKind) -> tuple[str, dt.datetime]:
    row = session.execute(
        sa.select(Worker.full_name, CaseEvent.at)
        .join(Worker, Worker.id == CaseEvent.worker_id)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == kind.value)
        .order_by(CaseEvent.at.desc())
        .limit(1)
    ).first()
    if row is None:
        return "?", case.closed_at or case.last_activity_at
    return row[0], row[1]


def _refuse(session: Session, case: Case, allowed: Sequence[CaseStatus]) -> None:
    """Refuse a change the case's status does not allow now (another desk may have changed
    it since the form opened), saying who made the change that stands in the way, and when."""
    if case.status in {s.value for s in allowed}:
        return
    if case.status == CaseStatus.CLOSED.value:
        who, at = _last_event(session, case, CaseEventKind.CLOSE)
        raise EditConflict(code="lifecycle_already_closed", list_fields=False, who=who, at=at)
    if allowed == (CaseStatus.CLOSED,):
        who, at = _last_event(session, case, CaseEventKind.REOPEN)
        raise EditConflict(code="lifecycle_not_closed", list_fields=False, who=who, at=at)
    if case.status == CaseStatus.ON_HOLD.value:
        who, at = _last_event(session, case, CaseEventKind.HOLD)
        raise EditConflict(code="lifecycle_already_on_hold", list_fields=False, who=who, at=at)
    who, at = _last_event(session, case, CaseEventKind.RESUME)
    raise EditConflict(code="lifecycle_not_on_hold", list_fields=False, who=who, at=at)


def _record(
    session: Session,
    ctx: Context,
    worker: Worker,
    case: Case,
    kind: CaseEventKind,
    to: CaseStatus,
    details: Mapping[str, Any],
    **values: Any,
) -> ChangeOut:
    """Move the case to ``to``, with its history row and its audit row."""
    now = utcnow()
    before = case.status
    case.status = to.value
    case.last_activity_at = now
    session.add(
        CaseEvent(
            case_id=case.id,
            kind=kind.value,
            from_status=before,
            to_status=to.value,
            at=now,
            worker_id=worker.id,
            **values,
        )
    )
    counts = {k: values[k] for k in ("follow_ups_cancelled", "referrals_cancelled") if k in values}
    # Ids and counts only, as every audit row (the outcome and the note are the case's):
    # the trail reads "closed the case · 2 follow-ups, 1 referral".
    settled = {
        "follow_up": counts.get("follow_ups_cancelled"),
        "referral": counts.get("referrals_cancelled"),
    }
    audit(
        session,
        ctx,
        f"case_{kind.value}",
        "case",
        case.id,
        person_id=case.person_id,
        **{k: n for k, n in settled.items() if n},
        **details,
    )
    return ChangeOut(case_id=case.id, status=to.value, **counts)


@online_only("case_lifecycle.close")
def close(
    ctx: Context,
    case_id: uuid.UUID,
    data: CloseIn | Mapping[str, Any],
    *,
    reason: AccessReason | str | None = None,
) -> ChangeOut:
    """Close an open or held case with an outcome; settle its pending follow-ups and open
    referrals as ``data`` says. A case already closed is refused
    (``lifecycle_already_closed``: who closed it and when) and nothing is written."""
    close_in = validate(CloseIn, data)
    with ctx.db.write() as session:
        worker, case, details = _begin(session, ctx, case_id, reason)
        _refuse(session, case, (CaseStatus.OPEN, CaseStatus.ON_HOLD))
        refs_cancelled = 0
        # A cancelled referral settles its own follow-up: those count as cancelled too.
        pending_before = len(_pending_follow_ups(session, case, for_update=True))
        if close_in.referrals == "cancel":
            for ref in _open_referrals(session, case, for_update=True):
                # The referral service's own move: its history, rules and audit row.
                referrals._move(
                    session, ctx, ref, worker, ReferralStatus.CANCELLED, None, False, details
                )
                refs_cancelled += 1
            session.flush()
        fus_cancelled = pending_before - len(_pending_follow_ups(session, case, for_update=False))
        if close_in.follow_ups == "cancel":
            now = utcnow()
            for row in _pending_follow_ups(session, case, for_update=True):
                row.status = FollowUpStatus.CANCELLED.value
                row.completed_at = now
                audit(
                    session,
                    ctx,
                    FollowUpStatus.CANCELLED.value,
                    "follow_up",
                    row.id,
                    person_id=row.person_id,
                    case_id=str(case.id),
                    **details,
                )
                fus_cancelled += 1
        case.closed_at = utcnow()
        case.closing_outcome = close_in.outcome.value
        case.closing_reason = close_in.outcome.value  # closed_has_reason: the code
        case.closing_note = close_in.note
        case.hold_until = None
        return _record(
            session,
            ctx,
            worker,
            case,
            CaseEventKind.CLOSE,
            CaseStatus.CLOSED,
            details,
            outcome=close_in.outcome.value,
            note=close_in.note,
            follow_ups_cancelled=fus_cancelled,
            referrals_cancelled=refs_cancelled,
        )


@online_only("case_lifecycle.reopen")
def reopen(
    ctx: Context,
    case_id: uuid.UUID,
    data: ReopenIn | Mapping[str, Any],
    *,
    reason: AccessReason | str | None = None,
) -> ChangeOut:
    """Reopen a closed case, saying why: its closing is cleared (the history keeps it), so
    it leaves the retention review. Refused when the case is not closed, or when the person
    already has another case of that programme that is not closed (work goes on there)."""
    reopen_in = validate(ReopenIn, data)
    with ctx.db.write() as session:
        worker, case, details = _begin(session, ctx, case_id, reason)
        _refuse(session, case, (CaseStatus.CLOSED,))
        # The person's cases (a handful, on the person_id index), filtered here: with the
        # programme in the WHERE, SQLite walks the programme's whole index instead.
        other = next(
            (
                oid
                for oid, programme, status in session.execute(
                    sa.select(Case.id, Case.programme_id, Case.status).where(
                        Case.person_id == case.person_id
                    )
                )
                if oid != case.id
                and programme == case.programme_id
                and status != CaseStatus.CLOSED.value
            ),
            None,
        )
        if other is not None:
            raise Conflict("lifecycle_other_case_open")
        case.closed_at = None
        case.closing_outcome = None
        case.closing_reason = None
        case.closing_note = None
        return _record(
            session,
            ctx,
            worker,
            case,
            CaseEventKind.REOPEN,
            CaseStatus.OPEN,
            details,
            note=reopen_in.reason,
        )


@online_only("case_lifecycle.hold")
def hold(
    ctx: Context,
    case_id: uuid.UUID,
    data: HoldIn | Mapping[str, Any],
    *,
    reason: AccessReason | str | None = None,
) -> ChangeOut:
    """Put an open case on hold, saying why, optionally until a day."""
    hold_in = validate(HoldIn, data)
    with ctx.db.write() as session:
        worker, case, details = _begin(session, ctx, case_id, reason)
        _refuse(session, case, (CaseStatus.OPEN,))
        case.hold_until = hold_in.until
        return _record(
            session,
            ctx,
            worker,
            case,
            CaseEventKind.HOLD,
            CaseStatus.ON_HOLD,
            details,
            note=hold_in.reason,
            hold_until=hold_in.until,
        )


@online_only("case_lifecycle.resume")
def resume(
    ctx: Context,
    case_id: uuid.UUID,
    data: ResumeIn | Mapping[str, Any] | None = None,
    *,
    reason: AccessReason | str | None = None,
) -> ChangeOut:
    """Take up a case on hold again (a note is optional)."""
    resume_in = validate(ResumeIn, data or {})
    with ctx.db.write() as session:
        worker, case, details = _begin(session, ctx, case_id, reason)
        _refuse(session, case, (CaseStatus.ON_HOLD,))
        case.hold_until = None
        return _record(
            session,
            ctx,
            worker,
            case,
            CaseEventKind.RESUME,
            CaseStatus.OPEN,
            details,
            note=resume_in.note,
        )


def timeline_events(session: Session, person_id: uuid.UUID) -> list[tuple[CaseEvent, Case]]:
    """The person's case history, for the timeline (services/person_file.py), inside its
    read: found through the cases, so a merged person's history came with their cases."""
    return [
        (ev, case)
        for ev, case in session.execute(
            sa.select(CaseEvent, Case)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.person_id == person_id)
        ).all()
    ]
