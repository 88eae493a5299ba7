"""Referrals: create, move through FHIR TaskStatus, consent gate, automatic follow-ups."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session, selectinload

from casework import refdata
from casework.errors import (
    EditConflict,
    FieldConflict,
    FieldError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
)
from casework.i18n import current_language, t
from casework.models import FollowUp, Referral, ReferralEvent, Worker
from casework.models.base import utcnow
from casework.models.enums import (
    REFERRAL_OPEN,
    REFERRAL_WAITING,
    FollowUpStatus,
    ReferralStatus,
    referral_can_move,
)
from casework.services import catalogue, gate, paging, permissions
from casework.services.context import Context, audit, get_or_404, remember, replayed, validate
from casework.services.edits import lock, same
from casework.services.followups import add_follow_up
from casework.services.gate import AccessReason, Read, person_read
from casework.services.live_person import live_person
from casework.services.outbox import offline_command
from casework.services.paging import Page
from casework.services.persons import has_consent, open_case, record_consent_row
from casework.services.schemas import FollowUpIn, Output, ReferralIn, ReferralMoveIn, local_today

FOLLOW_UP_DAYS = {"normal": 14, "urgent": 3}
"""Days after a request before its follow-up falls due."""


class CatalogueReferralIn(ReferralIn):
    """A referral whose destination may also be one of the office's own: the key is checked
    against the whole catalogue (shipped and local) inside the transaction."""

    @model_validator(mode="after")
    def _destination(self) -> CatalogueReferralIn:
        areas = {a.key for a in refdata.service_areas()}
        if self.service_area is not None and self.service_area not in areas:
            raise PydanticCustomError("unknown_service_area", "area", {"value": self.service_area})
        return self


class ReferralEventOut(Output):
    from_status: str | None
    to_status: str
    at: dt.datetime
    worker_id: uuid.UUID
    note: str | None


class ReferralOut(Output):
    id: uuid.UUID
    person_id: uuid.UUID
    worker_id: uuid.UUID
    service_area: str
    destination_key: str
    reason: str
    urgency: str
    status: str
    outcome: str | None
    declined_by: str | None
    decline_reason: str | None
    requested_at: dt.datetime | None
    completed_at: dt.datetime | None
    created_at: dt.datetime
    version: int = 1
    events: list[ReferralEventOut] = []


def _consent_gate(
    session: Session, ctx: Context, ref: Referral, worker: Worker, override: bool
) -> None:
    """A private organisation needs the person's consent to receive their data (Ley 21.719
    art. 22); a public body receives them for its legal function, which is recorded."""
    dest = catalogue.lookup(session, ref.destination_key)
    if dest is not None and not dest.private:
        audit(
            session,
            ctx,
            "legal_basis",
            "referral",
            ref.id,
            person_id=ref.person_id,
            basis="public_function",
            destination=ref.destination_key,
        )
        return
    if has_consent(session, ref.person_id, ref.destination_key):
        return
    if not override:
        name = ref.destination_key
        if dest is not None:
            name = dest.name_es if current_language() == "es" else dest.name_en or dest.name_es
        raise NotAllowed("consent_required", destination=name)
    if not permissions.may_override_consent(worker):
        raise NotAllowed("override_needs_supervisor")
    ref.consent_override_by = worker.id
    audit(
        session,
        ctx,
        "consent_override",
        "referral",
        ref.id,
        person_id=ref.person_id,
        destination=ref.destination_key,
    )


def _move(
    session: Session,
    ctx: Context,
    ref: Referral,
    worker: Worker,
    target: ReferralStatus,
    note: str | None,
    override: bool = False,
    opened: dict[str, Any] | None = None,
) -> None:
    """One transition, after the write rule passed; ``opened`` is what it returned."""
    details = opened or {}
    current = ReferralStatus(ref.status)
    if not referral_can_move(current, target):
        raise InvalidTransition("referral_transition", current=current.value, target=target.value)
    now = utcnow()
    if target is ReferralStatus.REQUESTED:
        _consent_gate(session, ctx, ref, worker, override)
        if ref.requested_at is None:
            ref.requested_at = now
            days = FOLLOW_UP_DAYS.get(ref.urgency, 14)
            dest = catalogue.lookup(session, ref.destination_key)
            name = dest.name_es if dest else ref.destination_key
            add_follow_up(
                session,
                ctx,
                ref.person_id,
                FollowUpIn(
                    due_on=local_today() + dt.timedelta(days=days),
                    what=f"Derivación a {name}: ¿hubo respuesta?",
                    referral_id=ref.id,
                    case_id=ref.case_id,
                ),
                ref.worker_id,
                **details,
            )
    if target is ReferralStatus.COMPLETED:
        ref.completed_at = now
    if target not in REFERRAL_OPEN:
        _settle_follow_ups(session, ctx, ref, target, details)
    ref.status = target.value
    ref.updated_at = now
    ref.events.append(
        ReferralEvent(
            from_status=current.value,
            to_status=target.value,
            worker_id=worker.id,
            note=note,
            at=now,
        )
    )
    audit(
        session,
        ctx,
        "transition",
        "referral",
        ref.id,
        person_id=ref.person_id,
        from_status=current.value,
        to_status=target.value,
        **details,
    )


def _settle_follow_ups(
    session: Session,
    ctx: Context,
    ref: Referral,
    target: ReferralStatus,
    details: Mapping[str, Any],
) -> None:
    """The referral is over (completed, declined, cancelled, failed, entered in error): its
    follow-ups still pending are closed with an outcome saying why, each audited in this
    transaction, so the day list stops asking about an answer that already came. A
    completed referral's follow-up is done; the others' are cancelled. Rows are locked and
    read again first: one another desk closed meanwhile stays as that desk left it."""
    pending = session.scalars(
        sa.select(FollowUp)
        .where(FollowUp.referral_id == ref.id, FollowUp.status == FollowUpStatus.PENDING.value)
        .order_by(FollowUp.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    status = FollowUpStatus.DONE if target is ReferralStatus.COMPLETED else FollowUpStatus.CANCELLED
    outcome = t(f"followthrough.referral_settled.{target.value}")
    now = utcnow()
    for row in pending:
        if row.status != FollowUpStatus.PENDING.value:
            continue
        row.status = status.value
        row.outcome = outcome
        row.completed_at = now
        audit(
            session,
            ctx,
            status.value,
            "follow_up",
            row.id,
            person_id=row.person_id,
            referral=str(ref.id),
            referral_status=target.value,
            **details,
        )


@offline_command("referrals.create")
def create(
    ctx: Context,
    person_id: uuid.UUID,
    data: ReferralIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
    reason: AccessReason | str | None = None,
) -> uuid.UUID:
    """A referral, requested at once unless ``request_now`` is false (then a draft). Outside
    the worker's caseload it needs the file's reason (services/gate.py ``write_person``)."""
    if isinstance(data, ReferralIn):
        data = data.model_dump()
    ref_in = validate(CatalogueReferralIn, data)
    with ctx.db.write() as session:
        done = replayed(session, request_id, "create_referral")
        if done is not None:
            return done
        dest = catalogue.lookup(session, ref_in.destination, active_only=True)
        if dest is None:
            raise InvalidInput(
                [FieldError("destination", "unknown_destination", {"value": ref_in.destination})]
            )
        worker = ctx.actor(session)
        person = live_person(session, person_id)
        opened = gate.write_person(session, worker, person.id, reason)
        case = open_case(session, person, worker)
        ref = Referral(
            person_id=person.id,
            case_id=case.id,
            worker_id=worker.id,
            service_area=ref_in.service_area or dest.service_area,
            destination_key=dest.key,
            reason=ref_in.reason,
            urgency=ref_in.urgency,
            status=ReferralStatus.DRAFT.value,
        )
        session.add(ref)
        session.flush()
        ref.events.append(ReferralEvent(from_status=None, to_status="draft", worker_id=worker.id))
        audit(session, ctx, "create", "referral", ref.id, person_id=person.id, **opened)
        if ref_in.consent_given:
            record_consent_row(session, ctx, person, worker, dest.key)
        if ref_in.request_now:
            _move(
                session,
                ctx,
                ref,
                worker,
                ReferralStatus.REQUESTED,
                None,
                ref_in.override_consent,
                opened,
            )
        case.last_activity_at = utcnow()
        remember(session, request_id, "create_referral", ref.id)
        return ref.id


@offline_command("referrals.move")
def move(
    ctx: Context,
    referral_id: uuid.UUID,
    data: ReferralMoveIn | Mapping[str, Any],
    *,
    reason: AccessReason | str | None = None,
) -> None:
    """One status transition, with a note; rejection records who declined and why.

    ``from_status`` is the status the form showed. When another desk moved the referral
    meanwhile, the move raises EditConflict (the status now on record and the one chosen)
    and nothing is written -- unless that desk made this very move, with nothing else
    typed here that differs (then there is nothing to do). Without ``from_status`` the move
    starts from whatever the status is. Outside the worker's caseload it needs the file's
    reason (services/gate.py ``write_person``)."""
    move_in = validate(ReferralMoveIn, data)
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        ref = lock(session, Referral, referral_id, "referral")
        opened = gate.write_person(session, worker, ref.person_id, reason)
        if move_in.from_status is not None and ref.status != move_in.from_status.value:
            typed: dict[str, Any] = {"status": move_in.to.value}
            if move_in.to is ReferralStatus.REJECTED:
                typed["declined_by"] = move_in.declined_by.value if move_in.declined_by else None
                typed["decline_reason"] = move_in.decline_reason
            if move_in.outcome is not None:
                typed["outcome"] = move_in.outcome
            if move_in.note is None and all(same(getattr(ref, k), v) for k, v in typed.items()):
                return  # the very same move, made meanwhile at another desk
            raise EditConflict(
                [
                    FieldConflict(
                        k,
                        move_in.from_status.value if k == "status" else None,
                        getattr(ref, k),
                        v,
                        _LABELS.get(k),
                    )
                    for k, v in typed.items()
                    if k == "status" or not same(getattr(ref, k), v)
                ]
            )
        if move_in.to is ReferralStatus.REJECTED:
            ref.declined_by = move_in.declined_by.value if move_in.declined_by else None
            ref.decline_reason = move_in.decline_reason
        if move_in.outcome is not None:
            ref.outcome = move_in.outcome
        _move(session, ctx, ref, worker, move_in.to, move_in.note, move_in.override_consent, opened)


_LABELS = {"status": "codes:referral_statuses", "outcome": "codes:referral_outcomes"}
"""Where the display names of a referral's coded values are, for a conflict message."""


@person_read
def get(
    ctx: Context, referral_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> ReferralOut:
    """One referral with its history, read through the gate (services/gate.py)."""
    with ctx.db.write() as session:
        ctx.actor(session)
        ref = get_or_404(session, Referral, referral_id, "referral")
        gate.read_person(session, ctx, ref.person_id, Read.REFERRAL, reason)
        return ReferralOut.model_validate(ref)


@person_read
def for_person(
    ctx: Context, person_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> list[ReferralOut]:
    """The person's referrals, newest first, read through the gate (services/gate.py)."""
    with ctx.db.write() as session:
        gate.read_person(session, ctx, person_id, Read.REFERRALS, reason)
        return load_for_person(session, person_id)


def load_for_person(session: Session, person_id: uuid.UUID) -> list[ReferralOut]:
    """Inside a read the gate let through."""
    rows = session.scalars(
        sa.select(Referral)
        .where(Referral.person_id == person_id)
        .order_by(Referral.created_at.desc())
        .options(selectinload(Referral.events))
    ).all()
    return [ReferralOut.model_validate(r) for r in rows]


def waiting(
    ctx: Context,
    worker_id: uuid.UUID | None = None,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> Page[ReferralOut]:
    """Referrals waiting for an answer from their destination, oldest request first: the
    signed-in worker's own, or another worker's for their supervisor
    (:func:`casework.services.gate.colleague`). A page of ``limit`` rows from ``offset``
    (services/paging.py: ``total`` is the whole list's count)."""
    with ctx.db.read() as session:
        wid = gate.colleague(session, ctx, worker_id)
        stmt = (
            sa.select(Referral)
            .where(
                Referral.status.in_([s.value for s in REFERRAL_WAITING]),
                Referral.worker_id == wid,
            )
            # The events of the whole page in one query, not one per referral.
            .options(selectinload(Referral.events))
        )
        order = [(Referral.requested_at, False), (Referral.id, False)]
        page = paging.fetch(session, stmt, order, offset=offset, limit=limit)
        return page.mapped(ReferralOut.model_validate(r[0]) for r in page)
