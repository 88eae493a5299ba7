"""Office-wide settings an administrator chooses (the idle lock's minutes, ...): one row
per key, with who changed it last and a row version so two administrators' changes never
overwrite each other silently."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, VersionMixin


class OfficeSetting(VersionMixin, Base):
    """One setting of the office. The services know each key's type and default
    (services/settings.py); a key without a row has its default."""

    __tablename__ = "office_setting"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200))
    """The value as text (the service parses and checks it)."""
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("worker.id"))
