"""Reading the audit trail: who saw or changed what.

Who reads which rows (services/gate.py, issue #12):

- an office-wide supervisor and an administrator, the whole trail (ids and codes only:
  administrators oversee how the staff use the system);
- a programme supervisor, the rows about their programme's persons and the rows written by
  their programme's workers; asking for another programme's person is ``other_programme``;
- nobody else (a desk worker ``role_required``, nobody signed in ``no_actor``).

Names of the persons on a page (:func:`person_names`) are personal data: supervisors only,
each for the persons in their scope.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa

from casework.errors import NotAllowed
from casework.models import AuditEvent, Case, Person, Programme, Worker
from casework.models.enums import Role
from casework.services import gate, paging
from casework.services.context import Context
from casework.services.paging import Page
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
    offset: int = 0,
    limit: int | None = None,
) -> Page[AuditRow]:
    """Newest first, in the reader's scope (module docstring); reading the trail is not
    itself audited (it holds no personal values). A page of ``limit`` rows from ``offset``
    (services/paging.py: ``total`` is the count of the whole trail as filtered)."""
    with ctx.db.read() as session:
        reader = ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        if reader.role == Role.ADMIN.value:
            return _events(session, person_id, worker_id, action, since, offset, limit)
        scope = gate.supervision(session, ctx)
        if person_id is not None and not scope.covers(session, person_id):
            raise NotAllowed("other_programme")
        return _events(session, person_id, worker_id, action, since, offset, limit, scope)


def person_names(ctx: Context, person_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of the persons a page of the trail is about, for the supervisor reading it (the
    trail itself keeps ids only). Merged records keep their name; erased persons are left
    out. Supervisors get the names of the persons in their scope; a person still on record
    but outside the reader's scope -- every person, for an administrator, who reads the
    trail by ids only -- maps to ``""`` (not shown), so that no one is taken for erased."""
    with ctx.db.read() as session:
        reader = ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        if not person_ids:
            return {}
        on_record = set(session.scalars(sa.select(Person.id).where(Person.id.in_(person_ids))))
        hidden = dict.fromkeys(on_record, "")
        if reader.role == Role.ADMIN.value:
            return hidden
        scope = gate.supervision(session, ctx)
        stmt = sa.select(
            Person.id, Person.given_names, Person.first_surname, Person.second_surname
        ).where(Person.id.in_(person_ids))
        in_scope = scope.persons()
        if in_scope is not None:
            stmt = stmt.where(Person.id.in_(in_scope))
        rows = session.execute(stmt).all()
        return hidden | {r[0]: " ".join(p for p in r[1:] if p) for r in rows}


def staff_names(ctx: Context, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of the workers and programmes a page of the trail names by id (moves of work,
    transfers): the office's own staff, shown to whoever reads the trail."""
    with ctx.db.read() as session:
        ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
        if not ids:
            return {}
        found = dict(
            session.execute(sa.select(Worker.id, Worker.full_name).where(Worker.id.in_(ids))).all()
        )
        found.update(
            dict(
                session.execute(
                    sa.select(Programme.id, Programme.name).where(Programme.id.in_(ids))
                ).all()
            )
        )
        return found


def _events(
    session: Any,
    person_id: uuid.UUID | None,
    worker_id: uuid.UUID | None,
    action: str | None,
    since: dt.datetime | None,
    offset: int,
    limit: int | None,
    scope: gate.Scope | None = None,
) -> Page[AuditRow]:
    stmt = sa.select(AuditEvent, Worker.full_name).outerjoin(
        Worker, Worker.id == AuditEvent.worker_id
    )
    if person_id is not None:
        stmt = stmt.where(AuditEvent.person_id == person_id)
    if worker_id is not None:
        stmt = stmt.where(AuditEvent.worker_id == worker_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if scope is not None and scope.programme_id is not None:
        # Scope.persons() as a check per event (the index ix_case_person_programme):
        # counting the whole trail no longer lists every case of the programme.
        about_theirs = sa.exists().where(
            Case.person_id == AuditEvent.person_id, Case.programme_id == scope.programme_id
        )
        stmt = stmt.where(sa.or_(about_theirs, Worker.programme_id == scope.programme_id))
    order = [(AuditEvent.at, True), (AuditEvent.id, True)]
    page = paging.fetch(session, stmt, order, offset=offset, limit=limit)
    return page.mapped(
        AuditRow.model_validate(ev).model_copy(update={"worker": name or ""}) for ev, name in page
    )
