"""Regularization guidance: the route discussed and its checklist."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base, CreatedMixin, IdMixin, VersionMixin, in_list, utcnow
from casework.models.enums import GuidanceItemState, values


class Guidance(IdMixin, CreatedMixin, VersionMixin, Base):
    __tablename__ = "guidance"
    __table_args__ = (
        sa.Index("ix_guidance_person", "person_id", "created_at"),
        # Guidance a worker opened in a period, by route (the caseload summary).
        sa.Index("ix_guidance_worker_created", "worker_id", "created_at", "route_id", "id"),
        # A route is open once per person: starting it again resumes it (services/guidance.py).
        sa.Index(
            "uq_guidance_open_route",
            "person_id",
            "route_id",
            unique=True,
            sqlite_where=sa.text("NOT closed"),
            postgresql_where=sa.text("NOT closed"),
        ),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    route_id: Mapped[str] = mapped_column(sa.String(60))
    sermig_application: Mapped[str | None] = mapped_column(sa.String(40))
    next_step: Mapped[str | None] = mapped_column(sa.String(300))
    next_step_on: Mapped[dt.date | None]
    closed: Mapped[bool] = mapped_column(default=False)

    items: Mapped[list[GuidanceItem]] = relationship(
        back_populates="guidance", cascade="all, delete-orphan", order_by="GuidanceItem.position"
    )


class GuidanceItem(IdMixin, VersionMixin, Base):
    """One step or document of the route's checklist, with how far it got."""

    __tablename__ = "guidance_item"
    __table_args__ = (
        sa.CheckConstraint(in_list("state", values(GuidanceItemState)), name="state"),
        sa.CheckConstraint("kind IN ('step', 'document')", name="kind"),
        sa.Index("uq_guidance_item_key", "guidance_id", "item_key", unique=True),
        # How far each guidance got, read from the index alone.
        sa.Index("ix_guidance_item_state", "guidance_id", "state"),
    )

    guidance_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("guidance.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(sa.String(60))
    kind: Mapped[str] = mapped_column(sa.String(10))
    position: Mapped[int]
    state: Mapped[str] = mapped_column(sa.String(16), default=GuidanceItemState.PENDING.value)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))

    guidance: Mapped[Guidance] = relationship(back_populates="items")
