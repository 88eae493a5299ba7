"""Follow-ups (seguimientos): the worker's to-do list that cannot be forgotten."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, CreatedMixin, IdMixin, VersionMixin, in_list
from casework.models.enums import FollowUpStatus, values


class FollowUp(IdMixin, CreatedMixin, VersionMixin, Base):
    __tablename__ = "follow_up"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", values(FollowUpStatus)), name="status"),
        sa.CheckConstraint(
            "(status = 'pending') = (completed_at IS NULL)", name="completion_time_iff_closed"
        ),
        sa.Index("ix_follow_up_due", "worker_id", "status", "due_on"),
        sa.Index("ix_follow_up_person", "person_id", "due_on"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("referral.id"), index=True)
    guidance_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("guidance.id"), index=True)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    due_on: Mapped[dt.date]
    what: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(10), default=FollowUpStatus.PENDING.value)
    completed_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    deadline_key: Mapped[str | None] = mapped_column(sa.String(60))
    """A route deadline's key (refdata RouteDeadline.key), for a follow-up that is one."""
    deadline_from: Mapped[dt.date | None]
    """The day that deadline counts from (application submitted, resolution notified,
    permit expiry...): correcting it moves the due date (services/guidance.py)."""
