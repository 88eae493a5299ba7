"""The ledger of anonymised statistics released to the Inter-Municipal Panel."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, IdMixin, utcnow


class PanelRelease(IdMixin, Base):
    """One export as it was published: what was released counts as published when later
    periods are suppressed, so nothing can be recovered by differencing."""

    __tablename__ = "panel_release"
    __table_args__ = (sa.Index("ix_panel_release_period", "period", "released_at"),)

    period: Mapped[str] = mapped_column(sa.String(10))
    """"2026-Q3" or "2026"."""
    municipality: Mapped[str] = mapped_column(sa.String(120))
    schema_version: Mapped[str] = mapped_column(sa.String(20))
    k: Mapped[int]
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[str] = mapped_column(sa.Text)
    """The release's JSON exactly as written (tables and metadata; no personal data)."""
    origin: Mapped[str] = mapped_column(sa.String(10), default="export", server_default="export")
    """``export``: made here, ``body`` is the internal record with exact counts; ``file``:
    known from a release file given with ``--prior`` (``body`` is its public JSON)."""
    revision_of: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("panel_release.id"))
    released_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    released_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
