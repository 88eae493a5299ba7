"""The duplicate review queue: scored pairs of person records for a human to judge."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, IdMixin, in_list, utcnow

PAIR_STATUSES = ("pending", "not_same", "merged")


class MatchPair(IdMixin, Base):
    """Two live records that may be one person. ``person_a < person_b`` so a pair is stored
    once; a "not the same person" decision keeps the row and hides the pair for good."""

    __tablename__ = "match_pair"
    __table_args__ = (
        sa.UniqueConstraint("person_a", "person_b", name="uq_match_pair_persons"),
        sa.CheckConstraint("person_a < person_b", name="ordered"),
        sa.CheckConstraint(in_list("status", PAIR_STATUSES), name="status"),
        sa.CheckConstraint(
            "status = 'pending' OR (decided_by IS NOT NULL AND decided_at IS NOT NULL)",
            name="decision_recorded",
        ),
        sa.Index("ix_match_pair_queue", "status", "score"),
    )

    person_a: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"))
    person_b: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"), index=True)
    score: Mapped[float]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    """[{"code": "same_document", "params": {...}}, ...] — codes, never personal values."""
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    found_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    decided_at: Mapped[dt.datetime | None]
