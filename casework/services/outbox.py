"""Offline desks (issue #17), the desk's side: which service calls a desk may run offline,
and the outbox that records each one in the same transaction as its own rows.

A desk file (a database with a :class:`casework.models.SyncDesk` row) works on its own
copy of the office. Each write it may make offline is a *command*: a service call
registered here by name (:data:`OFFLINE`) and marked :func:`offline_command`. Run on a
desk, the call is applied locally at once (the worker sees it) and, in the same
transaction, appended to ``sync_outbox``: the command id, the desk, the worker, the name,
the validated input as JSON, the ids its rows got (:class:`casework.ids.IdPlan`) and the
records it touches. The office server later replays it through the same service
(services/sync_push.py), with the same ids.

What a desk may not do offline is refused before anything is read or written, with a
message that says it needs the office server (:func:`refuse_offline`): merging persons,
rights requests, retention, staff administration, imports and Panel exports
(:data:`ONLINE_ONLY`). Everything else a desk does locally -- reading (its view rows),
signing in, drafts -- is :data:`LOCAL`. tests/test_sync_offline.py checks that every public
service call is in exactly one of the three lists.

On a database that is not a desk (the office server, a single desk) nothing here changes
what a service does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, ParamSpec, TypeVar

from casework.db import Database
from casework.services.context import Context

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Command:
    """A service call a desk may run offline."""

    name: str
    """``module.function``, e.g. ``persons.add_note``: the name in the outbox."""
    fn: Callable[..., Any]


OFFLINE: dict[str, Command] = {}
"""Every command a desk may run offline, by name (filled by :func:`offline_command`):
intake, contact, note, status, consent, document, referral create and move, person edit,
case flags, follow-ups, guidance, and resolving a sync conflict."""

ONLINE_ONLY: Final[Mapping[str, str]] = {}
"""Public service calls refused on a desk, each with the i18n key of what it is (for the
message): merges, rights requests, retention, staff administration, imports, Panel."""

LOCAL: Final[Mapping[str, str]] = {}
"""Public service calls a desk runs on its own copy without sending anything, each with
why (reads, sign-in, drafts, the desk's own status)."""


def offline_command(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Register a write service as a command a desk may run offline (see module doc).

    The wrapped call, on a desk file and outside a replay, runs inside a command capture:
    a fresh :class:`casework.ids.IdPlan`, and at the commit of its write transaction one
    ``sync_outbox`` row (id = the call's ``request_id`` when given, else a new UUIDv7).
    Nested commands (a command calling another) record nothing of their own. On the
    server during a replay, or on any database that is not a desk, it is the plain call."""
    raise NotImplementedError


def refuse_offline(ctx: Context, what: str) -> None:
    """Raise ``NotAllowed("offline_refused", what=...)`` when ``ctx.db`` is a desk file:
    ``what`` is the i18n key naming the action (e.g. ``sync.what.merge``)."""
    raise NotImplementedError


def is_desk(db: Database) -> bool:
    """Whether ``db`` is a desk file (has a ``sync_desk`` row). Cached on ``db``."""
    raise NotImplementedError


@dataclass(frozen=True)
class DeskStatus:
    """What the desk's header and ``casework sync status`` show."""

    desk_id: uuid.UUID
    name: str
    server: str
    copied_at: Any
    pushed_at: Any
    waiting: int
    """Commands in the outbox not yet sent."""
    conflicts: int
    """Open sync conflicts in this copy (conflict or waiting) of this desk."""


def desk_status(db: Database) -> DeskStatus | None:
    """The desk's status, or None when ``db`` is not a desk. No worker needed: it names
    no person (counts only)."""
    raise NotImplementedError


def make_desk(
    db: Database, *, name: str, server: str, desk_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Turn ``db`` into a desk of ``server`` (its URL, password removed): write its
    ``sync_desk`` row (used by pull, and by tests that build a desk by hand)."""
    raise NotImplementedError


@dataclass(frozen=True)
class Replay:
    """One command to apply on the server (or again on a desk): what the outbox holds."""

    command_id: uuid.UUID
    desk_id: uuid.UUID
    worker_id: uuid.UUID | None
    command: str
    payload: dict[str, Any]
    ids: dict[str, str]


def replay(ctx: Context, cmd: Replay, *, mark_applied: bool = True, **overrides: Any) -> Any:
    """Apply ``cmd`` through its registered service on ``ctx.db`` (``ctx.actor_id`` the
    command's worker), with the desk's ids (:func:`casework.ids.planned`), and -- when
    ``mark_applied`` -- a ``sync_applied`` row for its id in the same transaction as what it
    wrote. ``overrides`` replace keyword arguments of the call (a replayed intake runs with
    ``allow_likely=True``). Returns the service's result; the service's own errors
    (EditConflict, Conflict, NotAllowed, NotFound, InvalidInput) pass through with
    nothing written."""
    raise NotImplementedError


def records_of(command: str, payload: Mapping[str, Any], ids: Mapping[str, str]) -> list[str]:
    """The ids of the records a command touches: its positional ids, the ``*_id`` values of
    its input, and the person it created."""
    raise NotImplementedError
