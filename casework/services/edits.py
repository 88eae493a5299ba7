"""Edits that cannot lose another desk's work: each changed field carries the value the form
started from, and is checked against the record inside the write transaction.

A form sends only the fields the worker changed, each as ``FieldChange(base=..., new=...)``.
Inside the write transaction, after the row is locked (:func:`lock`), :func:`apply_changes`
takes each field in turn:

- the record still holds ``base``: ``new`` is written;
- the record already holds ``new`` (another desk made the same change): nothing to do;
- anything else: a conflict.

Every conflicting field is collected and one :class:`casework.errors.EditConflict` raised,
naming each with the value the form started from, the value now on record and the value
typed; then nothing of the command is written (the caller's transaction rolls back).
Changes to different fields of one record both stand. State transitions are the same
check on their state field: the state the form saw is the base.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session

from casework.errors import EditConflict, FieldConflict, NotFound

T = TypeVar("T")
M = TypeVar("M")


class FieldChange(BaseModel, Generic[T]):
    """One changed field of an edit: ``base``, the value the form started from (as the
    service gave it out), and ``new``, the value typed (validated as ``T``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: Any = None
    new: T


def lock(session: Session, model: type[M], id_: Any, what: str) -> M:
    """The row with its current values, locked until the write transaction ends: ``SELECT
    ... FOR UPDATE`` on PostgreSQL; on SQLite the write transaction (BEGIN IMMEDIATE,
    casework/db.py) already holds the database's one write lock."""
    row = session.get(model, id_, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound("not_found", what=what)
    return row


def stored_form(value: Any) -> Any:
    """A typed value as the row stores it: enums by their value, sequences as lists."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [stored_form(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Whether two values are the same stored value (a date and its ISO text are)."""
    return bool(to_jsonable_python(stored_form(a)) == to_jsonable_python(stored_form(b)))


def check_changes(
    row: object,
    changes: Mapping[str, FieldChange[Any] | None],
    *,
    labels: Mapping[str, str] | None = None,
    code: str | None = None,
    **params: Any,
) -> dict[str, Any]:
    """The fields of ``changes`` to write on ``row`` (attribute name -> stored value); raises
    one EditConflict (message ``code``, default ``edit_conflict``, with ``params``) listing
    every field another desk changed meanwhile. Writes nothing itself."""
    to_write: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    for name, change in changes.items():
        if change is None:
            continue
        current = getattr(row, name)
        new = stored_form(change.new)
        if same(current, new):
            continue
        if same(current, change.base):
            to_write[name] = new
            continue
        conflicts.append(
            FieldConflict(
                name,
                stored_form(change.base),
                current,
                new,
                (labels or {}).get(name),
            )
        )
    if conflicts:
        raise EditConflict(conflicts, code, **params)
    return to_write


def apply_changes(
    row: object,
    changes: Mapping[str, FieldChange[Any] | None],
    *,
    labels: Mapping[str, str] | None = None,
    code: str | None = None,
    **params: Any,
) -> list[str]:
    """Check every change (:func:`check_changes`), then write them; returns the names of the
    fields written, sorted. Call it on a row from :func:`lock`, inside the write transaction."""
    to_write = check_changes(row, changes, labels=labels, code=code, **params)
    for name, value in to_write.items():
        setattr(row, name, value)
    return sorted(to_write)


def changes_of(data: BaseModel, names: Iterable[str] | None = None) -> dict[str, FieldChange[Any]]:
    """The FieldChange fields of a validated edit input that were given."""
    fields = names if names is not None else type(data).model_fields
    out: dict[str, FieldChange[Any]] = {}
    for name in fields:
        value = getattr(data, name, None)
        if isinstance(value, FieldChange):
            out[name] = value
    return out
