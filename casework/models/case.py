"""Cases, contacts (atenciones) and notes."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base, CreatedMixin, IdMixin, VersionMixin, in_list, utcnow
from casework.models.enums import CaseEventKind, CaseOutcome, CaseStatus, ContactKind, values


class Case(IdMixin, VersionMixin, Base):
    """A programme's work with one person, assigned to a worker."""

    __tablename__ = "case_file"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", values(CaseStatus)), name="status"),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL AND closing_reason IS NOT NULL)",
            name="closed_has_reason",
        ),
        sa.CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closed_after"),
        sa.CheckConstraint(
            "closing_outcome IS NULL OR " + in_list("closing_outcome", values(CaseOutcome)),
            name="closing_outcome",
        ),
        sa.Index("ix_case_worker_status", "worker_id", "status", "last_activity_at"),
        sa.Index("ix_case_programme_status", "programme_id", "status"),
        # A supervisor's scope, checked row by row when a list is counted (0015).
        sa.Index("ix_case_person_programme", "person_id", "programme_id"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"), index=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programme.id"))
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default=CaseStatus.OPEN.value)
    priority: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
    flags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    """Vulnerability flags: children, pregnancy, disability, violence, homelessness, ..."""
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
    closing_reason: Mapped[str | None] = mapped_column(sa.String(200))
    """Why it was closed, as text. A case closed at the desk holds its outcome code here
    too (cases closed before outcomes existed hold free text)."""
    closing_outcome: Mapped[str | None] = mapped_column(sa.String(20))
    """:class:`CaseOutcome` code of the closing; None while not closed."""
    closing_note: Mapped[str | None] = mapped_column(sa.Text)
    hold_until: Mapped[dt.date | None]
    """While on hold: the day the worker means to take it up again, if they said."""
    last_activity_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="case", order_by="Contact.occurred_at"
    )


class CaseEvent(IdMixin, Base):
    """One change of a case's status (closed, reopened, put on hold, resumed): the case's
    history, shown on the person's timeline. Written with the change, in its transaction.
    Found through its case (no person_id of its own): a merge that moves the case moves
    its history, and erasing the case erases it."""

    __tablename__ = "case_event"
    __table_args__ = (sa.CheckConstraint(in_list("kind", values(CaseEventKind)), name="kind"),)

    case_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    from_status: Mapped[str] = mapped_column(sa.String(10))
    to_status: Mapped[str] = mapped_column(sa.String(10))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text)
    hold_until: Mapped[dt.date | None]
    follow_ups_cancelled: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    referrals_cancelled: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))


class Contact(IdMixin, CreatedMixin, Base):
    """An atención: one contact with the person (the first one is the intake)."""

    __tablename__ = "contact"
    __table_args__ = (
        sa.CheckConstraint(in_list("kind", values(ContactKind)), name="kind"),
        sa.Index("ix_contact_person_time", "person_id", "occurred_at"),
        sa.Index("ix_contact_time", "occurred_at"),
        sa.Index("ix_contact_worker_time", "worker_id", "occurred_at"),
        # Covering index for the supervisor's counts of intakes per period and worker.
        sa.Index("ix_contact_kind_time", "kind", "occurred_at", "worker_id"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("programme.id"))
    kind: Mapped[str] = mapped_column(sa.String(12), default=ContactKind.INTAKE.value)
    channel: Mapped[str] = mapped_column(sa.String(12), default="desk")
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)
    interpreter_language: Mapped[str | None] = mapped_column(sa.String(8))

    case: Mapped[Case] = relationship(back_populates="contacts")


class Note(IdMixin, CreatedMixin, Base):
    __tablename__ = "note"
    __table_args__ = (sa.Index("ix_note_person_time", "person_id", "created_at"),)

    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("case_file.id"), index=True)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    text: Mapped[str] = mapped_column(sa.Text)
