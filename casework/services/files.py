"""The person file: everything every programme recorded about one person, as one timeline.

Who may open a file, and what it costs (issue #6, "Sign-in and roles"). One rule, decided
here; the screens only ask:

- **own** -- the person is in the reader's caseload: a case of the person is assigned to
  the reader, or the reader recorded a contact with the person (helping a colleague at the
  desk and recording that visit makes the person theirs too);
- **programme** -- a supervisor reading a person with a case in the programme they
  supervise;
- **outside** -- anyone else, including a call with no signed-in worker. Administrators
  manage workers and catalogues; they do not browse files silently either, so an admin is
  "own" only through a case or contact of theirs and otherwise "outside" (an admin's
  programme gives them no programme-wide reading: that is a supervisor's role).

Opening an *outside* file is a deliberate act: :func:`get_person` refuses the view
(``NotAllowed("reason_required")``) unless the caller passes one of :data:`ACCESS_REASONS`,
and the reason code -- never free text -- goes into the audit row of the view. Searching
across persons to avoid a duplicate stays open to everyone, with only what is needed to
recognise a person (services/persons.py ``search_persons``). ``audited=False`` reads are for
services that audit their own action (a rights export) and for reloading a file already
opened; they are not a way in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.errors import NotAllowed
from casework.models import (
    Case,
    Consent,
    Contact,
    FollowUp,
    Guidance,
    MigrationStatusRecord,
    Note,
    Person,
    Programme,
    Referral,
    ReferralEvent,
    Worker,
)
from casework.models.enums import Role
from casework.services import visibility
from casework.services.context import Context, audit, validate
from casework.services.persons import live_person
from casework.services.schemas import DocumentOut, Input, Output, PersonSummary

Access = Literal["own", "programme", "outside"]
"""How the reader stands to a person's file (see the module docstring)."""


class AccessReason(StrEnum):
    """Why a file outside the reader's caseload is opened: a short, fixed list."""

    DESK_VISIT = "desk_visit"
    """The person came to the desk for a new visit."""
    COLLEAGUE_HELP = "colleague_help"
    """A colleague asked for help with this person."""
    DUPLICATE_CHECK = "duplicate_check"
    """Checking whether two records are the same person."""
    OTHER = "other"


ACCESS_REASONS: Final = tuple(r.value for r in AccessReason)


class _ViewIn(Input):
    reason: AccessReason | None = None


class StatusOut(Output):
    id: uuid.UUID
    status: str
    subcategory: str | None
    valid_until: dt.date | None
    sermig_application: str | None
    certificate_expires_on: dt.date | None
    entry_date: dt.date | None
    entry_authorised: bool | None
    expulsion_order: bool | None
    """None: not shown to this reader (see services/visibility.py)."""
    refuge_requested: bool
    recorded_at: dt.datetime
    note: str | None


class HouseholdOut(Output):
    id: uuid.UUID
    relationship_key: str
    name: str | None
    related_person_id: uuid.UUID | None
    birth_year: int | None
    sex: str | None
    lives_abroad: bool


class ConsentOut(Output):
    id: uuid.UUID
    purpose: str
    destination_key: str | None
    granted: bool
    given_by: str
    recorded_at: dt.datetime
    revoked_at: dt.datetime | None


class CaseOut(Output):
    id: uuid.UUID
    programme_id: uuid.UUID
    worker_id: uuid.UUID
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    flags: list[str]
    programme_name: str = ""
    worker_name: str = ""


class PersonDetail(PersonSummary):
    social_name: str | None
    gender_identity: str | None
    birth_country: str | None
    phone: str | None
    phone2: str | None
    email: str | None
    address: str | None
    commune_code: str | None
    civil_status: str | None
    schooling: str | None
    interpreter_needed: bool
    arrival_date: dt.date | None
    current_status: str | None
    stats_opt_out: bool
    external_refs: list[str]
    created_at: dt.datetime
    documents: list[DocumentOut]
    language_codes: list[str] = []
    statuses: list[StatusOut]
    household: list[HouseholdOut]
    consents: list[ConsentOut]
    cases: list[CaseOut] = []


class TimelineEntry(Output):
    """One line of the person's timeline. ``kind`` + ``data`` are rendered by the screen."""

    at: dt.datetime
    kind: str
    """contact, status, guidance, referral, follow_up_due, follow_up_closed, note."""
    ref_id: uuid.UUID
    worker_name: str = ""
    programme_name: str = ""
    data: dict[str, Any] = {}


def access(ctx: Context, person_id: uuid.UUID) -> Access:
    """How the acting worker stands to this person's file: own, programme or outside."""
    with ctx.db.read() as session:
        live_person(session, person_id)
        return _access(session, ctx, person_id)


def _access(session: Session, ctx: Context, person_id: uuid.UUID) -> Access:
    reader = visibility.viewer(session, ctx.actor_id)
    if reader is None:
        return "outside"
    own = session.scalar(
        sa.select(Case.id).where(Case.person_id == person_id, Case.worker_id == reader.id).limit(1)
    ) or session.scalar(
        sa.select(Contact.id)
        .where(Contact.person_id == person_id, Contact.worker_id == reader.id)
        .limit(1)
    )
    if own is not None:
        return "own"
    if reader.role == Role.SUPERVISOR.value and reader.programme_id is not None:
        in_programme = session.scalar(
            sa.select(Case.id)
            .where(Case.person_id == person_id, Case.programme_id == reader.programme_id)
            .limit(1)
        )
        if in_programme is not None:
            return "programme"
    return "outside"


def get_person(
    ctx: Context,
    person_id: uuid.UUID,
    *,
    audited: bool = True,
    reason: AccessReason | str | None = None,
) -> PersonDetail:
    """The person file. Opening it is audited: who saw whose file, and when.

    A file outside the reader's caseload and programme opens only with a ``reason`` (one of
    :data:`ACCESS_REASONS`), recorded in the audit row of the view; without one the view is
    refused with ``NotAllowed("reason_required")`` and nothing is recorded.
    """
    why = validate(_ViewIn, {"reason": reason}).reason
    with ctx.db.write() as session:
        person = live_person(session, person_id)
        standing = _access(session, ctx, person.id) if audited else None
        if standing == "outside" and why is None:
            raise NotAllowed("reason_required")
        detail = _visible(session, ctx, _detail(session, person))
        if audited:
            details: dict[str, str] = {}
            if standing == "outside" and why is not None:
                details = {"access": "outside", "reason": why.value}
            audit(session, ctx, "view", "person", person.id, person_id=person.id, **details)
        return detail


def _visible(session: Session, ctx: Context, detail: PersonDetail) -> PersonDetail:
    """Leave out the extra-sensitive facts this reader may not see (services/visibility.py)."""
    reader = visibility.viewer(session, ctx.actor_id)
    if visibility.sees_all(reader):
        return detail
    cases = [
        c.model_copy(update={"flags": visibility.visible_flags(reader, c.worker_id, c.flags)})
        for c in detail.cases
    ]
    statuses = detail.statuses
    if not visibility.sees_person(reader, {c.worker_id for c in detail.cases}):
        statuses = [s.model_copy(update={"expulsion_order": None}) for s in statuses]
    return detail.model_copy(update={"cases": cases, "statuses": statuses})


def _names(session: Session) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    workers = dict(session.execute(sa.select(Worker.id, Worker.full_name)).all())
    programmes = dict(session.execute(sa.select(Programme.id, Programme.name)).all())
    return workers, programmes


def _detail(session: Session, person: Person) -> PersonDetail:
    workers, programmes = _names(session)
    cases = session.scalars(
        sa.select(Case).where(Case.person_id == person.id).order_by(Case.opened_at)
    ).all()
    last = session.scalar(
        sa.select(sa.func.max(Contact.occurred_at)).where(Contact.person_id == person.id)
    )
    doc = person.documents[0] if person.documents else None
    return PersonDetail.model_validate(person).model_copy(
        update={
            "language_codes": [lang.code for lang in person.languages],
            "document": f"{doc.type_key}:{doc.number_norm}" if doc else None,
            "last_contact": last,
            "cases": [
                CaseOut.model_validate(c).model_copy(
                    update={
                        "programme_name": programmes.get(c.programme_id, ""),
                        "worker_name": workers.get(c.worker_id, ""),
                    }
                )
                for c in cases
            ],
        }
    )


def timeline(ctx: Context, person_id: uuid.UUID) -> list[TimelineEntry]:
    """Newest first, across every programme."""
    with ctx.db.read() as session:
        workers, programmes = _names(session)
        out: list[TimelineEntry] = []

        def add(
            at: dt.datetime,
            kind: str,
            ref: uuid.UUID,
            worker: uuid.UUID | None,
            programme: uuid.UUID | None = None,
            **data: Any,
        ) -> None:
            out.append(
                TimelineEntry(
                    at=at,
                    kind=kind,
                    ref_id=ref,
                    worker_name=workers.get(worker, "") if worker else "",
                    programme_name=programmes.get(programme, "") if programme else "",
                    data=data,
                )
            )

        for c in session.scalars(sa.select(Contact).where(Contact.person_id == person_id)):
            add(
                c.occurred_at,
                "contact",
                c.id,
                c.worker_id,
                c.programme_id,
                contact_kind=c.kind,
                channel=c.channel,
                reasons=c.reasons,
                note=c.note or "",
            )
        for s in session.scalars(
            sa.select(MigrationStatusRecord).where(MigrationStatusRecord.person_id == person_id)
        ):
            add(
                s.recorded_at,
                "status",
                s.id,
                s.recorded_by,
                status=s.status,
                subcategory=s.subcategory or "",
                note=s.note or "",
            )
        for g in session.scalars(sa.select(Guidance).where(Guidance.person_id == person_id)):
            add(
                g.created_at,
                "guidance",
                g.id,
                g.worker_id,
                route=g.route_id,
                application=g.sermig_application or "",
            )
            for item in g.items:
                if item.state != "pending":
                    add(
                        item.updated_at,
                        "guidance_item",
                        g.id,
                        item.updated_by,
                        route=g.route_id,
                        item=item.item_key,
                        state=item.state,
                    )
        events = session.execute(
            sa.select(ReferralEvent, Referral)
            .join(Referral, Referral.id == ReferralEvent.referral_id)
            .where(Referral.person_id == person_id)
        ).all()
        for ev, ref in events:
            add(
                ev.at,
                "referral",
                ref.id,
                ev.worker_id,
                destination=ref.destination_key,
                service_area=ref.service_area,
                from_status=ev.from_status or "",
                to_status=ev.to_status,
                note=ev.note or "",
                outcome=ref.outcome or "",
            )
        for f in session.scalars(sa.select(FollowUp).where(FollowUp.person_id == person_id)):
            add(
                f.created_at,
                "follow_up",
                f.id,
                f.worker_id,
                what=f.what,
                due_on=f.due_on.isoformat(),
                status="pending",
            )
            if f.completed_at is not None:
                add(
                    f.completed_at,
                    "follow_up_closed",
                    f.id,
                    f.worker_id,
                    what=f.what,
                    status=f.status,
                    outcome=f.outcome or "",
                )
        for n in session.scalars(sa.select(Note).where(Note.person_id == person_id)):
            add(n.created_at, "note", n.id, n.worker_id, text=n.text)
        for h in session.scalars(sa.select(Consent).where(Consent.person_id == person_id)):
            add(
                h.recorded_at,
                "consent",
                h.id,
                h.recorded_by,
                purpose=h.purpose,
                destination=h.destination_key or "",
                granted=h.granted,
            )
        out.sort(key=lambda e: e.at, reverse=True)
        return out
