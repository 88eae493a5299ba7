"""What every service call needs: the database, who is acting, audit and idempotency helpers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from casework.db import Database
from casework.errors import Conflict, FieldError, InvalidInput, NotAllowed, NotFound
from casework.models import AuditEvent, RequestLog, RightsRequest, Worker
from casework.models.enums import Role
from casework.models.security import RequestStatus, RightKind

M = TypeVar("M", bound=BaseModel)

# pydantic's own error types -> our message codes
_PYDANTIC_CODES = {
    "missing": "required",
    "string_too_short": "required",
    "string_too_long": "too_long",
    "string_pattern_mismatch": "bad_format",
    "date_parsing": "bad_date",
    "date_from_datetime_parsing": "bad_date",
    "date_type": "bad_date",
    "datetime_parsing": "bad_date",
    "enum": "not_in_list",
    "literal_error": "not_in_list",
    "int_parsing": "not_a_number",
    "greater_than_equal": "too_small",
    "less_than_equal": "too_large",
    "extra_forbidden": "unknown_field",
    "bool_parsing": "not_yes_no",
    "uuid_parsing": "bad_format",
}


def validate(model: type[M], data: M | Mapping[str, Any]) -> M:
    """Build a validated input or raise :class:`InvalidInput` with one error per field."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def invalid_input(exc: ValidationError) -> InvalidInput:
    errors = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "form"
        kind = err["type"]
        code = _PYDANTIC_CODES.get(kind, kind)
        params = dict(err.get("ctx") or {})
        params = {k: v for k, v in params.items() if isinstance(v, str | int | float)}
        if kind == "value_error":
            code = "bad_value"
        errors.append(FieldError(loc, code, params))
    return InvalidInput(errors)


@dataclass(frozen=True)
class Context:
    """The database and the worker on whose behalf the call is made."""

    db: Database
    actor_id: uuid.UUID | None = None
    rights_request_id: uuid.UUID | None = None
    """Set when the call carries out an open rectification request
    (:func:`casework.services.rights.acting_on`): its writes pass a blocked person's file."""

    def actor(self, session: Session) -> Worker:
        if self.actor_id is None:
            raise NotAllowed("no_actor")
        worker = session.get(Worker, self.actor_id)
        if worker is None or not worker.active:
            raise NotAllowed("no_actor")
        return worker

    def require_role(self, session: Session, *roles: Role) -> Worker:
        worker = self.actor(session)
        if worker.role not in {r.value for r in roles}:
            raise NotAllowed("role_required", role=" / ".join(r.value for r in roles))
        return worker


def audit(
    session: Session,
    ctx: Context,
    action: str,
    entity: str,
    entity_id: uuid.UUID | None = None,
    *,
    person_id: uuid.UUID | None = None,
    **details: Any,
) -> None:
    """Add an audit event to the current transaction. ``details`` hold ids and field names only.

    Every service write about a person passes here, so this is also where a blocking request
    is enforced: a change to a blocked person's data raises ``person_blocked`` and the
    caller's transaction rolls back with nothing written."""
    if person_id is not None and changes_person(action, entity):
        refuse_if_blocked(session, ctx, person_id)
    session.add(
        AuditEvent(
            worker_id=ctx.actor_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            person_id=person_id,
            details=details,
        )
    )


# Blocking (Ley 21.719 arts. 8 ter and 11) -------------------------------------------------

RIGHTS_ENTITY = "rights_request"
"""Registering, checking, extending, refusing or answering a request: the rights process."""

PASSES_BLOCK = frozenset(
    {
        ("view", "person"),
        ("export", "person"),
        ("erase", "person"),
        ("revoke", "consent"),
    }
)
"""Audited actions a block does not stop: reading the file, the answer to an access or
portability request, an erasure the person asked for, and the person withdrawing consent
(which only narrows what is done with their data)."""

_UNBLOCKED = "casework.unblocked"
"""session.info key: persons already found unblocked in this transaction (one query each)."""


def changes_person(action: str, entity: str) -> bool:
    """Whether an audited action processes the person's data in a way a block suspends."""
    return entity != RIGHTS_ENTITY and (action, entity) not in PASSES_BLOCK


def open_blocking(session: Session, person_id: uuid.UUID) -> RightsRequest | None:
    """The person's open blocking request (the earliest due), if any. One query on the
    rights_request person_id index."""
    return session.scalars(
        sa.select(RightsRequest)
        .where(
            RightsRequest.person_id == person_id,
            RightsRequest.kind == RightKind.BLOCKING.value,
            RightsRequest.status.in_((RequestStatus.OPEN.value, RequestStatus.EXTENDED.value)),
        )
        .order_by(RightsRequest.due_on)
        .limit(1)
    ).first()


def refuse_if_blocked(session: Session, ctx: Context, person_id: uuid.UUID) -> None:
    """Raise ``person_blocked`` when an open blocking request suspends the person's data,
    unless the call carries out an open rectification request of that same person."""
    unblocked: set[uuid.UUID] = session.info.setdefault(_UNBLOCKED, set())
    if person_id in unblocked:
        return
    block = open_blocking(session, person_id)
    if block is None:
        unblocked.add(person_id)
        return
    if ctx.rights_request_id is not None:
        carried = session.get(RightsRequest, ctx.rights_request_id)
        if (
            carried is not None
            and carried.person_id == person_id
            and carried.kind == RightKind.RECTIFICATION.value
            and carried.status in (RequestStatus.OPEN.value, RequestStatus.EXTENDED.value)
        ):
            return
    raise Conflict("person_blocked", due=block.due_on, received=block.received_on)


def replayed(session: Session, request_id: uuid.UUID | None, action: str) -> uuid.UUID | None:
    """The result of an earlier save with this request id (a double key press), if any."""
    if request_id is None:
        return None
    row = session.get(RequestLog, request_id)
    if row is None:
        return None
    if row.action != action:
        raise NotAllowed("request_reused")
    return row.result_id


def remember(
    session: Session, request_id: uuid.UUID | None, action: str, result_id: uuid.UUID
) -> None:
    if request_id is not None:
        session.add(RequestLog(request_id=request_id, action=action, result_id=result_id))


T = TypeVar("T")


def get_or_404(session: Session, model: type[T], id_: uuid.UUID, what: str) -> T:
    obj = session.get(model, id_)
    if obj is None:
        raise NotFound("not_found", what=what)
    return obj


def count(session: Session, stmt: sa.Select[Any]) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)
