"""The person file: everything every programme recorded about one person, as one timeline.

Who may read a file, and what it costs, is decided by the read gate (services/gate.py):
someone active must be signed in; a file outside the reader's caseload and programme opens
only with one of :data:`ACCESS_REASONS`; every read is recorded in the audit trail. Every
call here that returns a person's data passes it. The person screen makes one call,
:func:`open_file`, for all it shows, and that call writes one audit row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.models import (
    Case,
    Consent,
    Contact,
    FollowUp,
    Guidance,
    HouseholdMember,
    MigrationStatusRecord,
    Note,
    Person,
    PersonCorrection,
    Programme,
    Referral,
    ReferralEvent,
    Worker,
)
from casework.services import (
    assignment,
    case_lifecycle,
    followups,
    gate,
    guidance,
    referrals,
    visibility,
)
from casework.services.context import Context, open_blocking
from casework.services.followups import FollowUpOut
from casework.services.gate import ACCESS_REASONS, Access, AccessReason, Read, person_read
from casework.services.guidance import GuidanceOut
from casework.services.live_person import live_person
from casework.services.referrals import ReferralOut
from casework.services.schemas import DocumentOut, Output, PersonSummary, RightsRequestOut

__all__ = [
    "ACCESS_REASONS",
    "Access",
    "AccessReason",
    "PersonDetail",
    "PersonFile",
    "TimelineEntry",
    "access",
    "get_person",
    "open_file",
    "read_file",
    "timeline",
]


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
    related_name: str | None = None
    """The linked person's name (a household member on record)."""


INVERSE_RELATIONSHIP: dict[str, str] = {
    "spouse": "spouse",
    "civil_partner": "civil_partner",
    "partner": "partner",
    "child": "parent",
    "parent": "child",
    "sibling": "sibling",
    "grandchild": "grandparent",
    "grandparent": "grandchild",
    "parent_in_law": "child_in_law",
    "child_in_law": "parent_in_law",
    "uncle_aunt": "nephew_niece",
    "nephew_niece": "uncle_aunt",
    "cousin": "cousin",
    "other_relative": "other_relative",
    "non_relative": "non_relative",
}
"""A household relationship seen from the linked member's file: A records B as "child",
so B's file shows A as "parent". Keys without an inverse in the code list (head of
household, stepchild, ward) show as "the household of A" (key None)."""


class HouseholdLinkOut(Output):
    """A person on record who counts this person in their household (the link back)."""

    household_of: uuid.UUID
    name: str
    relationship_key: str
    """This person's relationship as the other file recorded it."""
    inverse_key: str | None
    """The other person's relationship to this one (:data:`INVERSE_RELATIONSHIP`)."""


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
    household_of: list[HouseholdLinkOut] = []
    """Persons on record who linked this person as a member of their household."""


class TimelineEntry(Output):
    """One line of the person's timeline. ``kind`` + ``data`` are rendered by the screen."""

    at: dt.datetime
    kind: str
    """contact, status, guidance, referral, follow_up_due, follow_up_closed, note, consent,
    correction, case (closed, reopened, put on hold, resumed)."""
    ref_id: uuid.UUID
    worker_name: str = ""
    programme_name: str = ""
    data: dict[str, Any] = {}


class PersonFile(Output):
    """Everything the person screen shows, read through the gate in one call."""

    access: Access
    detail: PersonDetail
    timeline: list[TimelineEntry]
    referrals: list[ReferralOut]
    follow_ups: list[FollowUpOut]
    guidance: list[GuidanceOut]
    blocked: RightsRequestOut | None
    """The open blocking request that suspends changes to the file, if any."""


def access(ctx: Context, person_id: uuid.UUID) -> Access:
    """How the acting worker stands to this person's file: own, programme or outside.
    Says nothing of the file itself (and records nothing)."""
    with ctx.db.read() as session:
        reader = ctx.actor(session)
        live_person(session, person_id)
        return gate.standing(session, reader, person_id)


@person_read
def open_file(
    ctx: Context,
    person_id: uuid.UUID,
    reason: AccessReason | str | None = None,
    *,
    reload: bool = False,
) -> PersonFile:
    """The person file as the person screen shows it; one audited read (services/gate.py).

    A file outside the reader's caseload and programme opens only with a ``reason`` (one of
    :data:`ACCESS_REASONS`), recorded in the audit row; without one it is refused with
    ``NotAllowed("reason_required")`` and nothing is recorded. ``reload`` marks the read
    of a file already open being shown again after a save: it is checked and recorded
    the same way.
    """
    with ctx.db.write() as session:
        return read_file(session, ctx, person_id, Read.FILE, reason, reload=reload)


def read_file(
    session: Session,
    ctx: Context,
    person_id: uuid.UUID,
    what: Read,
    reason: AccessReason | str | None = None,
    *,
    rights_request: uuid.UUID | None = None,
    reload: bool = False,
) -> PersonFile:
    """The whole file, inside the caller's write transaction, after the gate let the read
    through (see :func:`casework.services.gate.read_person` for the arguments)."""
    reading = gate.read_person(
        session, ctx, person_id, what, reason, rights_request=rights_request, reload=reload
    )
    block = open_blocking(session, person_id)
    return PersonFile(
        access=reading.access,
        detail=detail_as_seen(session, ctx, reading.person),
        timeline=_timeline(session, person_id),
        referrals=referrals.load_for_person(session, person_id),
        follow_ups=followups.load_for_person(session, person_id),
        guidance=guidance.load_for_person(session, person_id),
        blocked=None if block is None else RightsRequestOut.model_validate(block),
    )


@person_read
def get_person(
    ctx: Context, person_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> PersonDetail:
    """The person's details (identity, documents, statuses, household, consents, cases),
    read through the gate: see :func:`open_file` for ``reason``."""
    with ctx.db.write() as session:
        reading = gate.read_person(session, ctx, person_id, Read.DETAIL, reason)
        return detail_as_seen(session, ctx, reading.person)


def detail_as_seen(session: Session, ctx: Context, person: Person) -> PersonDetail:
    """The details of ``person`` as this reader may see them. Only for a caller that has
    just passed ``gate.read_person`` for that person in ``session``."""
    return _visible(session, ctx, _detail(session, person))


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
    detail = PersonDetail.model_validate(person)
    return detail.model_copy(
        update={
            "household": _household(session, detail.household),
            "household_of": _household_of(session, person.id),
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


def _person_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Person.id, Person.given_names, Person.first_surname, Person.social_name).where(
            Person.id.in_(ids), Person.merged_into_id.is_(None)
        )
    ).all()
    return {r.id: r.social_name or f"{r.given_names} {r.first_surname}" for r in rows}


def _household(session: Session, rows: list[HouseholdOut]) -> list[HouseholdOut]:
    names = _person_names(session, {h.related_person_id for h in rows if h.related_person_id})
    return [
        h.model_copy(update={"related_name": names.get(h.related_person_id)})
        if h.related_person_id
        else h
        for h in rows
    ]


def _household_of(session: Session, person_id: uuid.UUID) -> list[HouseholdLinkOut]:
    rows = session.execute(
        sa.select(HouseholdMember.person_id, HouseholdMember.relationship_key).where(
            HouseholdMember.related_person_id == person_id
        )
    ).all()
    names = _person_names(session, {r.person_id for r in rows})
    return [
        HouseholdLinkOut(
            household_of=r.person_id,
            name=names[r.person_id],
            relationship_key=r.relationship_key,
            inverse_key=INVERSE_RELATIONSHIP.get(r.relationship_key),
        )
        for r in rows
        if r.person_id in names
    ]


def corrections_of(session: Session, person_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every correction of the person's data with its values before and after and its
    reason, oldest first: part of the answer to an access or portability request (the
    caller has passed the read gate). The timeline shows only the fields' names."""
    rows = session.scalars(
        sa.select(PersonCorrection)
        .where(PersonCorrection.person_id == person_id)
        .order_by(PersonCorrection.at)
    )
    return [
        {
            "at": corr.at.isoformat(),
            "changes": list(corr.changes),
            "reason": corr.reason,
            "rectification": corr.rights_request_id is not None,
        }
        for corr in rows
    ]


@person_read
def timeline(
    ctx: Context, person_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> list[TimelineEntry]:
    """Newest first, across every programme; read through the gate (see :func:`open_file`)."""
    with ctx.db.write() as session:
        gate.read_person(session, ctx, person_id, Read.TIMELINE, reason)
        return _timeline(session, person_id)


def _timeline(session: Session, person_id: uuid.UUID) -> list[TimelineEntry]:
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

    # First: at the same moment a closing settles follow-ups and referrals, and the sort
    # below keeps this order among equals, so the closing heads what it did.
    for cev, case in case_lifecycle.timeline_events(session, person_id):
        add(
            cev.at,
            "case",
            case.id,
            cev.worker_id,
            case.programme_id,
            event=cev.kind,
            outcome=cev.outcome or "",
            note=cev.note or "",
            until=cev.hold_until.isoformat() if cev.hold_until else "",
            follow_ups_cancelled=cev.follow_ups_cancelled,
            referrals_cancelled=cev.referrals_cancelled,
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
    for corr in session.scalars(
        sa.select(PersonCorrection).where(PersonCorrection.person_id == person_id)
    ):
        add(
            corr.at,
            "correction",
            corr.id,
            corr.worker_id,
            fields=list(corr.fields),
            rectification=corr.rights_request_id is not None,
            changes=list(corr.changes),
            reason=corr.reason or "",
        )
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
    for moved in assignment.history(session, person_id):
        add(
            moved["at"],
            moved["kind"],
            moved["ref"],
            moved["worker"],
            moved["programme"],
            **moved["data"],
        )
    out.sort(key=lambda e: e.at, reverse=True)
    return out
