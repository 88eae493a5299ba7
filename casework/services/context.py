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
from casework.errors import FieldError, InvalidInput, NotAllowed, NotFound
from casework.models import AuditEvent, RequestLog, Worker
from casework.models.enums import Role

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
    """Add an audit event to the current transaction. ``details`` hold ids and field names only."""
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
