"""Programmes and workers, the first-run set-up and the administrator's staff list."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import AfterValidator, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session, joinedload

from casework.errors import Conflict, FieldError, InvalidInput, NotAllowed, NotFound
from casework.models import AuditEvent, Programme, Worker
from casework.models.base import utcnow
from casework.models.enums import Role
from casework.services import assignment, auth
from casework.services.context import Context, audit, validate
from casework.services.outbox import online_only
from casework.services.schemas import (
    Input,
    OptText,
    Output,
    ProgrammeIn,
    ProgrammeOut,
    Text,
    WorkerIn,
    WorkerOut,
)


def is_empty(ctx: Context) -> bool:
    """True on a new database: nobody can work until the first worker exists."""
    with ctx.db.read() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 0


@online_only("staff.first_run")
def first_run(
    ctx: Context,
    programme: ProgrammeIn | Mapping[str, Any],
    worker: WorkerIn | Mapping[str, Any],
) -> WorkerOut:
    """Create the first programme and the first worker (an admin) on an empty database."""
    prog_in = validate(ProgrammeIn, programme)
    worker_in = validate(WorkerIn, worker)
    with ctx.db.write() as session:
        if session.scalar(sa.select(sa.func.count()).select_from(Worker)):
            raise Conflict("already_set_up")
        prog = Programme(code=prog_in.code, name=prog_in.name)
        session.add(prog)
        session.flush()
        row = Worker(
            username=worker_in.username,
            full_name=worker_in.full_name,
            role=Role.ADMIN.value,
            programme_id=prog.id,
        )
        session.add(row)
        session.flush()
        first = Context(ctx.db, row.id)
        audit(session, first, "create", "programme", prog.id)
        audit(session, first, "create", "worker", row.id)
        return WorkerOut.model_validate(row)


@online_only("staff.create_programme")
def create_programme(ctx: Context, data: ProgrammeIn | Mapping[str, Any]) -> ProgrammeOut:
    prog_in = validate(ProgrammeIn, data)
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        if session.scalar(sa.select(Programme.id).where(Programme.code == prog_in.code)):
            raise Conflict("programme_exists", programme=prog_in.code)
        prog = Programme(code=prog_in.code, name=prog_in.name)
        session.add(prog)
        session.flush()
        audit(session, ctx, "create", "programme", prog.id)
        return ProgrammeOut.model_validate(prog)


@online_only("staff.create_worker")
def create_worker(ctx: Context, data: WorkerIn | Mapping[str, Any]) -> WorkerOut:
    worker_in = validate(WorkerIn, data)
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        if session.scalar(sa.select(Worker.id).where(Worker.username == worker_in.username)):
            raise Conflict("username_taken", username=worker_in.username)
        prog_id = None
        if worker_in.programme_code:
            prog_id = session.scalar(
                sa.select(Programme.id).where(Programme.code == worker_in.programme_code)
            )
            if prog_id is None:
                raise NotFound("not_found", what=worker_in.programme_code)
        wide = _office_wide(worker_in.role, worker_in.office_wide)
        _check_programme(worker_in.role, wide, prog_id)
        row = Worker(
            username=worker_in.username,
            full_name=worker_in.full_name,
            role=worker_in.role.value,
            programme_id=prog_id,
            office_wide=wide,
        )
        session.add(row)
        session.flush()
        audit(session, ctx, "create", "worker", row.id, role=row.role, office_wide=row.office_wide)
        return WorkerOut.model_validate(row)


def list_workers(ctx: Context, *, active_only: bool = True) -> list[WorkerOut]:
    with ctx.db.read() as session:
        ctx.actor(session)
        stmt = sa.select(Worker).order_by(Worker.full_name)
        if active_only:
            stmt = stmt.where(Worker.active.is_(True))
        return [WorkerOut.model_validate(w) for w in session.scalars(stmt)]


def list_programmes(ctx: Context) -> list[ProgrammeOut]:
    with ctx.db.read() as session:
        ctx.actor(session)
        rows = session.scalars(sa.select(Programme).order_by(Programme.name))
        return [ProgrammeOut.model_validate(p) for p in rows]


def get_worker(ctx: Context, worker_id: uuid.UUID) -> WorkerOut:
    with ctx.db.read() as session:
        ctx.actor(session)
        row = session.get(Worker, worker_id)
        if row is None:
            raise NotFound("not_found", what="worker")
        return WorkerOut.model_validate(row)


def find_worker(ctx: Context, username: str) -> WorkerOut | None:
    with ctx.db.read() as session:
        row = session.scalar(sa.select(Worker).where(Worker.username == username))
        return WorkerOut.model_validate(row) if row else None


def sign_in(ctx: Context, worker_id: uuid.UUID) -> WorkerOut:
    """Start a session without a password, for a worker who has none: only on the synthetic
    demo database (its "demo" audit row) or one where nobody has a password yet (from before
    passwords). Anywhere else a worker signs in with
    :func:`casework.services.auth.authenticate`."""
    with ctx.db.write() as session:
        row = session.get(Worker, worker_id)
        if row is None or not row.active:
            raise NotFound("not_found", what="worker")
        demo = session.scalar(
            sa.select(AuditEvent.id)
            .where(AuditEvent.action == "demo", AuditEvent.entity == "database")
            .limit(1)
        )
        passwords = session.scalar(
            sa.select(Worker.id).where(Worker.password_hash.is_not(None)).limit(1)
        )
        if row.password_hash is not None or (passwords is not None and demo is None):
            raise NotAllowed("sign_in_needs_password")
        row.last_seen_at = utcnow()
        audit(session, Context(ctx.db, row.id), "sign_in", "worker", row.id)
        return WorkerOut.model_validate(row)


# Administration ------------------------------------------------------------------------------


class StaffOut(Output):
    """A worker as the administrator sees them: with their programme and lock-out."""

    id: uuid.UUID
    username: str
    full_name: str
    role: str
    programme_id: uuid.UUID | None
    programme_code: str | None
    active: bool
    locked_until: dt.datetime | None
    last_seen_at: dt.datetime | None
    has_password: bool
    office_wide: bool = False

    @property
    def locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > utcnow()


class ProgrammeRow(Output):
    id: uuid.UUID
    code: str
    name: str
    active: bool
    workers: int
    """Active workers in the programme."""


def _strong(value: str) -> str:
    if len(value) < auth.MIN_PASSWORD_LENGTH:
        raise PydanticCustomError(
            "password_too_short", "short", {"length": auth.MIN_PASSWORD_LENGTH}
        )
    return value


Password = Annotated[str, AfterValidator(_strong)]


class NewWorkerIn(WorkerIn):
    """A colleague with the temporary password the administrator gives them."""

    password: Password

    @field_validator("username", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class WorkerChangeIn(Input):
    full_name: Text = Field(max_length=200)
    role: Role
    programme_code: OptText = None
    """Empty: no programme."""
    office_wide: bool | None = None
    """None: unchanged (and cleared when the role is no longer supervisor)."""


class PasswordIn(Input):
    password: Password


class ProgrammeNameIn(Input):
    name: Text = Field(max_length=200)


def _staff(row: Worker) -> StaffOut:
    return StaffOut(
        id=row.id,
        username=row.username,
        full_name=row.full_name,
        role=row.role,
        programme_id=row.programme_id,
        programme_code=row.programme.code if row.programme else None,
        active=row.active,
        locked_until=row.locked_until,
        last_seen_at=row.last_seen_at,
        has_password=row.password_hash is not None,
        office_wide=row.office_wide,
    )


def _office_wide(role: Role, office_wide: bool) -> bool:
    """Only a supervisor can be office-wide (services/gate.py)."""
    if office_wide and role is not Role.SUPERVISOR:
        raise InvalidInput([FieldError("office_wide", "office_wide_supervisors_only")])
    return office_wide


def needs_programme(role: Role, office_wide: bool) -> bool:
    """A desk worker saves fichas in their programme's cases (services/persons.py
    ``open_case``) and a supervisor supervises one programme (services/gate.py
    ``supervision``): both need one. An administrator manages staff and catalogues, and an
    office-wide supervisor's scope is the whole office: a programme is optional for them."""
    if role is Role.WORKER:
        return True
    return role is Role.SUPERVISOR and not office_wide


def _check_programme(role: Role, office_wide: bool, programme_id: uuid.UUID | None) -> None:
    """Refuse a role that needs a programme without one (issue #15, point 7): such a
    worker could sign in but never save a ficha."""
    if programme_id is None and needs_programme(role, office_wide):
        raise InvalidInput([FieldError("programme_code", "session_programme_required")])


def staff(ctx: Context) -> list[StaffOut]:
    """Every worker, active or not, by name (administrators only)."""
    with ctx.db.read() as session:
        ctx.require_role(session, Role.ADMIN)
        rows = session.scalars(
            sa.select(Worker).options(joinedload(Worker.programme)).order_by(Worker.full_name)
        )
        return [_staff(w) for w in rows]


def programmes(ctx: Context) -> list[ProgrammeRow]:
    """Programmes with how many active workers each has (administrators only)."""
    with ctx.db.read() as session:
        ctx.require_role(session, Role.ADMIN)
        counted = session.execute(
            sa.select(Worker.programme_id, sa.func.count())
            .where(Worker.active.is_(True), Worker.programme_id.is_not(None))
            .group_by(Worker.programme_id)
        )
        counts = {prog_id: int(n) for prog_id, n in counted}
        rows = session.scalars(sa.select(Programme).order_by(Programme.name))
        return [
            ProgrammeRow(
                id=p.id, code=p.code, name=p.name, active=p.active, workers=counts.get(p.id, 0)
            )
            for p in rows
        ]


def _programme_id(session: Session, code: str | None) -> uuid.UUID | None:
    if not code:
        return None
    prog_id = session.scalar(sa.select(Programme.id).where(Programme.code == code))
    if prog_id is None:
        raise InvalidInput([FieldError("programme_code", "not_found", {"what": code})])
    return prog_id


@online_only("staff.add_worker")
def add_worker(ctx: Context, data: NewWorkerIn | Mapping[str, Any]) -> StaffOut:
    """A new colleague with a temporary password, in one transaction (administrators only)."""
    worker_in = validate(NewWorkerIn, data)
    new_hash = auth.hash_password(worker_in.password)
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        if session.scalar(sa.select(Worker.id).where(Worker.username == worker_in.username)):
            raise InvalidInput(
                [FieldError("username", "username_taken", {"username": worker_in.username})]
            )
        prog_id = _programme_id(session, worker_in.programme_code)
        wide = _office_wide(worker_in.role, worker_in.office_wide)
        _check_programme(worker_in.role, wide, prog_id)
        row = Worker(
            username=worker_in.username,
            full_name=worker_in.full_name,
            role=worker_in.role.value,
            programme_id=prog_id,
            password_hash=new_hash,
            password_temporary=True,
            office_wide=wide,
        )
        session.add(row)
        session.flush()
        audit(session, ctx, "create", "worker", row.id, role=row.role, office_wide=row.office_wide)
        audit(session, ctx, "password_set", "worker", row.id)
        session.refresh(row, ["programme"])
        return _staff(row)


def _admins_left(session: Session, without: uuid.UUID) -> int:
    """Active administrators other than ``without``."""
    return int(
        session.scalar(
            sa.select(sa.func.count()).where(
                Worker.role == Role.ADMIN.value, Worker.active.is_(True), Worker.id != without
            )
        )
        or 0
    )


def _target(session: Session, worker_id: uuid.UUID) -> Worker:
    row = session.get(Worker, worker_id)
    if row is None:
        raise NotFound("not_found", what="worker")
    return row


@online_only("staff.change_worker")
def change_worker(
    ctx: Context, worker_id: uuid.UUID, data: WorkerChangeIn | Mapping[str, Any]
) -> StaffOut:
    """Name, role and programme; the last active administrator cannot be demoted."""
    change = validate(WorkerChangeIn, data)
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        row = _target(session, worker_id)
        if (
            row.active
            and row.role == Role.ADMIN.value
            and change.role is not Role.ADMIN
            and not _admins_left(session, row.id)
        ):
            raise Conflict("last_admin")
        if change.office_wide is None:  # unchanged, unless no longer a supervisor
            wide = row.office_wide and change.role is Role.SUPERVISOR
        else:
            wide = _office_wide(change.role, change.office_wide)
        prog_id = _programme_id(session, change.programme_code)
        _check_programme(change.role, wide, prog_id)
        values = {
            "full_name": change.full_name,
            "role": change.role.value,
            "programme_id": prog_id,
            "office_wide": wide,
        }
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        # A role or programme change is a security act of its own, with the codes before
        # and after; a new name stays an ordinary update.
        if "role" in changed:
            audit(
                session,
                ctx,
                "role_change",
                "worker",
                row.id,
                from_role=row.role,
                to_role=values["role"],
            )
        if "programme_id" in changed:
            audit(
                session,
                ctx,
                "programme_change",
                "worker",
                row.id,
                from_programme=row.programme.code if row.programme is not None else None,
                to_programme=change.programme_code or None,
            )
        for name in changed:
            setattr(row, name, values[name])
        if "full_name" in changed:
            audit(session, ctx, "update", "worker", row.id, fields=["full_name"])
        session.flush()
        session.refresh(row, ["programme"])
        return _staff(row)


@online_only("staff.set_active")
def set_active(
    ctx: Context, worker_id: uuid.UUID, active: bool, *, receiver: uuid.UUID | None = None
) -> StaffOut:
    """Deactivate (they can no longer sign in; their history stays) or reactivate. The last
    active administrator cannot be deactivated. A worker with open cases or pending
    follow-ups is deactivated only with ``receiver``, an active colleague of the same
    programme who takes that work in the same transaction (services/assignment.py
    ``move_work``); without one it is refused (``assign_needs_receiver``), nothing written."""
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        _target(session, worker_id)
        row = assignment.lock_worker(session, worker_id)
        assert row is not None
        if (
            not active
            and row.active
            and row.role == Role.ADMIN.value
            and not _admins_left(session, row.id)
        ):
            raise Conflict("last_admin")
        if not active and row.active:
            if receiver is None:
                assignment.refuse_orphans(session, row)
            else:
                assignment.move_work(session, ctx, row, receiver, "deactivate")
        if row.active != active:
            row.active = active
            row.failed_sign_ins = 0
            row.locked_until = None
            audit(session, ctx, "reactivate" if active else "deactivate", "worker", row.id)
        return _staff(row)


@online_only("staff.reset_password")
def reset_password(
    ctx: Context, worker_id: uuid.UUID, data: PasswordIn | Mapping[str, Any]
) -> StaffOut:
    """A new temporary password for someone who forgot theirs; unlocks the account."""
    new_hash = auth.hash_password(validate(PasswordIn, data).password)
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        row = _target(session, worker_id)
        row.password_hash = new_hash
        row.password_temporary = True
        row.failed_sign_ins = 0
        row.locked_until = None
        audit(session, ctx, "password_set", "worker", row.id)
        return _staff(row)


@online_only("staff.unlock")
def unlock(ctx: Context, worker_id: uuid.UUID) -> StaffOut:
    """Lift a lock-out after failed sign-ins before it runs out."""
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        row = _target(session, worker_id)
        if row.locked_until is not None or row.failed_sign_ins:
            row.locked_until = None
            row.failed_sign_ins = 0
            audit(session, ctx, "unlock", "worker", row.id)
        return _staff(row)


@online_only("staff.rename_programme")
def rename_programme(
    ctx: Context, programme_id: uuid.UUID, data: ProgrammeNameIn | Mapping[str, Any]
) -> ProgrammeOut:
    """A programme's name (its code stays: it is printed in reports and lists)."""
    name_in = validate(ProgrammeNameIn, data)
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        prog = session.get(Programme, programme_id)
        if prog is None:
            raise NotFound("not_found", what="programme")
        if prog.name != name_in.name:
            prog.name = name_in.name
            audit(session, ctx, "update", "programme", prog.id, fields=["name"])
        return ProgrammeOut.model_validate(prog)
