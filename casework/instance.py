"""Which physical database this is: a copy, a restored backup or a dump loaded elsewhere
is another instance even though its rows are the same.

The Panel's ledger (issue #18) needs it: a copy made before releases were sent does not
know them, so an export from a database whose instance differs from the one recorded
asks for the releases already sent. SQLite: the file's device and inode (a copy, or a
restore that replaces the file, is a new inode; moving the file on one disk is not).
PostgreSQL: the cluster's system identifier and the database's oid (a dump restored
into another database or server differs).
"""

from __future__ import annotations

import hashlib
import os
import uuid

import sqlalchemy as sa

INSTANCE_KEY = "database_instance"
"""office_setting key holding the instance the ledger was last known complete on."""


def identity(conn: sa.Connection) -> str:
    """A short opaque text naming this physical database (no path, no host)."""
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("PRAGMA database_list").fetchall()
        path = next((row[2] for row in rows if row[1] == "main"), "") or ""
        if not path:
            return _digest("sqlite:memory")
        return file_identity(path)
    else:
        system = conn.exec_driver_sql("SELECT system_identifier FROM pg_control_system()").scalar()
        oid = conn.exec_driver_sql(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).scalar()
        return _digest(f"postgresql:{system}:{oid}")


def file_identity(path: str | os.PathLike[str]) -> str:
    """The instance of a SQLite file (its device and inode: a rename keeps it)."""
    stat = os.stat(path)
    return _digest(f"sqlite:{stat.st_dev}:{stat.st_ino}")


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def stamp(conn: sa.Connection, by: uuid.UUID | None = None) -> None:
    """Record this database as the instance its ledger is complete on (``by``: the worker
    who vouched for it). Only for a database known to hold every release it sent: one
    just made (the migration does it) or a test's fresh copy of an empty template; a copy
    or a restore earns it by being given the releases already sent (``casework export
    panel --prior`` or ``--none-sent``, which stamp it in the export's transaction)."""
    from casework.models import OfficeSetting
    from casework.models.base import utcnow

    value = identity(conn)
    updated = conn.execute(
        sa.update(OfficeSetting)
        .where(OfficeSetting.key == INSTANCE_KEY)
        .values(value=value, updated_at=utcnow(), updated_by=by, version=OfficeSetting.version + 1)
    )
    if not updated.rowcount:
        conn.execute(
            sa.insert(OfficeSetting).values(
                key=INSTANCE_KEY, value=value, updated_at=utcnow(), updated_by=by
            )
        )
