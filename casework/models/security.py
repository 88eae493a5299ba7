"""Data protection: the rights-request register, erasure tombstones, retention policy and
the retention review decisions. None of these tables hold personal values beyond record ids
(a request's free-text note is the office's own wording and is kept as proof of the answer)."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, CreatedMixin, IdMixin, in_list, utcnow
from casework.models.enums import values


class RightKind(StrEnum):
    """Rights of Ley 21.719 art. 4 (ARCO + portability + blocking)."""

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    OBJECTION = "objection"
    PORTABILITY = "portability"
    BLOCKING = "blocking"


class RequestStatus(StrEnum):
    OPEN = "open"
    EXTENDED = "extended"
    ANSWERED = "answered"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class RefusalGround(StrEnum):
    """The exceptions the law allows (21.719 arts. 7, 8 and 23)."""

    LEGAL_OBLIGATION = "legal_obligation"
    PUBLIC_FUNCTION = "public_function"
    PUBLIC_HEALTH = "public_health"
    STATISTICS = "statistics"
    LEGAL_CLAIMS = "legal_claims"
    VICTIM_PROTECTION = "victim_protection"
    LEGAL_SECRECY = "legal_secrecy"
    IDENTITY_NOT_VERIFIED = "identity_not_verified"


class RetentionDecision(StrEnum):
    ANONYMISED = "anonymised"
    KEPT = "kept"


class RightsRequest(IdMixin, CreatedMixin, Base):
    """One request from a person about their own data, with its legal deadline."""

    __tablename__ = "rights_request"
    __table_args__ = (
        sa.CheckConstraint(in_list("kind", values(RightKind)), name="kind"),
        sa.CheckConstraint(in_list("status", values(RequestStatus)), name="status"),
        sa.CheckConstraint(
            f"refusal_ground IS NULL OR {in_list('refusal_ground', values(RefusalGround))}",
            name="refusal_ground",
        ),
        sa.CheckConstraint(
            "status <> 'refused' OR refusal_ground IS NOT NULL", name="refusal_has_ground"
        ),
        sa.CheckConstraint("due_on >= received_on", name="due_after_received"),
        sa.Index("ix_rights_request_open", "status", "due_on"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    """Not a foreign key: the register outlives an erased person (then it points at a
    tombstone)."""
    kind: Mapped[str] = mapped_column(sa.String(20))
    received_on: Mapped[dt.date]
    due_on: Mapped[dt.date]
    """2 business days for blocking; 30 calendar days otherwise (60 once extended)."""
    channel: Mapped[str] = mapped_column(sa.String(20), default="desk")
    identity_checked: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(12), default=RequestStatus.OPEN.value)
    extended_on: Mapped[dt.date | None]
    answered_at: Mapped[dt.datetime | None]
    refusal_ground: Mapped[str | None] = mapped_column(sa.String(30))
    answer_note: Mapped[str | None] = mapped_column(sa.Text)
    answer_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    """Hash of the answer sent (the exported file), as proof of its content."""
    created_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    answered_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))


class Tombstone(IdMixin, Base):
    """What is left of an erased person: the id, when, by whom, and counts. No values."""

    __tablename__ = "tombstone"

    person_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    erased_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    request_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("rights_request.id"))
    reason: Mapped[str] = mapped_column(sa.String(20))
    """erasure (a rights request) or retention (a retention review)."""
    counts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class RetentionPolicy(Base):
    """How long closed records of one type are kept before review (admin-editable)."""

    __tablename__ = "retention_policy"

    record_type: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    months: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))


class RetentionReview(IdMixin, Base):
    """A supervisor's decision on a person whose cases are all closed past retention."""

    __tablename__ = "retention_review"
    __table_args__ = (
        sa.CheckConstraint(in_list("decision", values(RetentionDecision)), name="decision"),
        sa.CheckConstraint("decision <> 'kept' OR keep_until IS NOT NULL", name="kept_until"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    decision: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str] = mapped_column(sa.String(300))
    keep_until: Mapped[dt.date | None]
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
