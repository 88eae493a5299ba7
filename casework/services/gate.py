"""The read gate: every read of one person's data passes here (issue #11, point 3).

One rule, decided in one place, for every service call that returns a person's data:

1. someone must be signed in, and still active: a call with nobody signed in, or by a
   deactivated worker, reads nothing (``NotAllowed("no_actor")``);
2. the reader's standing to the person is computed (:func:`standing`):

   - **own** -- a case of the person is assigned to the reader, or the reader recorded a
     contact with the person (helping a colleague at the desk and recording that visit
     makes the person theirs too). Recording a contact is no way around the reason: on a
     file outside the reader's caseload and programme it needs the reason the file was
     opened with, and is audited with it (services/persons.py ``record_contact``);
   - **programme** -- a supervisor reading a person with a case in the programme they
     supervise;
   - **office** -- an office-wide supervisor (``worker.office_wide``, set by an
     administrator and audited), whose programme is the whole office;
   - **outside** -- anyone else. Administrators manage workers and catalogues; they do not
     browse files silently either, so an admin is "own" only through a case or contact of
     theirs and otherwise "outside";

3. an *outside* read is a deliberate act: it needs one of :data:`ACCESS_REASONS` (or an
   open, identity-checked access or portability request of that very person, for the
   answer to it); without one it is refused (``NotAllowed("reason_required")``) and
   nothing is written;
4. the read is recorded: one ``view`` audit row of the person, whose details say what was
   read (a :class:`Read` code), the standing and, for an outside read, the reason code --
   codes only, never free text. A reload of a file already open (after a save) is checked
   and recorded like any read, marked ``reload``.

Service functions that return a person's data are marked :func:`person_read`: the mark
registers them in :data:`PERSON_READS` and makes them fail loudly if they ever return
without having passed :func:`read_person`. tests/test_read_gate.py enumerates the public
service calls and fails when one that takes a person (or something of one person) or
returns person data is neither marked nor listed in :data:`NOT_PERSON_READS` with the
reason it is not a per-person read.

Searching across persons to avoid a duplicate stays open to every signed-in worker, with
only what is needed to recognise a person (services/persons.py ``search_persons``); it is
not a file read.

Scope by programme (issue #12): what a supervisor *does* to a person -- merge, erase,
answer or check the identity of a rights request, decide on retention, read the caseload,
the register of requests, the duplicate queue or another worker's lists -- is for the
persons with a case in their programme (:func:`supervise`, :class:`Scope`), or for every
person when the supervisor is office-wide. Administrators manage staff and catalogues; they
act on no person's file and read no list of persons (they may read the audit trail, ids and
codes only, and prepare the anonymised Panel release). No service has a flag or a twin that
skips these checks: the command line signs a worker in and calls the same services, and
tests/test_permission_matrix.py proves each public service call for every kind of actor.

Writes to one person's file (issue #12, "no way around a rule") pass :func:`write_person`:
the same standing as a read, and outside it the reason the file was opened with, recorded
in the write's audit row. Administrators write under that rule like anyone else. The import
of a programme's list (services/importing.py) creates new persons as its own audited act
(one ``import`` row per person made; likely duplicates queued, never merged); a row that
completes a person on record (empty fields only) is a write to that file and passes here.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Literal, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.errors import NotAllowed
from casework.models import Case, Contact, Person, RightsRequest, Worker
from casework.models.enums import Role
from casework.models.security import RequestStatus, RightKind
from casework.services.context import Context, audit, validate
from casework.services.live_person import live_person
from casework.services.schemas import Input

Access = Literal["own", "programme", "office", "outside"]
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

RIGHTS_REQUEST_REASON: Final = "rights_request"
"""The reason recorded when the read answers the person's own access or portability
request. Not offered at the desk: the gate checks the request itself."""


class Read(StrEnum):
    """What a read returns: the ``what`` of its audit row."""

    FILE = "file"
    """The whole person screen: details, timeline, referrals, follow-ups, guidance, block."""
    DETAIL = "detail"
    TIMELINE = "timeline"
    FOLLOW_UPS = "follow_ups"
    REFERRALS = "referrals"
    REFERRAL = "referral"
    GUIDANCE = "guidance"
    CURRENT_CASE = "current_case"
    BLOCKED = "blocked"
    RIGHTS_EXPORT = "rights_export"
    """The whole file, for the answer to an access or portability request."""


class ReasonIn(Input):
    reason: AccessReason | None = None


@dataclass(frozen=True)
class Reading:
    """A read the gate let through: who reads, whose data, and how they stand to it."""

    reader: Worker
    person: Person
    access: Access


def standing(session: Session, reader: Worker | None, person_id: uuid.UUID) -> Access:
    """How ``reader`` stands to this person's file: own, programme or outside."""
    if reader is None or not reader.active:
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
    if is_office_wide(reader):
        return "office"
    if (
        reader.role == Role.SUPERVISOR.value
        and reader.programme_id is not None
        and _has_case_in(session, person_id, reader.programme_id)
    ):
        return "programme"
    return "outside"


def _has_case_in(session: Session, person_id: uuid.UUID, programme_id: uuid.UUID) -> bool:
    """Whether the person has a case (open or closed) in the programme."""
    found = session.scalar(
        sa.select(Case.id)
        .where(Case.person_id == person_id, Case.programme_id == programme_id)
        .limit(1)
    )
    return found is not None


def read_person(
    session: Session,
    ctx: Context,
    person_id: uuid.UUID,
    what: Read,
    reason: AccessReason | str | None = None,
    *,
    rights_request: uuid.UUID | None = None,
    reload: bool = False,
) -> Reading:
    """Let one read of a person's data through, or refuse it; record it when let through.

    Call it inside the write transaction that then loads the data, before loading it. A
    ``reason`` that is not one of :data:`ACCESS_REASONS` is ``InvalidInput``, checked
    before anything else. ``rights_request`` is the id of the open, identity-checked
    access or portability request of this person that the read answers: it is the
    reason of an outside read (see :func:`_answers_request`).
    """
    why = validate(ReasonIn, {"reason": reason}).reason
    reader = ctx.actor(session)
    person = live_person(session, person_id)
    access = standing(session, reader, person.id)
    details: dict[str, Any] = {"what": what.value, "access": access}
    if access == "outside":
        if rights_request is not None and _answers_request(session, person.id, rights_request):
            details["reason"] = RIGHTS_REQUEST_REASON
        elif why is not None:
            details["reason"] = why.value
        else:
            raise NotAllowed("reason_required")
    if reload:
        details["reload"] = True
    audit(session, ctx, "view", "person", person.id, person_id=person.id, **details)
    _passed.set(True)
    return Reading(reader, person, access)


def _answers_request(session: Session, person_id: uuid.UUID, request_id: uuid.UUID) -> bool:
    row = session.get(RightsRequest, request_id)
    return (
        row is not None
        and row.person_id == person_id
        and row.kind in (RightKind.ACCESS.value, RightKind.PORTABILITY.value)
        and row.status in (RequestStatus.OPEN.value, RequestStatus.EXTENDED.value)
        and row.identity_checked
    )


# Scope by programme (issue #12, point 3) -------------------------------------------------


def is_office_wide(worker: Worker | None) -> bool:
    """An active supervisor an administrator made office-wide (``worker.office_wide``)."""
    return (
        worker is not None
        and worker.active
        and worker.role == Role.SUPERVISOR.value
        and worker.office_wide
    )


@dataclass(frozen=True)
class Scope:
    """The persons a supervisor acts on: their programme's, or the whole office's."""

    supervisor: Worker
    programme_id: uuid.UUID | None
    """None: office-wide."""

    @property
    def office_wide(self) -> bool:
        return self.programme_id is None

    def persons(self) -> sa.Select[Any] | None:
        """The ids of the persons in scope, as a subquery; None: every person."""
        if self.programme_id is None:
            return None
        return sa.select(Case.person_id).where(Case.programme_id == self.programme_id)

    def covers(self, session: Session, person_id: uuid.UUID) -> bool:
        if self.programme_id is None:
            return True
        return _has_case_in(session, person_id, self.programme_id)


def supervision(session: Session, ctx: Context) -> Scope:
    """The signed-in supervisor and their scope. Anyone else is refused: nobody signed in
    or a deactivated worker ``no_actor``, a desk worker or an administrator
    ``role_required`` (administrators manage staff; they do not act on persons' files)."""
    worker = ctx.require_role(session, Role.SUPERVISOR)
    if is_office_wide(worker):
        return Scope(worker, None)
    if worker.programme_id is None:
        raise NotAllowed("supervisor_without_programme")
    return Scope(worker, worker.programme_id)


def supervise(session: Session, ctx: Context, *person_ids: uuid.UUID) -> Worker:
    """The signed-in supervisor, when every one of these persons is in their scope (a case
    in their programme, or any person for an office-wide supervisor); otherwise
    ``NotAllowed("other_programme")``, checked before anything is written."""
    scope = supervision(session, ctx)
    for person_id in person_ids:
        if not scope.covers(session, person_id):
            raise NotAllowed("other_programme")
    return scope.supervisor


def write_person(
    session: Session, writer: Worker, person_id: uuid.UUID, reason: AccessReason | str | None
) -> dict[str, Any]:
    """The write rule (issue #12, "no way around a rule"): every service call that writes one
    person's data -- a contact, a referral, guidance, a note, a status, a document, an edit
    of the person's details, a consent, a follow-up, a move of a referral, a checklist item,
    an application number, a deadline -- passes here, inside its write transaction, after
    ``ctx.actor`` and before anything is written.

    The writer (signed in and active: ``ctx.actor`` refuses anyone else) who stands
    "own", "programme" or "office" to the person (:func:`standing`) writes freely. On a
    file outside their caseload and programme the write needs the reason the file was
    opened with (one of :data:`ACCESS_REASONS`); without one it is refused
    (``NotAllowed("reason_required")``) and nothing is written: writing something is no way
    around the reason. Returns the details to add to the write's audit row: empty inside
    the caseload, ``{"access": "outside", "reason": ...}`` outside it.

    Administrators write under the same rule, no more: they manage staff and catalogues and
    browse no file silently, so an administrator is "own" only through a case or contact of
    their own (an intake they registered at the desk) and otherwise "outside" -- any write
    to another person's file needs the reason and is audited with it, as anyone's. (Acting
    *on* a person as a supervisor -- merge, erase, rights requests, retention -- stays
    :func:`supervise`, which refuses administrators.)

    A write that opens (or joins) a case of the writer's programme -- a contact, a referral,
    guidance -- makes the person theirs and their programme's from then on."""
    why = validate(ReasonIn, {"reason": reason}).reason
    if standing(session, writer, person_id) != "outside":
        return {}
    if why is None:
        raise NotAllowed("reason_required")
    return {"access": "outside", "reason": why.value}


def colleague(session: Session, ctx: Context, worker_id: uuid.UUID | None) -> uuid.UUID:
    """Whose worklist (follow-ups due, referrals waiting) the signed-in worker reads: their
    own (``None`` or their id); another worker's only as a supervisor of that worker's
    programme (``other_programme`` otherwise) or office-wide."""
    reader = ctx.actor(session)
    if worker_id is None or worker_id == reader.id:
        return reader.id
    scope = supervision(session, ctx)
    if scope.programme_id is not None:
        other = session.get(Worker, worker_id)
        if other is None or other.programme_id != scope.programme_id:
            raise NotAllowed("other_programme")
    return worker_id


# The register of per-person reads ---------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")

PERSON_READS: dict[str, Callable[..., Any]] = {}
"""Every service call marked :func:`person_read`, by ``module.name``
(e.g. ``"person_file.timeline"``)."""

_passed: ContextVar[bool] = ContextVar("casework_read_gate_passed", default=False)


class GateSkipped(RuntimeError):
    """A marked read returned without passing the gate: a programming error, never data."""


def person_read(fn: Callable[P, R]) -> Callable[P, R]:
    """Mark a service call that returns one person's data. It must call :func:`read_person`
    before it returns; if it ever returns without having done so, :class:`GateSkipped` is
    raised instead of the data."""
    name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"

    @functools.wraps(fn)
    def gated(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _passed.set(False)
        try:
            result = fn(*args, **kwargs)
            if not _passed.get():
                raise GateSkipped(name)
            return result
        finally:
            _passed.reset(token)

    PERSON_READS[name] = gated
    return gated


_WRITE = "a write: it audits its own change and returns only what it wrote (ids, counts)"
_ACROSS = "a list across persons, not one person's file"

NOT_PERSON_READS: Final[Mapping[str, str]] = {
    # The reader's standing, not the person's data.
    "person_file.access": "the reader's own standing (own/programme/outside), "
    "no data of the person",
    # The audit trail: supervisors and admins read it whole; it holds ids and codes only.
    "audit_log.events": "the audit trail (ids and codes), supervisors and admins only; its "
    "person filter narrows a list they may read whole",
    "audit_log.person_names": "names to recognise the persons of a page of the trail, "
    "supervisors and admins only",
    # Recognising a person, as the duplicate search does.
    "persons.search_persons": "the duplicate search: only what is needed to recognise a person",
    "persons.recent_persons": "recognition only (name, document, age), as the search",
    "persons.names": "names only, to recognise the persons of a list",
    "candidates.intake_candidates": "the duplicate search at intake: recognition only",
    "candidates.typed_candidates": "the duplicate search at intake (candidates."
    "intake_candidates): recognition only",
    # Lists across persons.
    "followups.due_for_worker": _ACROSS + " (the worker's own due list)",
    "referrals.waiting": _ACROSS + " (referrals waiting for an answer)",
    "rights.due": _ACROSS + " (the register of rights requests)",
    "reports.drill": _ACROSS + " (the cases behind a figure of the caseload report)",
    "retention.review_queue": _ACROSS + " (cases past their retention period)",
    "duplicate_queue.queue": _ACROSS + " (pairs of possible duplicates)",
    "sync_conflicts.open_conflicts": _ACROSS + " (the supervisors' queue of sync conflicts, "
    "in their scope, as duplicate_queue.queue: names to recognise the persons, the values "
    "the desk and the server disagree on)",
    "sync_conflicts.get": "one entry of the supervisors' queue of sync conflicts, as "
    "sync_conflicts.open_conflicts shows it, in the same scope",
    "sync_conflicts.resolve": _WRITE + ": whether it was applied, and counts",
    # The screens' read models (services/desk.py): the calls above, assembled.
    "desk.day": _ACROSS + " (the worker's day: followups.due_for_worker, referrals.waiting, "
    "rights.due, persons.names and persons.recent_persons)",
    "desk.rights_register": _ACROSS + " (rights.due, with persons.names)",
    "desk.retention_review": _ACROSS + " (retention.review_queue)",
    "desk.trail_page": "the audit trail (audit_log.events, audit_log.person_names), "
    "supervisors and admins only",
    # Writes that return what they wrote.
    "persons.register_intake": _WRITE,
    "guidance.open_route": _WRITE + ": the route's id, whether it was resumed and since when",
    "persons.update_person": _WRITE + ": the names of the fields changed",
    "person_edit.save": _WRITE + ": the names of the fields changed",
    "merge.merge": _WRITE,
    "merge.undo": _WRITE + ": ids, counts and field names",
    "merge.preview": "the merge's confirmation, right after merge.compare read both files "
    "(duplicate_check views): the values the survivor keeps and counts, supervisors of both",
    "retention.keep": _WRITE + ": the date kept until",
    "retention.anonymise": _WRITE,
    "rights.register": _WRITE + ": the request registered",
    "rights.extend": _WRITE + ": the request extended",
    "rights.answer": _WRITE + ": the request answered",
    "rights.lift_block": _WRITE + ": the request answered",
    "rights.erase": _WRITE,
    "rights.acting_on": "a context for carrying out a rectification request, no data",
    "case_lifecycle.close": _WRITE + ": the case's new status and counts settled",
    "case_lifecycle.reopen": _WRITE + ": the case's new status",
    "case_lifecycle.hold": _WRITE + ": the case's new status",
    "case_lifecycle.resume": _WRITE + ": the case's new status",
    # Who a case is with (services/assignment.py).
    "assignment.reassign_case": _WRITE + ": how many follow-ups moved, and to whom",
    "assignment.accept_transfer": _WRITE + ": how many follow-ups moved, and to whom",
    "assignment.pending_transfers": _ACROSS + " (transfers waiting for the supervisor's "
    "programme: names to recognise the persons, the request's reason)",
    "assignment.receivers": "the workers of a programme who can take a case, no person's data",
}
"""Service calls that take a person (or something of one person) or return person-shaped
rows, and are not per-person reads -- each with the reason. Calls that return nothing, an
id or a yes/no are not listed (they cannot return a person's data)."""
