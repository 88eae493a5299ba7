"""The office's own referral destinations, beside the shipped catalogue (destinations.toml)."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, CreatedMixin, IdMixin


class LocalDestination(IdMixin, CreatedMixin, Base):
    """A destination an administrator added (a neighbourhood NGO, one CESFAM with its
    address). Never deleted, only deactivated: referrals keep its key."""

    __tablename__ = "local_destination"

    key: Mapped[str] = mapped_column(sa.String(60), unique=True)
    """Stable snake_case id stored with each referral, like the shipped entries' keys."""
    service_area: Mapped[str] = mapped_column(sa.String(30))
    """One key of ``[[service_areas]]`` in codes.toml (checked by the service: the list is
    office-editable data, not a closed set)."""
    name_es: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    when_es: Mapped[str] = mapped_column(sa.String(500), default="")
    when_en: Mapped[str] = mapped_column(sa.String(500), default="")
    typical_outcome_es: Mapped[str] = mapped_column(sa.String(500), default="")
    typical_outcome_en: Mapped[str] = mapped_column(sa.String(500), default="")
    private: Mapped[bool] = mapped_column(default=False)
    """A private organisation needs the person's consent to receive their data."""
    contact_es: Mapped[str] = mapped_column(sa.String(500), default="")
    """Address, phone, opening hours."""
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"))
    updated_at: Mapped[dt.datetime | None]
