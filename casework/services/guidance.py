"""Regularization guidance: a route from the shipped data, its checklist, its deadlines."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from types import EllipsisType
from typing import Any, Protocol

import sqlalchemy as sa

from casework import refdata
from casework.errors import NotFound
from casework.models import FollowUp, Guidance, GuidanceItem
from casework.models.base import utcnow
from casework.models.enums import FollowUpStatus, GuidanceItemState
from casework.services import gate
from casework.services.context import Context, audit, get_or_404, remember, replayed, validate
from casework.services.edits import FieldChange, apply_changes, lock
from casework.services.followups import add_follow_up
from casework.services.gate import AccessReason, Read, person_read
from casework.services.live_person import live_person
from casework.services.locking import lock_persons
from casework.services.outbox import offline_command
from casework.services.persons import open_case
from casework.services.schemas import (
    FollowUpIn,
    GuidanceIn,
    GuidanceItemIn,
    Output,
    local_today,
)

PERMIT_EXPIRED = frozenset({"transit_expired", "temporary_expired"})
"""Migration statuses whose permit has run out."""
ENTRY_CUTOFF = dt.date(2022, 2, 12)
"""Entries before this day (Ley 21.325 in force) are asked about separately."""


class GuidanceItemOut(Output):
    item_key: str
    kind: str
    state: str
    updated_at: dt.datetime
    version: int = 1


class Entry(Protocol):
    """What the screener reads of a migration status (a person_file.StatusOut is one)."""

    @property
    def entry_date(self) -> dt.date | None: ...

    @property
    def entry_authorised(self) -> bool | None: ...

    @property
    def refuge_requested(self) -> bool: ...


class Situation(Protocol):
    """What the screener reads of a person's file (a PersonDetail is one)."""

    @property
    def birth_date(self) -> dt.date | None: ...

    @property
    def current_status(self) -> str | None: ...

    @property
    def statuses(self) -> Sequence[Entry]: ...


def next_item_state(state: str, step: int = 1) -> str:
    """The checklist state ``step`` places after ``state`` (negative: before), in the order
    an item goes through (pending, explained, gathered, submitted, resolved, not
    applicable), wrapping round."""
    states = [s.value for s in GuidanceItemState]
    return states[(states.index(state) + step) % len(states)]


def initial_answers(person: Situation, today: dt.date | None = None) -> dict[str, bool]:
    """The screener's answers the file already gives (minor, permit expired, irregular
    entry, entered before 2022-02-12...); the worker confirms or changes them. A question
    the file says nothing about is left out."""
    answers: dict[str, bool] = {}
    if person.birth_date is not None:
        on = today or local_today()
        born = person.birth_date
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        answers["minor"] = age < 18
    status = person.current_status or ""
    if status:
        answers["current_temporary_resident"] = status == "temporary"
        answers["permit_expired"] = status in PERMIT_EXPIRED
    current = person.statuses[-1] if person.statuses else None
    if current is not None and current.entry_authorised is not None:
        answers["irregular_entry"] = not current.entry_authorised
    if current is not None and current.refuge_requested:
        answers["fear_of_return"] = True
    if current is not None and current.entry_date is not None:
        answers["entered_before_2022_02_12"] = current.entry_date < ENTRY_CUTOFF
    return answers


def propose_routes(answers: Mapping[str, bool | None]) -> list[tuple[refdata.Route, list[str]]]:
    """The routes open from inside Chile for the screener's answers, each with its reasons
    in Spanish (refdata.screen_routes)."""
    return refdata.screen_routes(answers)


class GuidanceOut(Output):
    id: uuid.UUID
    person_id: uuid.UUID
    route_id: str
    sermig_application: str | None
    next_step: str | None
    next_step_on: dt.date | None
    closed: bool
    created_at: dt.datetime
    version: int = 1
    items: list[GuidanceItemOut]
    planned: dict[str, tuple[dt.date, dt.date]] = {}
    """The route's deadlines planned and pending (filled by :func:`get`): key -> (the day
    it counts from, the day it is due)."""


class RouteOpened(Output):
    """What starting a route did: opened a new checklist, or ``resumed`` the one already
    open for the person on that route since ``since``."""

    id: uuid.UUID
    resumed: bool
    since: dt.datetime


@offline_command("guidance.start")
def start(
    ctx: Context,
    person_id: uuid.UUID,
    data: GuidanceIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
    reason: AccessReason | str | None = None,
) -> uuid.UUID:
    """Open guidance on a route (or resume the one already open: :func:`open_route`)."""
    return open_route(ctx, person_id, data, request_id=request_id, reason=reason).id


@offline_command("guidance.open_route")
def open_route(
    ctx: Context,
    person_id: uuid.UUID,
    data: GuidanceIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
    reason: AccessReason | str | None = None,
) -> RouteOpened:
    """Open guidance on a route: its steps and documents become a checklist. A route
    already open for the person is resumed, not started twice: its id comes back with
    ``resumed`` and nothing is written. Two desks starting the same route at once wait for
    each other on the person's row (FOR NO KEY UPDATE on PostgreSQL, SQLite's one write
    lock), so the second resumes the first's; the unique index ``uq_guidance_open_route``
    (migration 0018) is the backstop. Outside the worker's caseload it needs the file's
    reason (services/gate.py ``write_person``)."""
    guidance_in = validate(GuidanceIn, data)
    route = refdata.route(guidance_in.route_id)
    assert route is not None
    with ctx.db.write() as session:
        done = replayed(session, request_id, "start_guidance")
        if done is not None:
            made = session.get(Guidance, done)
            return RouteOpened(id=done, resumed=False, since=made.created_at if made else utcnow())
        worker = ctx.actor(session)
        person = live_person(session, person_id)
        opened = gate.write_person(session, worker, person.id, reason)
        lock_persons(session, [person.id], key_share=True)
        already = session.scalars(
            sa.select(Guidance)
            .where(
                Guidance.person_id == person.id,
                Guidance.route_id == route.id,
                Guidance.closed.is_(False),
            )
            .order_by(Guidance.created_at)
            .limit(1)
        ).first()
        if already is not None:
            return RouteOpened(id=already.id, resumed=True, since=already.created_at)
        case = open_case(session, person, worker)
        row = Guidance(
            person_id=person.id,
            case_id=case.id,
            worker_id=worker.id,
            route_id=route.id,
            sermig_application=guidance_in.sermig_application,
            next_step=guidance_in.next_step,
            next_step_on=guidance_in.next_step_on,
        )
        position = 0
        for step in route.steps:
            row.items.append(
                GuidanceItem(item_key=f"step:{step.key}", kind="step", position=position)
            )
            position += 1
        for doc in route.documents:
            row.items.append(
                GuidanceItem(item_key=f"doc:{doc.key}", kind="document", position=position)
            )
            position += 1
        session.add(row)
        session.flush()
        if guidance_in.next_step_on is not None:
            add_follow_up(
                session,
                ctx,
                person.id,
                FollowUpIn(
                    due_on=guidance_in.next_step_on,
                    what=guidance_in.next_step or route.name_es,
                    guidance_id=row.id,
                    case_id=case.id,
                ),
                worker.id,
            )
        case.last_activity_at = utcnow()
        remember(session, request_id, "start_guidance", row.id)
        audit(
            session,
            ctx,
            "create",
            "guidance",
            row.id,
            person_id=person.id,
            route=route.id,
            **opened,
        )
        return RouteOpened(id=row.id, resumed=False, since=row.created_at)


@offline_command("guidance.set_item")
def set_item(
    ctx: Context,
    guidance_id: uuid.UUID,
    data: GuidanceItemIn | Mapping[str, Any],
    *,
    reason: AccessReason | str | None = None,
) -> None:
    """Move one checklist item to ``state``. ``from_state`` is the state the checklist
    showed: another desk's different move meanwhile raises EditConflict and nothing is
    written; the same move meanwhile leaves nothing to do. Outside the worker's caseload it
    needs the file's reason (services/gate.py ``write_person``)."""
    item_in = validate(GuidanceItemIn, data)
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        row = get_or_404(session, Guidance, guidance_id, "guidance")
        opened = gate.write_person(session, worker, row.person_id, reason)
        item = session.scalars(
            sa.select(GuidanceItem)
            .where(GuidanceItem.guidance_id == row.id, GuidanceItem.item_key == item_in.item_key)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if item is None:
            raise NotFound("not_found", what=item_in.item_key)
        base = item.state if item_in.from_state is None else item_in.from_state.value
        changed = apply_changes(
            item,
            {"state": FieldChange(base=base, new=item_in.state.value)},
            labels={"state": "state"},
        )
        if changed:
            item.updated_at = utcnow()
            item.updated_by = worker.id
            audit(
                session,
                ctx,
                "update",
                "guidance_item",
                item.id,
                person_id=row.person_id,
                item=item.item_key,
                state=item.state,
                **opened,
            )


@offline_command("guidance.set_application")
def set_application(
    ctx: Context,
    guidance_id: uuid.UUID,
    number: str | None,
    *,
    deadline: str | None = None,
    deadline_from: dt.date | None = None,
    base: str | EllipsisType | None = ...,
    reason: AccessReason | str | None = None,
) -> None:
    """Record the SERMIG application number; a named route deadline becomes a follow-up.
    ``base`` is the number the form showed (``...``: not checked): another desk's different
    number meanwhile raises EditConflict and nothing is written. Outside the worker's
    caseload it needs the file's reason (services/gate.py ``write_person``)."""
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        row = lock(session, Guidance, guidance_id, "guidance")
        opened = gate.write_person(session, worker, row.person_id, reason)
        new = (number or "").strip() or None
        started = row.sermig_application if base is ... else ((base or "").strip() or None)
        changed = apply_changes(row, {"sermig_application": FieldChange(base=started, new=new)})
        if changed:
            audit(
                session,
                ctx,
                "update",
                "guidance",
                row.id,
                person_id=row.person_id,
                fields=["sermig_application"],
                **opened,
            )
        if deadline is not None:
            add_deadline(session, ctx, row, deadline, worker.id, deadline_from, **opened)


def deadline_due(deadline: refdata.RouteDeadline, start_on: dt.date) -> dt.date:
    """The day a route deadline falls due, counted from its own date: calendar days, or
    working days (Monday to Friday; holidays are not known here) when the route says so;
    back from it for a window that opens before a date (a permit's expiry)."""
    step = dt.timedelta(days=-1 if deadline.before else 1)
    if not deadline.business_days:
        return start_on + step * deadline.days
    day, left = start_on, deadline.days
    while left:
        day += step
        if day.weekday() < 5:
            left -= 1
    return day


def add_deadline(
    session: sa.orm.Session,
    ctx: Context,
    row: Guidance,
    key: str,
    worker_id: uuid.UUID,
    start_on: dt.date | None = None,
    **opened: Any,
) -> uuid.UUID:
    """A route deadline as a follow-up, inside an open transaction, after the caller passed
    the write rule (services/gate.py ``write_person``; ``opened`` is what it returned).

    It counts from ``start_on`` -- its own date: the application submitted, the resolution
    notified, the permit's expiry -- (today when not given), and remembers that date. The
    same deadline planned again while its follow-up is pending is a correction of that
    date: the follow-up moves (due date recomputed, audited ``reschedule``), nothing is
    doubled. A deadline already closed (done, missed, cancelled) is never moved; planning
    it again starts a new one."""
    route = refdata.route(row.route_id)
    deadline = route.deadline(key) if route else None
    if deadline is None:
        raise NotFound("not_found", what=key)
    start = start_on or local_today()
    due = deadline_due(deadline, start)
    pending = session.scalars(
        sa.select(FollowUp)
        .where(
            FollowUp.guidance_id == row.id,
            FollowUp.deadline_key == key,
            FollowUp.status == FollowUpStatus.PENDING.value,
        )
        .order_by(FollowUp.created_at)
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if pending is not None:
        if pending.deadline_from != start or pending.due_on != due:
            before = pending.due_on
            pending.deadline_from = start
            pending.due_on = due
            audit(
                session,
                ctx,
                "reschedule",
                "follow_up",
                pending.id,
                person_id=row.person_id,
                fields=["deadline_from", "due_on"],
                deadline=key,
                moved_days=(due - before).days,
                **opened,
            )
        return pending.id
    fu = add_follow_up(
        session,
        ctx,
        row.person_id,
        FollowUpIn(due_on=due, what=deadline.text_es, guidance_id=row.id, case_id=row.case_id),
        worker_id,
        **opened,
    )
    fu.deadline_key = key
    fu.deadline_from = start
    return fu.id


@offline_command("guidance.schedule_deadline")
def schedule_deadline(
    ctx: Context,
    guidance_id: uuid.UUID,
    key: str,
    start_on: dt.date | None = None,
    *,
    reason: AccessReason | str | None = None,
) -> uuid.UUID:
    """A route deadline as a follow-up counted from ``start_on`` (its own date), or that
    date corrected (:func:`add_deadline`). Outside the worker's caseload it needs the
    file's reason (services/gate.py ``write_person``)."""
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        row = lock(session, Guidance, guidance_id, "guidance")
        opened = gate.write_person(session, worker, row.person_id, reason)
        return add_deadline(session, ctx, row, key, worker.id, start_on, **opened)


def _planned(session: sa.orm.Session, guidance_id: uuid.UUID) -> dict[str, tuple[dt.date, dt.date]]:
    """The route's deadlines planned and still pending: key -> (the day it counts from,
    the day it is due)."""
    rows = session.execute(
        sa.select(FollowUp.deadline_key, FollowUp.deadline_from, FollowUp.due_on).where(
            FollowUp.guidance_id == guidance_id,
            FollowUp.deadline_key.is_not(None),
            FollowUp.status == FollowUpStatus.PENDING.value,
        )
    ).all()
    return {k: (f or d, d) for k, f, d in rows if k is not None}


@person_read
def get(
    ctx: Context, guidance_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> GuidanceOut:
    """One guidance and its checklist, read through the gate (services/gate.py)."""
    with ctx.db.write() as session:
        ctx.actor(session)
        row = get_or_404(session, Guidance, guidance_id, "guidance")
        gate.read_person(session, ctx, row.person_id, Read.GUIDANCE, reason)
        out = GuidanceOut.model_validate(row)
        return out.model_copy(update={"planned": _planned(session, row.id)})


@person_read
def for_person(
    ctx: Context, person_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> list[GuidanceOut]:
    """The person's guidance, newest first, read through the gate (services/gate.py)."""
    with ctx.db.write() as session:
        gate.read_person(session, ctx, person_id, Read.GUIDANCE, reason)
        return load_for_person(session, person_id)


def load_for_person(session: sa.orm.Session, person_id: uuid.UUID) -> list[GuidanceOut]:
    """Inside a read the gate let through."""
    rows = session.scalars(
        sa.select(Guidance)
        .where(Guidance.person_id == person_id)
        .order_by(Guidance.created_at.desc())
    ).all()
    return [GuidanceOut.model_validate(r) for r in rows]


def furthest_state(items: list[GuidanceItemOut]) -> GuidanceItemState:
    order = [
        GuidanceItemState.PENDING,
        GuidanceItemState.EXPLAINED,
        GuidanceItemState.GATHERED,
        GuidanceItemState.SUBMITTED,
        GuidanceItemState.RESOLVED,
    ]
    reached = [GuidanceItemState(i.state) for i in items if i.state in order]
    return max(reached, key=order.index, default=GuidanceItemState.PENDING)
