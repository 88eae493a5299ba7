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


SCAN_TRIGGERS = ("startup", "import", "manual")
SCAN_STATUSES = ("running", "done", "failed")


class DedupeScan(IdMixin, Base):
    """One run of the duplicate scan: when it started and finished, how many persons it read
    and pairs it found, what started it and at which desk's worker. An automatic scan
    claims the run by inserting its ``running`` row under a lock, only when no other fresh
    one is running (services/duplicate_queue.py ``_claim``); a claim whose ``heartbeat_at``
    stopped moving (a desk that crashed) goes stale and is marked ``failed``. A scan a
    supervisor asks for runs regardless, and is recorded too."""

    __tablename__ = "dedupe_scan"
    __table_args__ = (
        sa.CheckConstraint(in_list("trigger", SCAN_TRIGGERS), name="trigger"),
        sa.CheckConstraint(in_list("status", SCAN_STATUSES), name="status"),
        sa.CheckConstraint(
            "(status = 'done') = (finished_at IS NOT NULL)", name="finished_iff_done"
        ),
        sa.Index("ix_dedupe_scan_status", "status", "heartbeat_at"),
        sa.Index("ix_dedupe_scan_finished", "finished_at"),
    )

    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    persons_scanned: Mapped[int | None]
    pairs_found: Mapped[int | None]
    new_pairs: Mapped[int | None]
    trigger: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10), default="running")
    worker_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
