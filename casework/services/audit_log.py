"""Reading the audit trail: who saw or changed what, for supervisors and `casework audit`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa

from casework.models import AuditEvent, Person, Worker
from casework.models.enums import Role
from casework.services.context import Context
from casework.services.schemas import Output


class AuditRow(Output):
    id: uuid.UUID
    at: dt.datetime
    worker_id: uuid.UUID | None
    worker: str = ""
    action: str
    entity: str
    entity_id: uuid.UUID | None
    person_id: uuid.UUID | None
    details: dict[str, Any]


def events(
    ctx: Context,
    *,
    person_id: uuid.UUID | None = None,
    worker_id: uuid.UUID | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 500,
) -> list[AuditRow]:
    """Newest first. Supervisors and admins only; reading the trail is not itself audited
    (it holds no personal values)."""
    with ctx.db.read() as session:
        ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        return _events(session, person_id, worker_id, action, since, limit)


def person_names(ctx: Context, person_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of the persons a page of the trail is about, for the supervisor reading it (the
    trail itself keeps ids only). Merged records keep their name; erased persons have none.
    Supervisors and admins only."""
    if not person_ids:
        return {}
    with ctx.db.read() as session:
        ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        rows = session.execute(
            sa.select(
                Person.id, Person.given_names, Person.first_surname, Person.second_surname
            ).where(Person.id.in_(person_ids))
        ).all()
        return {r[0]: " ".join(p for p in r[1:] if p) for r in rows}


def events_unattended(ctx: Context, *, person_id: uuid.UUID, limit: int = 500) -> list[AuditRow]:
    """For the command line, run by whoever can open the database file itself."""
    with ctx.db.read() as session:
        return _events(session, person_id, None, None, None, limit)


def _events(
    session: Any,
    person_id: uuid.UUID | None,
    worker_id: uuid.UUID | None,
    action: str | None,
    since: dt.datetime | None,
    limit: int,
) -> list[AuditRow]:
    stmt = (
        sa.select(AuditEvent, Worker.full_name)
        .outerjoin(Worker, Worker.id == AuditEvent.worker_id)
        .order_by(AuditEvent.at.desc())
        .limit(limit)
    )
    if person_id is not None:
        stmt = stmt.where(AuditEvent.person_id == person_id)
    if worker_id is not None:
        stmt = stmt.where(AuditEvent.worker_id == worker_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    return [
        AuditRow.model_validate(ev).model_copy(update={"worker": name or ""})
        for ev, name in session.execute(stmt).all()
    ]
