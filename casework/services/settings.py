"""The office's settings an administrator chooses (issue #15, point 6): for now how many
minutes a desk may stay untouched before it locks.

Read by every desk (the idle lock needs it before anyone opens a file); set by
administrators only, audited in the same transaction, and safe when two administrators
change it at once: each change names the version it started from, and the one who comes
second is told the value now on record instead of overwriting it.
"""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import Field

from casework.errors import EditConflict
from casework.models import OfficeSetting
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


class OfficeSettingsOut(Output):
    idle_lock_minutes: int
    version: int
    """The idle lock row's version (0: never set, the default holds)."""


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
        row = session.get(OfficeSetting, IDLE_LOCK_KEY)
        return OfficeSettingsOut(
            idle_lock_minutes=_minutes(row), version=row.version if row is not None else 0
        )


@online_only("settings.set_idle_lock")
def set_idle_lock(ctx: Context, data: IdleLockIn | dict[str, int]) -> OfficeSettingsOut:
    """Set the idle lock's minutes (administrators only). Refused with ``EditConflict``
    when another administrator changed it since ``version`` was read."""
    change = validate(IdleLockIn, data)
    with ctx.db.write() as session:
        admin = ctx.require_role(session, Role.ADMIN)
        locking.advisory_lock(session, SETTINGS_LOCK)
        row = session.scalar(
            sa.select(OfficeSetting)
            .where(OfficeSetting.key == IDLE_LOCK_KEY)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
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
