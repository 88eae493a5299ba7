"""The referral catalogue: the shipped destinations (destinations.toml) and the office's own,
kept in the database by an administrator and deactivated, never deleted."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from casework import refdata
from casework.errors import FieldError, InvalidInput, NotFound
from casework.models import LocalDestination
from casework.models.base import utcnow
from casework.models.enums import Role
from casework.services.context import Context, audit, validate
from casework.services.outbox import online_only
from casework.services.schemas import Input, OptText, Output, Text
from casework.text import tokens

LOCAL_SOURCE = "local"
"""``Destination.source`` of the office's own entries (shipped ones cite a law or a site)."""
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
_KEY_ROOM = 50
"""Characters of a generated key taken from the name (the rest leaves room for ``_2``)."""


def _service_area(value: str) -> str:
    if refdata.service_area(value) is None:
        raise PydanticCustomError("unknown_service_area", "area", {"value": value})
    return value


class DestinationIn(Input):
    """What an administrator writes about a destination (its key is never changed)."""

    name_es: Text = Field(max_length=200)
    name_en: OptText = Field(default=None, max_length=200)
    """Empty: the Spanish name is shown in English too."""
    service_area: str
    when_es: OptText = Field(default=None, max_length=500)
    when_en: OptText = Field(default=None, max_length=500)
    typical_outcome_es: OptText = Field(default=None, max_length=500)
    typical_outcome_en: OptText = Field(default=None, max_length=500)
    contact_es: OptText = Field(default=None, max_length=500)
    private: bool = False

    @field_validator("service_area")
    @classmethod
    def _known_area(cls, value: str) -> str:
        return _service_area(value)


class NewDestinationIn(DestinationIn):
    key: OptText = None
    """Empty: made from the Spanish name ("Fundación Vecinos" -> ``fundacion_vecinos``)."""

    @field_validator("key")
    @classmethod
    def _key_shape(cls, value: str | None) -> str | None:
        if value is not None and not KEY_PATTERN.match(value):
            raise PydanticCustomError("destination_key_format", "key")
        return value


class LocalDestinationOut(Output):
    id: uuid.UUID
    key: str
    service_area: str
    name_es: str
    name_en: str
    when_es: str
    when_en: str
    typical_outcome_es: str
    typical_outcome_en: str
    contact_es: str
    private: bool
    active: bool
    created_at: dt.datetime


def as_destination(row: LocalDestination) -> refdata.Destination:
    """A local entry in the shape of a shipped one."""
    return refdata.Destination(
        key=row.key,
        name_es=row.name_es,
        name_en=row.name_en or row.name_es,
        service_area=row.service_area,
        when_es=row.when_es,
        typical_outcome_es=row.typical_outcome_es,
        private=row.private,
        source=LOCAL_SOURCE,
        when_en=row.when_en,
        typical_outcome_en=row.typical_outcome_en,
        contact_es=row.contact_es,
    )


def lookup(session: Session, key: str, *, active_only: bool = False) -> refdata.Destination | None:
    """The destination with this key, shipped or local (inactive local ones too, unless
    ``active_only``: a referral keeps its destination after it is deactivated)."""
    shipped = refdata.destination(key)
    if shipped is not None:
        return shipped
    stmt = sa.select(LocalDestination).where(LocalDestination.key == key)
    if active_only:
        stmt = stmt.where(LocalDestination.active.is_(True))
    row = session.scalar(stmt)
    return as_destination(row) if row is not None else None


def destinations(ctx: Context) -> tuple[refdata.Destination, ...]:
    """What a referral can be made to: the shipped catalogue in file order, then the
    office's active destinations by name."""
    with ctx.db.read() as session:
        rows = session.scalars(
            sa.select(LocalDestination)
            .where(LocalDestination.active.is_(True))
            .order_by(LocalDestination.name_es)
        )
        return (*refdata.destinations(), *(as_destination(r) for r in rows))


def destination(ctx: Context, key: str) -> refdata.Destination | None:
    """Any destination by key, including deactivated local ones (for names on old referrals)."""
    with ctx.db.read() as session:
        return lookup(session, key)


def local_destinations(ctx: Context) -> list[LocalDestinationOut]:
    """The office's own destinations, active and deactivated, by name."""
    with ctx.db.read() as session:
        rows = session.scalars(sa.select(LocalDestination).order_by(LocalDestination.name_es))
        return [LocalDestinationOut.model_validate(r) for r in rows]


def _taken(session: Session, key: str) -> bool:
    return refdata.destination(key) is not None or bool(
        session.scalar(sa.select(LocalDestination.id).where(LocalDestination.key == key))
    )


def key_from_name(name: str) -> str:
    """``"CESFAM Dr. Juan Pérez"`` -> ``cesfam_dr_juan_perez``."""
    base = "_".join(tokens(name))[:_KEY_ROOM].strip("_") or "destino"
    return base if base[0].isalpha() else f"d_{base}"


def _new_key(session: Session, dest_in: NewDestinationIn) -> str:
    if dest_in.key is not None:
        if _taken(session, dest_in.key):
            raise InvalidInput([FieldError("key", "destination_exists", {"dest_key": dest_in.key})])
        return dest_in.key
    base = key_from_name(dest_in.name_es)
    key, n = base, 1
    while _taken(session, key):
        n += 1
        key = f"{base}_{n}"
    return key


_FIELDS = (
    "service_area",
    "name_es",
    "name_en",
    "when_es",
    "when_en",
    "typical_outcome_es",
    "typical_outcome_en",
    "contact_es",
    "private",
)


def _values(dest_in: DestinationIn) -> dict[str, Any]:
    values = {name: getattr(dest_in, name) for name in _FIELDS}
    values = {k: ("" if v is None else v) for k, v in values.items()}
    values["name_en"] = values["name_en"] or dest_in.name_es
    return values


@online_only("catalogue.add_destination")
def add_destination(
    ctx: Context, data: NewDestinationIn | Mapping[str, Any]
) -> LocalDestinationOut:
    """A new local destination (administrators only); offered in the referral form at once."""
    dest_in = validate(NewDestinationIn, data)
    with ctx.db.write() as session:
        admin = ctx.require_role(session, Role.ADMIN)
        row = LocalDestination(key=_new_key(session, dest_in), created_by=admin.id)
        for name, value in _values(dest_in).items():
            setattr(row, name, value)
        session.add(row)
        session.flush()
        audit(session, ctx, "create", "destination", row.id, private=row.private)
        return LocalDestinationOut.model_validate(row)


def _row(session: Session, key: str) -> LocalDestination:
    row = session.scalar(sa.select(LocalDestination).where(LocalDestination.key == key))
    if row is None:
        raise NotFound("not_found", what=key)
    return row


@online_only("catalogue.update_destination")
def update_destination(
    ctx: Context, key: str, data: DestinationIn | Mapping[str, Any]
) -> LocalDestinationOut:
    """Correct a local destination (a new address, a clearer name); its key stays."""
    dest_in = validate(DestinationIn, data)
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        row = _row(session, key)
        changed = []
        for name, value in _values(dest_in).items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed.append(name)
        if changed:
            row.updated_at = utcnow()
            audit(session, ctx, "update", "destination", row.id, fields=changed)
        return LocalDestinationOut.model_validate(row)


@online_only("catalogue.set_destination_active")
def set_destination_active(ctx: Context, key: str, active: bool) -> LocalDestinationOut:
    """Deactivate (no longer offered; referrals keep it) or reactivate a local destination."""
    with ctx.db.write() as session:
        ctx.require_role(session, Role.ADMIN)
        if refdata.destination(key) is not None:
            raise InvalidInput([FieldError("key", "destination_shipped", {"dest_key": key})])
        row = _row(session, key)
        if row.active != active:
            row.active = active
            row.updated_at = utcnow()
            audit(session, ctx, "reactivate" if active else "deactivate", "destination", row.id)
        return LocalDestinationOut.model_validate(row)
