"""Referrals (derivaciones) and every transition they went through."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base, CreatedMixin, IdMixin, VersionMixin, in_list, utcnow
from casework.models.enums import DeclinedBy, ReferralStatus, values

_REQUESTED_ONCE = "status IN ('draft', 'cancelled', 'entered-in-error') OR requested_at IS NOT NULL"


class Referral(IdMixin, CreatedMixin, VersionMixin, Base):
    __tablename__ = "referral"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", values(ReferralStatus)), name="status"),
        sa.CheckConstraint(_REQUESTED_ONCE, name="requested_before_answer"),
        sa.CheckConstraint(
            "status <> 'completed' OR (completed_at IS NOT NULL AND requested_at IS NOT NULL"
            " AND completed_at >= requested_at)",
            name="completed_after_requested",
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR declined_by IS NOT NULL", name="rejection_says_who"
        ),
        sa.CheckConstraint(
            f"declined_by IS NULL OR {in_list('declined_by', values(DeclinedBy))}",
            name="declined_by",
        ),
        sa.CheckConstraint("urgency IN ('normal', 'urgent')", name="urgency"),
        sa.Index("ix_referral_person", "person_id", "created_at"),
        # Waiting referrals per worker (the caseload summary), read from the index alone.
        sa.Index("ix_referral_status", "status", "requested_at", "worker_id"),
        # A worker's referrals; and those created in a period by area and status.
        sa.Index("ix_referral_worker_created", "worker_id", "created_at", "service_area", "status"),
        # Completed in a period: days from request to completion by area.
        sa.Index(
            "ix_referral_completed",
            "status",
            "completed_at",
            "worker_id",
            "service_area",
            "requested_at",
        ),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    service_area: Mapped[str] = mapped_column(sa.String(30))
    destination_key: Mapped[str] = mapped_column(sa.String(60))
    reason: Mapped[str] = mapped_column(sa.Text)
    urgency: Mapped[str] = mapped_column(sa.String(10), default="normal")
    status: Mapped[str] = mapped_column(sa.String(20), default=ReferralStatus.DRAFT.value)
    outcome: Mapped[str | None] = mapped_column(sa.String(30))
    declined_by: Mapped[str | None] = mapped_column(sa.String(10))
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    requested_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    consent_override_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    """The supervisor who let it be requested without recorded consent."""
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="ReferralEvent.at"
    )


class ReferralEvent(IdMixin, Base):
    __tablename__ = "referral_event"

    referral_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    note: Mapped[str | None] = mapped_column(sa.Text)

    referral: Mapped[Referral] = relationship(back_populates="events")
