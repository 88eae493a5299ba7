"""Who a case is with: reassigning a case, or all of a worker's open work, to a colleague of
the same programme, and transferring a case to another programme (issue #15, point 3).

Rules:

- a case moves with its **pending follow-ups** (whoever they are assigned to); moving a
  worker's whole work also moves every pending follow-up assigned to them, so nothing is
  left with someone who no longer signs in;
- the receiving worker is active, of the case's programme (of the receiving programme for a
  transfer), a desk worker or a supervisor (administrators manage staff, not files);
- one case is reassigned by a supervisor of its programme (or office-wide); a worker's
  whole work by such a supervisor or by an administrator (the staff list, deactivation);
- a transfer is requested by the case's worker or a supervisor of its programme, with a
  reason; the receiving programme's supervisor (or an office-wide one) accepts it, choosing
  the worker, or declines it with a reason; the requester may withdraw it while it waits.
  At most one transfer of a case waits at a time (a partial unique index).

Every move is one transaction with one ``reassign`` / ``transfer_*`` audit row per case
(with the person), and for a whole worker's work one ``reassign_referral`` row per open
referral and one summary row of the worker too. A worker's whole work is their open cases,
their pending follow-ups and their open referrals (:data:`REFERRAL_OPEN`): a referral left
with someone who no longer signs in waits on nobody's list.

Races (PostgreSQL, READ COMMITTED; SQLite runs one write at a time): every write locks the
workers involved first (id order, ``FOR NO KEY UPDATE``: a desk inserting a row that points
at them is not held up), then the case, then the transfer, so two moves never deadlock and
the second one reads what the first committed. A move carries the worker it was shown
(``base_worker_id``): when the case was moved meanwhile it is refused, saying to whom.
Deactivating a worker (services/staff.py ``set_active``) moves their work under the same
locks (:func:`move_work`).

Reassigning is an organisational act, not a processing of the person's data: it is
audited with the person (so it shows on their file and their trail) without passing the
blocking check of :func:`casework.services.context.audit` -- a blocked person's case must
still find a worker when its worker leaves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from casework.errors import Conflict, EditConflict, FieldError, InvalidInput, NotAllowed, NotFound
from casework.models import (
    AuditEvent,
    Case,
    CaseTransfer,
    FollowUp,
    Person,
    Programme,
    Referral,
    Worker,
)
from casework.models.base import utcnow
from casework.models.enums import REFERRAL_OPEN, CaseStatus, FollowUpStatus, Role
from casework.models.transfer import TransferState
from casework.services import gate
from casework.services.context import Context, validate
from casework.services.gate import AccessReason, Read, person_read
from casework.services.locking import violated
from casework.services.outbox import online_only
from casework.services.schemas import Input, Output, Text

PENDING_INDEX = "uq_case_transfer_pending"
CHUNK = 500
"""Case ids per statement when a whole worker's work moves (SQLite's bound parameters)."""
RECEIVING_ROLES = (Role.WORKER.value, Role.SUPERVISOR.value)


# Outputs ------------------------------------------------------------------------------------


class Colleague(Output):
    """A worker a case can go to."""

    id: uuid.UUID
    full_name: str


class ProgrammeChoice(Output):
    id: uuid.UUID
    name: str


class TransferOut(Output):
    """One transfer request, as the lists and the case dialog show it."""

    id: uuid.UUID
    case_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    from_programme: str
    to_programme: str
    to_programme_id: uuid.UUID
    requested_by: str
    requested_at: dt.datetime
    reason: str
    state: str
    decided_by: str = ""
    decided_at: dt.datetime | None = None
    decision_reason: str = ""
    version: int = 1


class CaseAssignment(Output):
    """The person's case the dialog acts on: who has it, and where it can go."""

    case_id: uuid.UUID
    person_id: uuid.UUID
    programme_id: uuid.UUID
    programme_name: str
    worker_id: uuid.UUID
    worker_name: str
    receivers: list[Colleague]
    """Active colleagues of the case's programme other than its worker."""
    programmes: list[ProgrammeChoice]
    """Other active programmes, for a transfer."""
    pending: TransferOut | None
    may_reassign: bool
    may_request_transfer: bool


class Workload(Output):
    """A worker's open work, and who can take it."""

    worker_id: uuid.UUID
    full_name: str
    open_cases: int
    pending_follow_ups: int
    receivers: list[Colleague]
    open_referrals: int = 0
    """Referrals not yet settled (:data:`REFERRAL_OPEN`) the worker follows."""

    @property
    def empty(self) -> bool:
        return not (self.open_cases or self.pending_follow_ups or self.open_referrals)


class Moved(Output):
    """What a move changed."""

    cases: int
    follow_ups: int
    to_worker: str
    referrals: int = 0


# Inputs -------------------------------------------------------------------------------------


class ReassignIn(Input):
    to_worker_id: uuid.UUID
    base_worker_id: uuid.UUID
    """The worker the dialog showed: when the case is with someone else by now, refused."""


class MoveWorkIn(Input):
    to_worker_id: uuid.UUID


class TransferIn(Input):
    to_programme_id: uuid.UUID
    reason: Text = Field(max_length=1000)


class AcceptIn(Input):
    to_worker_id: uuid.UUID
    version: int


class DeclineIn(Input):
    reason: Text = Field(max_length=1000)
    version: int


# Helpers ------------------------------------------------------------------------------------

OPEN_STATUSES = (CaseStatus.OPEN.value, CaseStatus.ON_HOLD.value)


def _record(
    session: Session,
    ctx: Context,
    action: str,
    entity: str,
    entity_id: uuid.UUID,
    person_id: uuid.UUID | None = None,
    **details: Any,
) -> None:
    """An audit row of this transaction; see the module docstring for why not ``audit``."""
    session.add(
        AuditEvent(
            worker_id=ctx.actor_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            person_id=person_id,
            details={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in details.items()},
        )
    )


def _lock_workers(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Worker]:
    out: dict[uuid.UUID, Worker] = {}
    for wid in sorted({i for i in ids if i is not None}):
        row = session.scalar(
            sa.select(Worker)
            .where(Worker.id == wid)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        if row is not None:
            out[wid] = row
    return out


def _peek(session: Session, stmt: sa.Select[Any], what: str) -> uuid.UUID:
    """One id read before taking the locks (which rows to lock), as a column, not a row:
    a row already loaded would make the locking read check its version and fail."""
    found: uuid.UUID | None = session.scalar(stmt)
    if found is None:
        raise NotFound("not_found", what=what)
    return found


def _lock_case(session: Session, case_id: uuid.UUID) -> Case:
    row = session.scalar(
        sa.select(Case)
        .where(Case.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound("not_found", what="case")
    return row


def _supervises(actor: Worker, programme_id: uuid.UUID) -> bool:
    """An active supervisor of this programme, or an office-wide one."""
    if not actor.active or actor.role != Role.SUPERVISOR.value:
        return False
    return gate.is_office_wide(actor) or actor.programme_id == programme_id


def _receiver(
    workers: Mapping[uuid.UUID, Worker], to_id: uuid.UUID, programme_id: uuid.UUID
) -> Worker:
    row = workers.get(to_id)
    if row is None:
        raise InvalidInput([FieldError("to_worker_id", "not_found", {"what": "worker"})])
    if not row.active:
        raise Conflict("assign_receiver_inactive", name=row.full_name)
    if row.programme_id != programme_id or row.role not in RECEIVING_ROLES:
        raise InvalidInput([FieldError("to_worker_id", "assign_other_programme")])
    return row


def _colleagues(
    session: Session, programme_id: uuid.UUID | None, without: uuid.UUID | None
) -> list[Colleague]:
    if programme_id is None:
        return []
    stmt = (
        sa.select(Worker)
        .where(
            Worker.programme_id == programme_id,
            Worker.active.is_(True),
            Worker.role.in_(RECEIVING_ROLES),
        )
        .order_by(Worker.full_name)
    )
    if without is not None:
        stmt = stmt.where(Worker.id != without)
    return [Colleague(id=w.id, full_name=w.full_name) for w in session.scalars(stmt)]


def _move_case(
    session: Session,
    ctx: Context,
    case: Case,
    to: Worker,
    action: str,
    programme_id: uuid.UUID | None = None,
    **details: Any,
) -> int:
    """Give the case (and its pending follow-ups) to ``to``; returns the follow-ups moved."""
    old = case.worker_id
    moved = _updated(
        session,
        sa.update(FollowUp)
        .where(
            FollowUp.case_id == case.id,
            FollowUp.status == FollowUpStatus.PENDING.value,
            FollowUp.worker_id != to.id,
        )
        .values(worker_id=to.id),
    )
    # The case's open referrals the old worker followed go with it (else nobody waits on them).
    referrals_moved = _updated(
        session,
        sa.update(Referral)
        .where(
            Referral.case_id == case.id,
            Referral.worker_id == old,
            Referral.status.in_(OPEN_REFERRALS),
        )
        .values(worker_id=to.id),
    )
    case.worker_id = to.id
    if programme_id is not None:
        case.programme_id = programme_id
    _record(
        session,
        ctx,
        action,
        "case",
        case.id,
        case.person_id,
        from_worker=old,
        to_worker=to.id,
        follow_ups=moved,
        referrals=referrals_moved,
        **details,
    )
    return moved


def _updated(session: Session, stmt: Any) -> int:
    """Rows a bulk UPDATE changed (the follow-ups' version is left alone: what they say and
    when they are due did not change, so a desk closing one meanwhile is not refused)."""
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _names(session: Session, model: Any, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    col = model.full_name if model is Worker else model.name
    return dict(session.execute(sa.select(model.id, col).where(model.id.in_(ids))).all())


def _transfers_out(session: Session, rows: list[tuple[CaseTransfer, Case]]) -> list[TransferOut]:
    workers = _names(
        session,
        Worker,
        {t.requested_by for t, _ in rows} | {t.decided_by for t, _ in rows if t.decided_by},
    )
    progs = _names(
        session,
        Programme,
        {t.from_programme_id for t, _ in rows} | {t.to_programme_id for t, _ in rows},
    )
    person_ids = {c.person_id for _, c in rows}
    people: dict[uuid.UUID, str] = {}
    if person_ids:
        for p in session.scalars(sa.select(Person).where(Person.id.in_(person_ids))):
            people[p.id] = " ".join(
                n for n in (p.given_names, p.first_surname, p.second_surname) if n
            )
    return [
        TransferOut(
            id=t.id,
            case_id=c.id,
            person_id=c.person_id,
            person_name=people.get(c.person_id, ""),
            from_programme=progs.get(t.from_programme_id, ""),
            to_programme=progs.get(t.to_programme_id, ""),
            to_programme_id=t.to_programme_id,
            requested_by=workers.get(t.requested_by, ""),
            requested_at=t.requested_at,
            reason=t.reason,
            state=t.state,
            decided_by=workers.get(t.decided_by, "") if t.decided_by else "",
            decided_at=t.decided_at,
            decision_reason=t.decision_reason or "",
            version=t.version,
        )
        for t, c in rows
    ]


# One case -----------------------------------------------------------------------------------


def _current_case(session: Session, actor: Worker, person_id: uuid.UUID) -> Case | None:
    """The person's open case in the actor's programme, else their most recently active one."""
    stmt = sa.select(Case).where(Case.person_id == person_id, Case.status.in_(OPEN_STATUSES))
    rows = list(session.scalars(stmt.order_by(Case.last_activity_at.desc())))
    mine = [c for c in rows if c.programme_id == actor.programme_id]
    found = mine or rows
    return found[0] if found else None


@person_read
def case_assignment(
    ctx: Context, person_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> CaseAssignment | None:
    """The person's open case as the reassign and transfer dialogs show it (None: no open
    case). Read through the gate, as the file is."""
    with ctx.db.write() as session:
        reading = gate.read_person(session, ctx, person_id, Read.CURRENT_CASE, reason)
        case = _current_case(session, reading.reader, person_id)
        if case is None:
            return None
        actor = reading.reader
        progs = _names(session, Programme, {case.programme_id})
        worker = session.get(Worker, case.worker_id)
        pending = session.execute(
            sa.select(CaseTransfer, Case)
            .join(Case, Case.id == CaseTransfer.case_id)
            .where(
                CaseTransfer.case_id == case.id,
                CaseTransfer.state == TransferState.PENDING.value,
            )
        ).all()
        others = session.scalars(
            sa.select(Programme)
            .where(Programme.active.is_(True), Programme.id != case.programme_id)
            .order_by(Programme.name)
        )
        supervising = _supervises(actor, case.programme_id)
        return CaseAssignment(
            case_id=case.id,
            person_id=person_id,
            programme_id=case.programme_id,
            programme_name=progs.get(case.programme_id, ""),
            worker_id=case.worker_id,
            worker_name=worker.full_name if worker else "",
            receivers=_colleagues(session, case.programme_id, case.worker_id),
            programmes=[ProgrammeChoice(id=p.id, name=p.name) for p in others],
            pending=_transfers_out(session, [tuple(r) for r in pending])[0] if pending else None,  # type: ignore[misc]
            may_reassign=supervising,
            may_request_transfer=supervising or case.worker_id == actor.id,
        )


@online_only("assignment.reassign_case")
def reassign_case(ctx: Context, case_id: uuid.UUID, data: ReassignIn | Mapping[str, Any]) -> Moved:
    """Give one case, with its pending follow-ups, to a colleague of its programme
    (supervisors of the programme, or office-wide)."""
    move = validate(ReassignIn, data)
    with ctx.db.write() as session:
        actor = ctx.require_role(session, Role.SUPERVISOR)
        holder_id = _peek(session, sa.select(Case.worker_id).where(Case.id == case_id), "case")
        workers = _lock_workers(session, (holder_id, move.to_worker_id, actor.id))
        case = _lock_case(session, case_id)
        if not _supervises(actor, case.programme_id):
            raise NotAllowed("other_programme")
        if case.status not in OPEN_STATUSES:
            raise Conflict("assign_case_closed")
        if case.worker_id != move.base_worker_id:
            holder = session.get(Worker, case.worker_id)
            raise EditConflict(
                code="assign_case_moved", list_fields=False, name=holder.full_name if holder else ""
            )
        to = _receiver(workers, move.to_worker_id, case.programme_id)
        if to.id == case.worker_id:
            raise InvalidInput([FieldError("to_worker_id", "assign_same_worker")])
        n = _move_case(session, ctx, case, to, "reassign")
        return Moved(cases=1, follow_ups=n, to_worker=to.full_name)


# A worker's whole work ----------------------------------------------------------------------


def _may_move_work(actor: Worker, worker: Worker) -> bool:
    if actor.role == Role.ADMIN.value and actor.active:
        return True
    return worker.programme_id is not None and _supervises(actor, worker.programme_id)


OPEN_REFERRALS = tuple(sorted(s.value for s in REFERRAL_OPEN))


def _open_referrals(worker_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return sa.and_(Referral.worker_id == worker_id, Referral.status.in_(OPEN_REFERRALS))


def _counts(session: Session, worker_id: uuid.UUID) -> tuple[int, int, int]:
    cases = session.scalar(
        sa.select(sa.func.count()).where(
            Case.worker_id == worker_id, Case.status.in_(OPEN_STATUSES)
        )
    )
    open_cases = sa.select(Case.id).where(
        Case.worker_id == worker_id, Case.status.in_(OPEN_STATUSES)
    )
    follow_ups = session.scalar(
        sa.select(sa.func.count()).where(
            FollowUp.status == FollowUpStatus.PENDING.value,
            sa.or_(FollowUp.worker_id == worker_id, FollowUp.case_id.in_(open_cases)),
        )
    )
    referrals = session.scalar(sa.select(sa.func.count()).where(_open_referrals(worker_id)))
    return int(cases or 0), int(follow_ups or 0), int(referrals or 0)


def workload(ctx: Context, worker_id: uuid.UUID) -> Workload:
    """How many open cases and pending follow-ups the worker has, and the colleagues who
    can take them (supervisors of the worker's programme, office-wide ones, admins)."""
    with ctx.db.read() as session:
        actor = ctx.actor(session)
        row = session.get(Worker, worker_id)
        if row is None:
            raise NotFound("not_found", what="worker")
        if not _may_move_work(actor, row):
            raise NotAllowed("role_required", role=f"{Role.SUPERVISOR.value}/{Role.ADMIN.value}")
        cases, follow_ups, referrals = _counts(session, worker_id)
        return Workload(
            worker_id=row.id,
            full_name=row.full_name,
            open_cases=cases,
            pending_follow_ups=follow_ups,
            open_referrals=referrals,
            receivers=_colleagues(session, row.programme_id, row.id),
        )


def move_work(
    session: Session, ctx: Context, worker: Worker, to_worker_id: uuid.UUID, why: str
) -> Moved:
    """Inside an open transaction that holds ``worker`` locked: give every open case of the
    worker (with its pending follow-ups), and every pending follow-up assigned to them, to
    ``to_worker_id``, an active colleague of the same programme."""
    if to_worker_id == worker.id:
        raise InvalidInput([FieldError("to_worker_id", "assign_same_worker")])
    workers = _lock_workers(session, (to_worker_id,))
    if worker.programme_id is None:
        raise InvalidInput([FieldError("to_worker_id", "assign_other_programme")])
    to = _receiver(workers, to_worker_id, worker.programme_id)
    # In bulk, not row by row: a worker leaving after years holds thousands of cases
    # (4,291 cases and 3,089 follow-ups moved in 19 s one by one, well under one in bulk).
    cases = session.execute(
        sa.select(Case.id, Case.person_id)
        .where(Case.worker_id == worker.id, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.id)
        .with_for_update()
    ).all()
    case_ids = [c for c, _ in cases]
    per_case: dict[uuid.UUID, int] = {}
    for start in range(0, len(case_ids), CHUNK):
        chunk = case_ids[start : start + CHUNK]
        per_case.update(
            (cid, int(n))
            for cid, n in session.execute(
                sa.select(FollowUp.case_id, sa.func.count())
                .where(
                    FollowUp.case_id.in_(chunk),
                    FollowUp.status == FollowUpStatus.PENDING.value,
                    FollowUp.worker_id != to.id,
                )
                .group_by(FollowUp.case_id)
            )
            if cid is not None
        )
        _updated(
            session,
            sa.update(FollowUp)
            .where(
                FollowUp.case_id.in_(chunk),
                FollowUp.status == FollowUpStatus.PENDING.value,
                FollowUp.worker_id != to.id,
            )
            .values(worker_id=to.id),
        )
        # The case's row version moves on as an ORM update would move it.
        _updated(
            session,
            sa.update(Case)
            .where(Case.id.in_(chunk))
            .values(worker_id=to.id, version=Case.version + 1),
        )
    if cases:
        session.execute(
            sa.insert(AuditEvent),
            [
                {
                    "worker_id": ctx.actor_id,
                    "action": "reassign",
                    "entity": "case",
                    "entity_id": case_id,
                    "person_id": person_id,
                    "details": {
                        "from_worker": str(worker.id),
                        "to_worker": str(to.id),
                        "follow_ups": per_case.get(case_id, 0),
                        "reason": why,
                    },
                }
                for case_id, person_id in cases
            ],
        )
    follow_ups = sum(per_case.values())
    # What is left: pending follow-ups of the worker on other cases, or on none.
    follow_ups += _updated(
        session,
        sa.update(FollowUp)
        .where(FollowUp.worker_id == worker.id, FollowUp.status == FollowUpStatus.PENDING.value)
        .values(worker_id=to.id),
    )
    # Open referrals: whoever follows them answers the destination; left with someone who
    # no longer signs in, they wait on nobody's list. Locked like the cases; their version
    # is left alone (what they say did not change: a desk moving one meanwhile is not refused).
    referrals = session.execute(
        sa.select(Referral.id, Referral.person_id)
        .where(_open_referrals(worker.id))
        .order_by(Referral.id)
        .with_for_update()
    ).all()
    ref_ids = [r for r, _ in referrals]
    for start in range(0, len(ref_ids), CHUNK):
        _updated(
            session,
            sa.update(Referral)
            .where(Referral.id.in_(ref_ids[start : start + CHUNK]))
            .values(worker_id=to.id),
        )
    if referrals:
        session.execute(
            sa.insert(AuditEvent),
            [
                {
                    "worker_id": ctx.actor_id,
                    "action": "reassign_referral",
                    "entity": "referral",
                    "entity_id": ref_id,
                    "person_id": person_id,
                    "details": {
                        "from_worker": str(worker.id),
                        "to_worker": str(to.id),
                        "reason": why,
                    },
                }
                for ref_id, person_id in referrals
            ],
        )
    _record(
        session,
        ctx,
        "reassign_work",
        "worker",
        worker.id,
        from_worker=worker.id,
        to_worker=to.id,
        cases=len(cases),
        follow_ups=follow_ups,
        referrals=len(referrals),
        reason=why,
    )
    return Moved(
        cases=len(cases), follow_ups=follow_ups, referrals=len(referrals), to_worker=to.full_name
    )


@online_only("assignment.reassign_work")
def reassign_work(
    ctx: Context, worker_id: uuid.UUID, data: MoveWorkIn | Mapping[str, Any]
) -> Moved:
    """Give all of a worker's open cases and pending follow-ups to a colleague of the same
    programme (supervisors of the programme, office-wide ones, administrators)."""
    move = validate(MoveWorkIn, data)
    with ctx.db.write() as session:
        actor = ctx.actor(session)
        workers = _lock_workers(session, (worker_id, actor.id))
        row = workers.get(worker_id)
        if row is None:
            raise NotFound("not_found", what="worker")
        if not _may_move_work(actor, row):
            raise NotAllowed("role_required", role=f"{Role.SUPERVISOR.value}/{Role.ADMIN.value}")
        return move_work(session, ctx, row, move.to_worker_id, "reassign")


def refuse_orphans(session: Session, worker: Worker) -> None:
    """Before a deactivation without a receiving worker: refuse when the worker has open
    cases, pending follow-ups or open referrals (nothing is written)."""
    cases, follow_ups, referrals = _counts(session, worker.id)
    if cases or follow_ups or referrals:
        raise Conflict(
            "assign_needs_receiver",
            name=worker.full_name,
            cases=cases,
            follow_ups=follow_ups,
            referrals=referrals,
        )


def lock_worker(session: Session, worker_id: uuid.UUID) -> Worker | None:
    """The worker's row, locked as every move here locks it (for services/staff.py)."""
    return _lock_workers(session, (worker_id,)).get(worker_id)


# Transfers ----------------------------------------------------------------------------------


@online_only("assignment.request_transfer")
def request_transfer(
    ctx: Context, case_id: uuid.UUID, data: TransferIn | Mapping[str, Any]
) -> uuid.UUID:
    """Ask another programme to take the case (its worker, or a supervisor of its
    programme). Refused while another request of the case waits."""
    req = validate(TransferIn, data)
    with ctx.db.write() as session:
        actor = ctx.actor(session)
        case = _lock_case(session, case_id)
        if not (case.worker_id == actor.id or _supervises(actor, case.programme_id)):
            raise NotAllowed("not_case_worker")
        if case.status not in OPEN_STATUSES:
            raise Conflict("assign_case_closed")
        target = session.get(Programme, req.to_programme_id)
        if target is None or not target.active or target.id == case.programme_id:
            raise InvalidInput([FieldError("to_programme_id", "not_in_list")])
        row = CaseTransfer(
            case_id=case.id,
            from_programme_id=case.programme_id,
            to_programme_id=target.id,
            requested_by=actor.id,
            reason=req.reason,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except sa.exc.IntegrityError as exc:
            if not violated_pending(exc):
                raise
            raise Conflict("assign_transfer_pending") from None
        _record(
            session,
            ctx,
            "transfer_request",
            "case",
            case.id,
            case.person_id,
            transfer=row.id,
            to_programme=target.id,
        )
        return row.id


def violated_pending(exc: sa.exc.IntegrityError) -> bool:
    text = str(exc.orig)
    if "UNIQUE constraint failed: case_transfer.case_id" in text:
        return True
    try:
        return violated(exc, PENDING_INDEX)
    except KeyError:
        return False


def pending_transfers(ctx: Context) -> list[TransferOut]:
    """The transfers waiting for the signed-in supervisor's programme (every programme's
    for an office-wide one), oldest first. Desk workers and administrators see none."""
    with ctx.db.read() as session:
        actor = ctx.actor(session)
        if actor.role != Role.SUPERVISOR.value:
            return []
        stmt = (
            sa.select(CaseTransfer, Case)
            .join(Case, Case.id == CaseTransfer.case_id)
            .where(CaseTransfer.state == TransferState.PENDING.value)
            .order_by(CaseTransfer.requested_at)
        )
        if not gate.is_office_wide(actor):
            if actor.programme_id is None:
                return []
            stmt = stmt.where(CaseTransfer.to_programme_id == actor.programme_id)
        rows = [(t, c) for t, c in session.execute(stmt).all()]
        return _transfers_out(session, rows)


def pending_count(ctx: Context) -> int:
    """How many transfers wait for the signed-in supervisor (the day's count line)."""
    return len(pending_transfers(ctx))


def receivers(ctx: Context, transfer_id: uuid.UUID) -> list[Colleague]:
    """Who in the receiving programme can take the transferred case."""
    with ctx.db.read() as session:
        actor = ctx.actor(session)
        row = session.get(CaseTransfer, transfer_id)
        if row is None:
            raise NotFound("not_found", what="transfer")
        if not _supervises(actor, row.to_programme_id):
            raise NotAllowed("other_programme")
        return _colleagues(session, row.to_programme_id, None)


def _decided(session: Session, row: CaseTransfer, version: int) -> None:
    """Refuse a decision on a request someone else decided (or withdrew) meanwhile."""
    if row.state == TransferState.PENDING.value and row.version == version:
        return
    who = session.get(Worker, row.decided_by) if row.decided_by else None
    raise EditConflict(
        code="assign_transfer_decided",
        list_fields=False,
        labels={"state": "assign.state"},
        state=row.state,
        name=who.full_name if who else "",
    )


@online_only("assignment.accept_transfer")
def accept_transfer(
    ctx: Context, transfer_id: uuid.UUID, data: AcceptIn | Mapping[str, Any]
) -> Moved:
    """Take the case into the receiving programme, with the chosen worker: the case and its
    pending follow-ups move (supervisors of the receiving programme, or office-wide)."""
    dec = validate(AcceptIn, data)
    with ctx.db.write() as session:
        actor = ctx.require_role(session, Role.SUPERVISOR)
        case_id = _peek(
            session,
            sa.select(CaseTransfer.case_id).where(CaseTransfer.id == transfer_id),
            "transfer",
        )
        holder_id = _peek(session, sa.select(Case.worker_id).where(Case.id == case_id), "case")
        workers = _lock_workers(session, (dec.to_worker_id, actor.id, holder_id))
        case = _lock_case(session, case_id)
        row = session.get(CaseTransfer, transfer_id, with_for_update=True, populate_existing=True)
        assert row is not None
        if not _supervises(actor, row.to_programme_id):
            raise NotAllowed("other_programme")
        _decided(session, row, dec.version)
        if case.status not in OPEN_STATUSES or case.programme_id != row.from_programme_id:
            raise Conflict("assign_case_closed")
        to = _receiver(workers, dec.to_worker_id, row.to_programme_id)
        row.state = TransferState.ACCEPTED.value
        row.decided_by = actor.id
        row.decided_at = utcnow()
        row.to_worker_id = to.id
        n = _move_case(
            session,
            ctx,
            case,
            to,
            "transfer_accept",
            programme_id=row.to_programme_id,
            transfer=row.id,
            from_programme=row.from_programme_id,
            to_programme=row.to_programme_id,
        )
        session.flush()
        return Moved(cases=1, follow_ups=n, to_worker=to.full_name)


@online_only("assignment.decline_transfer")
def decline_transfer(
    ctx: Context, transfer_id: uuid.UUID, data: DeclineIn | Mapping[str, Any]
) -> None:
    """Decline with a reason: the case stays; the requester reads why on the file."""
    dec = validate(DeclineIn, data)
    with ctx.db.write() as session:
        actor = ctx.require_role(session, Role.SUPERVISOR)
        row = session.get(CaseTransfer, transfer_id, with_for_update=True, populate_existing=True)
        if row is None:
            raise NotFound("not_found", what="transfer")
        if not _supervises(actor, row.to_programme_id):
            raise NotAllowed("other_programme")
        _decided(session, row, dec.version)
        row.state = TransferState.DECLINED.value
        row.decided_by = actor.id
        row.decided_at = utcnow()
        row.decision_reason = dec.reason
        case = session.get(Case, row.case_id)
        _record(
            session,
            ctx,
            "transfer_decline",
            "case",
            row.case_id,
            case.person_id if case else None,
            transfer=row.id,
        )
        session.flush()


@online_only("assignment.withdraw_transfer")
def withdraw_transfer(ctx: Context, transfer_id: uuid.UUID, version: int) -> None:
    """The requester (or a supervisor of the case's programme) withdraws a waiting request."""
    with ctx.db.write() as session:
        actor = ctx.actor(session)
        row = session.get(CaseTransfer, transfer_id, with_for_update=True, populate_existing=True)
        if row is None:
            raise NotFound("not_found", what="transfer")
        if not (row.requested_by == actor.id or _supervises(actor, row.from_programme_id)):
            raise NotAllowed("not_case_worker")
        _decided(session, row, version)
        row.state = TransferState.WITHDRAWN.value
        row.decided_by = actor.id
        row.decided_at = utcnow()
        case = session.get(Case, row.case_id)
        _record(
            session,
            ctx,
            "transfer_withdraw",
            "case",
            row.case_id,
            case.person_id if case else None,
            transfer=row.id,
        )
        session.flush()


# The person's timeline ----------------------------------------------------------------------


def history(session: Session, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Reassignments and transfers of the person's cases, for the timeline (inside a
    transaction that passed the read gate): dicts with at, kind, ref, worker, programme
    and data."""
    out: list[dict[str, Any]] = []
    workers = dict(session.execute(sa.select(Worker.id, Worker.full_name)).all())
    progs = dict(session.execute(sa.select(Programme.id, Programme.name)).all())
    for ev in session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.person_id == person_id, AuditEvent.action == "reassign"
        )
    ):
        d = ev.details or {}
        out.append(
            {
                "at": ev.at,
                "kind": "assign_reassign",
                "ref": ev.entity_id or ev.id,
                "worker": ev.worker_id,
                "programme": None,
                "data": {
                    "from_worker": _name_of(workers, d.get("from_worker")),
                    "to_worker": _name_of(workers, d.get("to_worker")),
                    "follow_ups": d.get("follow_ups", 0),
                },
            }
        )
    rows = session.execute(
        sa.select(CaseTransfer, Case)
        .join(Case, Case.id == CaseTransfer.case_id)
        .where(Case.person_id == person_id)
    ).all()
    for tr, _case in rows:
        base = {
            "from_programme": progs.get(tr.from_programme_id, ""),
            "to_programme": progs.get(tr.to_programme_id, ""),
        }
        out.append(
            {
                "at": tr.requested_at,
                "kind": "assign_transfer_request",
                "ref": tr.id,
                "worker": tr.requested_by,
                "programme": tr.from_programme_id,
                "data": {**base, "reason": tr.reason},
            }
        )
        if tr.decided_at is not None:
            out.append(
                {
                    "at": tr.decided_at,
                    "kind": f"assign_transfer_{tr.state}",
                    "ref": tr.id,
                    "worker": tr.decided_by,
                    "programme": tr.to_programme_id,
                    "data": {
                        **base,
                        "reason": tr.decision_reason or "",
                        "to_worker": workers.get(tr.to_worker_id, "") if tr.to_worker_id else "",
                    },
                }
            )
    return out


def _name_of(workers: Mapping[uuid.UUID, str], value: Any) -> str:
    try:
        return workers.get(uuid.UUID(str(value)), "") if value else ""
    except ValueError:
        return ""
