"""Offline desks (issue #17): the supervisors' queue of sync conflicts.

A desk command the server refused is a ``sync_conflict`` row: what the desk wanted (the
command and its input), what the server has (per field: the value the desk started from,
the value now on record, the value typed) and why (the refusal's message). Commands of
the same desk on the same record that came after it wait behind it (kind ``waiting``).

A supervisor resolves each one (audited, ``resolve`` of ``sync_conflict``):

- **apply mine**: the desk's values are applied over what the server has now (the
  command replayed with each conflicting field's base set to the current value; a state
  move from the state the record is in now). If the service still refuses (the move is no
  longer legal, the person is blocked), nothing changes and the message says why;
- **keep theirs**: the command is dropped; the server's values stand;
- **edit and apply**: the supervisor corrects the values (per conflicting field) and they
  are applied over what the server has now.

Once a conflict is resolved, the commands waiting behind it are replayed in their order
(each may become a conflict of its own). Supervisors see the conflicts of their
programme's workers (office-wide supervisors: all); desk workers and administrators see
none. Resolving is itself a command a desk may run offline (services/outbox.py): the
desk's copy shows the result at once and the server repeats it at the next push.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from casework.services.context import Context
from casework.services.paging import Page
from casework.services.schemas import Input, Output


class ConflictField(Output):
    field: str
    label: str
    """The field's name in the UI language."""
    base: Any
    current: Any
    typed: Any
    base_text: str
    current_text: str
    typed_text: str
    """The three values as the UI shows them (dates, code names)."""


class ConflictOut(Output):
    id: uuid.UUID
    command_id: uuid.UUID
    desk_name: str
    worker_name: str
    command: str
    what: str
    """What the desk did, in the UI language ("Edit person", "Move referral")."""
    person_id: uuid.UUID | None
    person_name: str | None
    kind: Literal["conflict", "waiting"]
    reason: str
    """Why, in the UI language (the refusal's message)."""
    fields: list[ConflictField]
    occurred_at: dt.datetime
    created_at: dt.datetime
    status: Literal["open", "applied", "discarded"]
    blocked_by: uuid.UUID | None
    version: int


class ResolveIn(Input):
    action: Literal["mine", "theirs", "edited"]
    values: dict[str, Any] | None = None
    """For ``edited``: the new value per conflicting field."""
    version: int | None = None
    """The conflict's version the supervisor saw: another supervisor's resolution first is
    an EditConflict."""


class ResolveResult(Output):
    status: Literal["applied", "discarded"]
    released: int
    """Commands that waited behind it and were replayed now."""
    still_waiting: int


def open_conflicts(ctx: Context, *, offset: int = 0, limit: int | None = None) -> Page[ConflictOut]:
    """The open conflicts (and waiting commands) the supervisor may resolve, oldest first."""
    raise NotImplementedError


def get(ctx: Context, conflict_id: uuid.UUID) -> ConflictOut:
    raise NotImplementedError


def resolve(
    ctx: Context,
    conflict_id: uuid.UUID,
    data: ResolveIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
) -> ResolveResult:
    """Resolve one open conflict (see module doc). A waiting command cannot be resolved on
    its own: it is released with what it waits behind (``waits_behind``)."""
    raise NotImplementedError
