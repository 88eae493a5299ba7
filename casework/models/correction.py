"""Corrections of a person's data: what each field held before and after, kept with the
person (erased with them), never in the audit trail, which holds ids and field names only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, IdMixin, utcnow


class PersonCorrection(IdMixin, Base):
    """One saved edit of a person's file (services/person_edit.py): the fields it changed
    with their values before and after, why (identity corrections), and the rectification
    request it carried out, if any. The audit row of the edit names this row's id."""

    __tablename__ = "person_correction"
    __table_args__ = (sa.Index("ix_person_correction_person", "person_id", "at"),)

    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    worker_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
    fields: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    """The names of the fields changed (person columns, "documents", "household"...)."""
    changes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    """One ``{"field", "before", "after"}`` per change (documents and household rows with
    their ``ref`` id); values as JSON (dates ISO)."""
    reason: Mapped[str | None] = mapped_column(sa.Text)
    rights_request_id: Mapped[uuid.UUID | None]
