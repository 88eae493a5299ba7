"""The office's settings an administrator chooses: how many minutes a desk may stay
untouched before it locks (issue #15, point 6) and the municipality whose statistics the
office sends to the Panel (issue #18, point 1: one office, one release history).

Read by every desk (the idle lock needs it before anyone opens a file); set by
administrators only, audited in the same transaction, and safe when two administrators
change it at once: each change names the version it started from, and the one who comes
second is told the value now on record instead of overwriting it.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from casework import refdata
from casework.db import Database
from casework.errors import Conflict, EditConflict, FieldError, InvalidInput
from casework.models import OfficeSetting, PanelRelease
from casework.models.base import utcnow
from casework.models.enums import Role
from casework.services import locking
from casework.services.context import Context, audit, validate
from casework.services.outbox import online_only
from casework.services.schemas import Input, Output

IDLE_LOCK_KEY = "idle_lock_minutes"
IDLE_LOCK_DEFAULT = 10
"""Minutes without a key press or the mouse before the desk locks, when nobody set it."""
IDLE_LOCK_MIN, IDLE_LOCK_MAX = 1, 120
"""Never off: a desk left open shows persons' files to whoever walks by."""

SETTINGS_LOCK = 0x73657474  # "sett": serialises settings changes on PostgreSQL
"""Two first changes of a key would both INSERT; the lock makes the second wait, then see
the first's row (SQLite's write transaction already runs one at a time)."""


MUNICIPALITY_KEY = "municipality"
"""The CUT code (5 digits) of the municipality the office's Panel releases are about."""
_CUT_RE = re.compile(r"\d{5}")


class OfficeSettingsOut(Output):
    idle_lock_minutes: int
    version: int
    """The idle lock row's version (0: never set, the default holds)."""
    municipality: str | None = None
    """The municipality on record (None: not set yet; the Panel export refuses)."""
    municipality_version: int = 0
    """The municipality row's version (0: never set)."""


class MunicipalityIn(Input):
    code: str
    version: int = Field(ge=0)
    """The version the administrator started from (``municipality_version``)."""


class IdleLockIn(Input):
    minutes: int = Field(ge=IDLE_LOCK_MIN, le=IDLE_LOCK_MAX)
    version: int = Field(ge=0)
    """The version the administrator's form started from."""


def _minutes(row: OfficeSetting | None) -> int:
    if row is None:
        return IDLE_LOCK_DEFAULT
    try:
        value = int(row.value)
    except ValueError:
        return IDLE_LOCK_DEFAULT
    return min(max(value, IDLE_LOCK_MIN), IDLE_LOCK_MAX)


def office_settings(ctx: Context) -> OfficeSettingsOut:
    """The settings as they stand (any signed-in worker: a desk reads them to lock)."""
    with ctx.db.read() as session:
        ctx.actor(session)
        return _settings_out(session)


def _code(row: OfficeSetting | None) -> str | None:
    return row.value if row is not None and _CUT_RE.fullmatch(row.value) else None


def municipality_on_record(session: Session) -> str | None:
    """The municipality in this transaction (for the services that export)."""
    return _code(session.get(OfficeSetting, MUNICIPALITY_KEY))


def municipality(ctx: Context) -> str | None:
    """The municipality on record, or None when nobody set it (any signed-in worker)."""
    with ctx.db.read() as session:
        ctx.actor(session)
        return municipality_on_record(session)


def check_municipality(code: str) -> str:
    """``code`` as the CUT code (5 digits) of one of Chile's communes (the list persons'
    communes come from), or the form's error: a mistyped code would become the office's
    name for the Panel once a release is sent."""
    code = code.strip()
    if not _CUT_RE.fullmatch(code):
        raise InvalidInput([FieldError("municipality", "bad_municipality", {"value": code})])
    if refdata.commune(code) is None:
        raise InvalidInput([FieldError("municipality", "unknown_municipality", {"value": code})])
    return code


def municipality_label(code: str) -> str:
    """The code with its commune's name, as the office reads it: "13101 Santiago"."""
    found = refdata.commune(code)
    return f"{code} {found.name}" if found is not None else code


def first_municipality(db: Database, code: str) -> None:
    """``casework init --municipality``: the code of a database just created, before anyone
    can sign in (audited as done from the command line); refused if one is on record."""
    code = check_municipality(code)
    with db.write() as session:
        if session.get(OfficeSetting, MUNICIPALITY_KEY) is not None:
            raise Conflict("municipality_on_record")
        session.add(OfficeSetting(key=MUNICIPALITY_KEY, value=code, updated_at=utcnow()))
        session.flush()
        audit(
            session,
            Context(db),
            "update",
            "office_setting",
            None,
            municipality_before=None,
            municipality_after=code,
            via="command_line",
        )


def _locked_row(session: Session, key: str) -> OfficeSetting | None:
    """A setting's row, read for update under the settings lock (None: never set)."""
    locking.advisory_lock(session, SETTINGS_LOCK)
    return session.scalar(
        sa.select(OfficeSetting)
        .where(OfficeSetting.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


@online_only("settings.set_municipality")
def set_municipality(ctx: Context, data: MunicipalityIn | dict[str, Any]) -> OfficeSettingsOut:
    """Set the municipality's CUT code (administrators only), audited. Refused with
    ``EditConflict`` when another administrator changed it since ``version`` was read, and
    with ``Conflict`` when the release ledger already holds releases of another code: an
    office has one release history, and a second code would start a second one that is
    protected against nothing already sent."""
    change = validate(MunicipalityIn, data)
    check_municipality(change.code)
    with ctx.db.write() as session:
        admin = ctx.require_role(session, Role.ADMIN)
        row = _locked_row(session, MUNICIPALITY_KEY)
        current = row.version if row is not None else 0
        if current != change.version:
            now = _code(row)
            raise EditConflict(
                code="municipality_changed",
                list_fields=False,
                code_now=municipality_label(now) if now else "—",
            )
        before = _code(row)
        if before == change.code:
            return _settings_out(session)
        codes = set(session.scalars(sa.select(PanelRelease.municipality).distinct()))
        # Releases under another code bind the office to its history; with none on record
        # yet (a ledger from before the setting, holding several codes), one of the codes
        # already used may be chosen.
        released = None
        if codes - {change.code} and (before is not None or change.code not in codes):
            released = session.scalar(
                sa.select(PanelRelease.municipality)
                .where(PanelRelease.municipality != change.code)
                .order_by(PanelRelease.released_at)
                .limit(1)
            )
        if released is not None:
            raise Conflict(
                "municipality_has_releases",
                on_record=municipality_label(released),
                new=municipality_label(change.code),
            )
        if row is None:
            row = OfficeSetting(
                key=MUNICIPALITY_KEY, value=change.code, updated_at=utcnow(), updated_by=admin.id
            )
            session.add(row)
        else:
            row.value = change.code
            row.updated_at = utcnow()
            row.updated_by = admin.id
        session.flush()
        audit(
            session,
            ctx,
            "update",
            "office_setting",
            None,
            municipality_before=before,
            municipality_after=change.code,
        )
        return _settings_out(session)


def _settings_out(session: Session) -> OfficeSettingsOut:
    row = session.get(OfficeSetting, IDLE_LOCK_KEY)
    place = session.get(OfficeSetting, MUNICIPALITY_KEY)
    return OfficeSettingsOut(
        idle_lock_minutes=_minutes(row),
        version=row.version if row is not None else 0,
        municipality=_code(place),
        municipality_version=place.version if place is not None else 0,
    )


@online_only("settings.set_idle_lock")
def set_idle_lock(ctx: Context, data: IdleLockIn | dict[str, int]) -> OfficeSettingsOut:
    """Set the idle lock's minutes (administrators only). Refused with ``EditConflict``
    when another administrator changed it since ``version`` was read."""
    change = validate(IdleLockIn, data)
    with ctx.db.write() as session:
        admin = ctx.require_role(session, Role.ADMIN)
        row = _locked_row(session, IDLE_LOCK_KEY)
        current = row.version if row is not None else 0
        if current != change.version:
            raise EditConflict(
                code="session_setting_changed", list_fields=False, minutes=_minutes(row)
            )
        before = _minutes(row)
        if row is None:
            row = OfficeSetting(
                key=IDLE_LOCK_KEY,
                value=str(change.minutes),
                updated_at=utcnow(),
                updated_by=admin.id,
            )
            session.add(row)
        elif before != change.minutes:
            row.value = str(change.minutes)
            row.updated_at = utcnow()
            row.updated_by = admin.id
        else:
            return OfficeSettingsOut(idle_lock_minutes=before, version=row.version)
        session.flush()
        audit(
            session,
            ctx,
            "update",
            "office_setting",
            None,
            minutes_before=before,
            minutes_after=change.minutes,
        )
        return OfficeSettingsOut(idle_lock_minutes=change.minutes, version=row.version)
