"""Requests to transfer a case to another programme, and what the receiving programme
decided."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, IdMixin, VersionMixin, in_list, utcnow


class TransferState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


TRANSFER_STATES = tuple(s.value for s in TransferState)


class CaseTransfer(IdMixin, VersionMixin, Base):
    """One request to move a case to another programme. At most one pending per case (a
    partial unique index): a second request while one waits is refused, never doubled."""

    __tablename__ = "case_transfer"
    __table_args__ = (
        sa.CheckConstraint(in_list("state", TRANSFER_STATES), name="state"),
        sa.CheckConstraint(
            "(state = 'pending') = (decided_at IS NULL)", name="decided_iff_not_pending"
        ),
        sa.Index(
            "uq_case_transfer_pending",
            "case_id",
            unique=True,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        ),
        sa.Index("ix_case_transfer_to_state", "to_programme_id", "state"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    from_programme_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programme.id"))
    to_programme_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programme.id"))
    requested_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(10), default=TransferState.PENDING.value)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    to_worker_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    """Who received the case, once accepted."""
