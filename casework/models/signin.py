"""Sign-in tokens of the command line: ``casework signin`` proves a worker's password once
and leaves a short-lived token in an owner-only file; only its SHA-256 is kept here."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base, CreatedMixin, IdMixin


class SignInToken(IdMixin, CreatedMixin, Base):
    """One command-line sign-in: whose it is, until when, and whether it was revoked. The
    token itself (256 random bits) lives only in its owner's file; a copy of this table
    (a backup) lets nobody sign in."""

    __tablename__ = "sign_in_token"

    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("worker.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    """SHA-256 (hex) of the token: a token is random enough that no slow hash is needed."""
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
