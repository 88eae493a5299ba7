"""Offline desks (issue #17): a desk file keeps its own copy of the office and a queue of
the service commands it ran; the office server replays them through the same services.

- ``sync_desk``: one row, only in a desk file: which desk this is and which server it syncs
  with. A database without this row is not a desk (an office server, or a single desk).
- ``sync_outbox``: in a desk file, each command it ran, in order, written in the same
  transaction as the command's own rows (so an SQLCipher desk encrypts it too).
- ``sync_applied``: on the server, each desk command applied, written in the same
  transaction as what it applied: a resumed push applies nothing twice.
- ``sync_conflict``: on the server (and, after a pull, in the desk's copy), each command
  the server refused or held back, with what the desk wanted and why, until a supervisor
  resolves it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, VersionMixin, in_list, utcnow

OUTBOX_STATES = ("pending", "sent")
SEND_RESULTS = ("applied", "already", "duplicate", "conflict", "waiting", "decided")
"""``decided``: a conflict this desk resolved offline that the office had already resolved
(the office's decision stands)."""
CONFLICT_KINDS = ("conflict", "waiting")
"""``conflict``: the server refused the command; ``waiting``: it waits behind an open
conflict of the same desk on the same record, so the desk's own order is kept."""
CONFLICT_STATUSES = ("open", "applied", "discarded")
RESOLUTIONS = ("mine", "theirs", "edited", "after")
"""How a conflict was resolved: apply mine, keep theirs, edit and apply; ``after``: a
waiting command applied once what it waited behind was resolved."""


class SyncDesk(Base):
    """This file is an offline desk of the office server ``server``."""

    __tablename__ = "sync_desk"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    """The desk's id: kept across pulls, carried by every command it sends."""
    name: Mapped[str] = mapped_column(sa.String(80))
    server: Mapped[str] = mapped_column(sa.String(300))
    """The server's URL without its password."""
    copied_at: Mapped[dt.datetime]
    """When this copy of the server was made (the last pull)."""
    pushed_at: Mapped[dt.datetime | None]


class SyncOutbox(Base):
    """One command run on this desk, waiting to be (or already) sent to the server."""

    __tablename__ = "sync_outbox"
    __table_args__ = (
        sa.CheckConstraint(in_list("state", OUTBOX_STATES), name="state"),
        sa.CheckConstraint("result IS NULL OR " + in_list("result", SEND_RESULTS), name="result"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    """The command id (a UUIDv7; the service's ``request_id`` where it takes one)."""
    seq: Mapped[int] = mapped_column(unique=True)
    """The desk's order: commands are sent in this order."""
    desk_id: Mapped[uuid.UUID]
    worker_id: Mapped[uuid.UUID | None]
    command: Mapped[str] = mapped_column(sa.String(60))
    """The registered command name (services/outbox.py ``OFFLINE``), e.g. ``persons.add_note``."""
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    """``{"args": [...], "kwargs": {...}}``: the validated input, as JSON."""
    ids: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    """The ids the command created on the desk, by key (casework/ids.py ``IdPlan``)."""
    records: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    """The ids of the records the command touches (for "waits behind a conflict")."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    sent_at: Mapped[dt.datetime | None]
    result: Mapped[str | None] = mapped_column(sa.String(10))


class SyncApplied(Base):
    """A desk command the server applied (or settled): its id is never applied again."""

    __tablename__ = "sync_applied"

    command_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    desk_id: Mapped[uuid.UUID]
    worker_id: Mapped[uuid.UUID | None]
    command: Mapped[str] = mapped_column(sa.String(60))
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SyncConflict(VersionMixin, Base):
    """A desk command the server did not apply: what the desk wanted, what the server has
    and why, until a supervisor applies it, keeps the server's, or edits and applies it."""

    __tablename__ = "sync_conflict"
    __table_args__ = (
        sa.CheckConstraint(in_list("kind", CONFLICT_KINDS), name="kind"),
        sa.CheckConstraint(in_list("status", CONFLICT_STATUSES), name="status"),
        sa.CheckConstraint(
            "resolution IS NULL OR " + in_list("resolution", RESOLUTIONS), name="resolution"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    command_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    seq: Mapped[int]
    """The command's place in its desk's order."""
    desk_id: Mapped[uuid.UUID] = mapped_column(index=True)
    desk_name: Mapped[str] = mapped_column(sa.String(80))
    worker_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    command: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    ids: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    records: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    person_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    """The person the command is about, where there is one (for the queue's names)."""
    kind: Mapped[str] = mapped_column(sa.String(10))
    code: Mapped[str] = mapped_column(sa.String(60))
    """Why: the refusal's message code (``edit_conflict``, ``person_blocked``, ...) or
    ``waits_behind`` for a waiting command."""
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    """Per conflicting field: ``{"field", "base", "current", "typed", "labels"}``."""
    blocked_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("sync_conflict.id"))
    """For a waiting command: the open conflict it waits behind."""
    occurred_at: Mapped[dt.datetime]
    """When the command was run on the desk."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(10), default="open", index=True)
    resolution: Mapped[str | None] = mapped_column(sa.String(10))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    resolved_at: Mapped[dt.datetime | None]
