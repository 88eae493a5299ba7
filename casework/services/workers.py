"""Programmes and workers, and the first-run set-up."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from casework.errors import Conflict, NotFound
from casework.models import Programme, Worker
from casework.models.base import utcnow
from casework.models.enums import Role
from casework.services.context import Context, audit, validate
from casework.services.schemas import ProgrammeIn, ProgrammeOut, WorkerIn, WorkerOut


def is_empty(ctx: Context) -> bool:
    """True on a new database: nobody can work until the first worker exists."""
    with ctx.db.read() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 0


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
        row = Worker(
            username=worker_in.username,
            full_name=worker_in.full_name,
            role=worker_in.role.value,
            programme_id=prog_id,
        )
        session.add(row)
        session.flush()
        audit(session, ctx, "create", "worker", row.id)
        return WorkerOut.model_validate(row)


def list_workers(ctx: Context, *, active_only: bool = True) -> list[WorkerOut]:
    with ctx.db.read() as session:
        stmt = sa.select(Worker).order_by(Worker.full_name)
        if active_only:
            stmt = stmt.where(Worker.active.is_(True))
        return [WorkerOut.model_validate(w) for w in session.scalars(stmt)]


def list_programmes(ctx: Context) -> list[ProgrammeOut]:
    with ctx.db.read() as session:
        rows = session.scalars(sa.select(Programme).order_by(Programme.name))
        return [ProgrammeOut.model_validate(p) for p in rows]


def get_worker(ctx: Context, worker_id: uuid.UUID) -> WorkerOut:
    with ctx.db.read() as session:
        row = session.get(Worker, worker_id)
        if row is None:
            raise NotFound("not_found", what="worker")
        return WorkerOut.model_validate(row)


def find_worker(ctx: Context, username: str) -> WorkerOut | None:
    with ctx.db.read() as session:
        row = session.scalar(sa.select(Worker).where(Worker.username == username))
        return WorkerOut.model_validate(row) if row else None


def sign_in(ctx: Context, worker_id: uuid.UUID) -> WorkerOut:
    """Start a session for a worker (password sign-in comes with data protection)."""
    with ctx.db.write() as session:
        row = session.get(Worker, worker_id)
        if row is None or not row.active:
            raise NotFound("not_found", what="worker")
        row.last_seen_at = utcnow()
        audit(session, Context(ctx.db, row.id), "sign_in", "worker", row.id)
        return WorkerOut.model_validate(row)
