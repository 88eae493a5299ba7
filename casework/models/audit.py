"""The append-only audit trail, merge records and the request log for idempotent saves."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, IdMixin, utcnow


class AuditEvent(IdMixin, Base):
    """Who did what to which record. Holds record ids and field names, never personal values."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_person", "person_id", "at"),
        sa.Index("ix_audit_event_at", "at"),
    )

    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    worker_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[uuid.UUID | None]
    person_id: Mapped[uuid.UUID | None]
    """Not a foreign key on purpose: the trail outlives an erased or merged person."""
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class PersonMerge(IdMixin, Base):
    __tablename__ = "person_merge"
    __table_args__ = (sa.CheckConstraint("survivor_id <> merged_id", name="distinct"),)

    survivor_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"), index=True)
    merged_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"), unique=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    """Which fields were taken from which record, and counts of what moved."""


class RequestLog(Base):
    """One row per saved form: a second save with the same request id returns the first result."""

    __tablename__ = "request_log"

    request_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    result_id: Mapped[uuid.UUID]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
