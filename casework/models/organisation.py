"""Programmes of the municipality and the workers who use casework."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.models.base import Base, CreatedMixin, IdMixin, in_list
from casework.models.enums import Role, values


class Programme(IdMixin, CreatedMixin, Base):
    """A municipal programme (Migrant Office, OMIL, Women's Centre, ...)."""

    __tablename__ = "programme"

    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)

    workers: Mapped[list[Worker]] = relationship(back_populates="programme")


class Worker(IdMixin, CreatedMixin, Base):
    __tablename__ = "worker"
    __table_args__ = (sa.CheckConstraint(in_list("role", values(Role)), name="role"),)

    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.WORKER.value)
    programme_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("programme.id"))
    active: Mapped[bool] = mapped_column(default=True)
    last_seen_at: Mapped[dt.datetime | None]
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    """An argon2id hash; the password itself is never stored."""
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    """Consecutive failed sign-ins; reset by a successful one."""
    locked_until: Mapped[dt.datetime | None]
    password_temporary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    """Set by an administrator (a new colleague, a forgotten password): the worker chooses
    their own at the next sign-in."""
    office_wide: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    """A supervisor of the whole office (set by an administrator, audited): sees and acts on
    every programme's persons. Other supervisors keep to their programme."""

    programme: Mapped[Programme | None] = relationship(back_populates="workers")
