"""Cases: the vulnerability flags of a programme's case with one person.

Flags (children, pregnancy, disability, violence, ...) say what the case must take care
of. Who may set them: the worker the case is assigned to, a supervisor or an admin; any
other worker is refused. Violence, trafficking and unaccompanied child are extra-sensitive
(services/visibility.py): a reader who cannot see them never gets them back from here, and
a save by such a reader keeps them as they were -- what is hidden is never dropped.
A save carries the flags its form opened with: only what the worker ticked or unticked
is applied, onto the flags as they are now, so two desks never undo each other. The audit
trail records which flag codes were added and removed (it is read by supervisors and
admins only, who see every flag).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Final

import sqlalchemy as sa
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from casework import refdata
from casework.errors import NotAllowed
from casework.models import Case, Programme, Worker
from casework.models.enums import CaseStatus, Role
from casework.services import gate, visibility
from casework.services.context import Context, audit, validate
from casework.services.edits import lock
from casework.services.gate import AccessReason, Read, person_read
from casework.services.live_person import live_person
from casework.services.outbox import offline_command
from casework.services.schemas import Input, Output

CASE_FLAGS: Final = tuple(code.key for code in refdata.code_list("case_flags"))
"""The vulnerability flags a case can carry (codes.toml ``lists.case_flags``), in the order
the file shows them. Stored keys: never rename one, add a new one instead."""


def _known_flag(value: str) -> str:
    if value not in CASE_FLAGS:
        raise PydanticCustomError("unknown_flag", "unknown flag", {"value": value})
    return value


FlagKey = Annotated[str, AfterValidator(_known_flag)]


class FlagsIn(Input):
    flags: tuple[FlagKey, ...] = ()


class CaseFlagsOut(Output):
    """One case's flags as the reader may see and set them."""

    case_id: uuid.UUID
    person_id: uuid.UUID
    programme_name: str
    worker_name: str
    status: str
    flags: list[str]
    """The flags set on the case that the reader may see, in :data:`CASE_FLAGS` order."""
    choices: list[str]
    """The flags the reader may tick or untick."""
    editable: bool
    """Whether the reader may change this case's flags at all."""
    version: int = 1


def _ordered(flags: set[str] | list[str]) -> list[str]:
    """Known flags in list order, then any unknown stored key (never lost)."""
    chosen = set(flags)
    return [f for f in CASE_FLAGS if f in chosen] + sorted(chosen - set(CASE_FLAGS))


def _may_edit(reader: Worker | None, case: Case) -> bool:
    """The case's worker, or a supervisor of its programme (any, office-wide). Not an
    administrator: they manage staff, not files (services/gate.py)."""
    if reader is None or not reader.active:
        return False
    if reader.id == case.worker_id or gate.is_office_wide(reader):
        return True
    return reader.role == Role.SUPERVISOR.value and reader.programme_id == case.programme_id


def _choices(reader: Worker | None, case: Case) -> list[str]:
    if visibility.sees_case(reader, case.worker_id):
        return list(CASE_FLAGS)
    return [f for f in CASE_FLAGS if f not in visibility.SENSITIVE_CASE_FLAGS]


def _out(session: Session, reader: Worker | None, case: Case) -> CaseFlagsOut:
    programme = session.get(Programme, case.programme_id)
    worker = session.get(Worker, case.worker_id)
    return CaseFlagsOut(
        case_id=case.id,
        person_id=case.person_id,
        programme_name=programme.name if programme else "",
        worker_name=worker.full_name if worker else "",
        status=case.status,
        flags=_ordered(visibility.visible_flags(reader, case.worker_id, list(case.flags or []))),
        choices=_choices(reader, case),
        editable=_may_edit(reader, case),
        version=case.version,
    )


@person_read
def current_case(
    ctx: Context, person_id: uuid.UUID, *, reason: AccessReason | str | None = None
) -> CaseFlagsOut | None:
    """The case whose flags the person file edits: the reader's own open case, else an open
    case of the reader's programme, else the most recent open case, else the most recent
    case; None when the person has no case. Read through the gate (services/gate.py)."""
    with ctx.db.write() as session:
        reader = gate.read_person(session, ctx, person_id, Read.CURRENT_CASE, reason).reader
        cases = session.scalars(
            sa.select(Case).where(Case.person_id == person_id).order_by(Case.opened_at.desc())
        ).all()
        if not cases:
            return None

        def rank(case: Case) -> tuple[bool, bool, bool]:
            is_open = case.status != CaseStatus.CLOSED.value
            mine = case.worker_id == reader.id
            ours = case.programme_id == reader.programme_id
            return (is_open and mine, is_open and ours, is_open)

        best = max(cases, key=rank)  # max keeps the first (the newest) among equals
        return _out(session, reader, best)


@offline_command("cases.set_flags")
def set_flags(
    ctx: Context,
    case_id: uuid.UUID,
    flags: FlagsIn | list[str] | tuple[str, ...],
    *,
    base: list[str] | tuple[str, ...] | None = None,
) -> bool:
    """Save the flags ticked in a form; returns whether anything changed.

    ``base`` is the list the form opened with (:attr:`CaseFlagsOut.flags`): the flags ticked
    since then are added to the case's current flags and those unticked are removed, so a
    flag another desk set or cleared meanwhile stays as that desk left it. Without ``base``
    the flags the reader may set become exactly ``flags``.

    Flags the reader cannot see are kept as they are, whatever ``flags`` says about them;
    refused (``NotAllowed("not_case_worker")``) for a worker who is neither the case's worker
    nor a supervisor or admin. Unchanged flags write nothing, not even an audit row; a
    change is audited with the flag codes added and removed.
    """
    data = flags if isinstance(flags, FlagsIn) else validate(FlagsIn, {"flags": tuple(flags)})
    with ctx.db.write() as session:
        reader = ctx.actor(session)
        case = lock(session, Case, case_id, "case")
        live_person(session, case.person_id)
        if not _may_edit(reader, case):
            raise NotAllowed("not_case_worker")
        current = set(case.flags or [])
        # Only what the reader may tick: flags hidden from them, and stored keys that are no
        # longer offered, are never dropped by a save that could not show them.
        choices = set(_choices(reader, case))
        wanted = set(data.flags) & choices
        if base is None:
            visible = set(visibility.visible_flags(reader, case.worker_id, list(current)))
            kept = {f for f in current if f not in visible or f not in CASE_FLAGS}
            new = wanted | kept
        else:
            started = set(base)
            new = (current | (wanted - started)) - ((started - wanted) & choices)
        if new == current:
            return False
        case.flags = _ordered(new)
        audit(
            session,
            ctx,
            "update",
            "case",
            case.id,
            person_id=case.person_id,
            fields=["flags"],
            added=_ordered(new - current),
            removed=_ordered(current - new),
        )
        return True
