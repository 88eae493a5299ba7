"""`casework backup [--out FILE]` and `casework restore FILE`."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from casework.cli.opening import (
    check_db_arg,
    open_cli_database,
    passphrase_arg,
)
from casework.cli.signin import check_credentials, opened, signed_in
from casework.db import Database, resolve_url
from casework.errors import CaseworkError
from casework.i18n import t
from casework.models.enums import Role
from casework.services import backup, staff
from casework.services.context import Context


def cmd_backup(args: argparse.Namespace) -> int:
    with opened(args) as database:
        # A copy of every person: an administrator's act, named in the sign-in's audit event.
        signed_in(args, database, roles=(Role.ADMIN,))
        copy = backup.backup(database, Path(args.out) if args.out else None)
    print(t("security.cli.backup_done", path=copy))
    return 0


def _admin_signs_in(
    args: argparse.Namespace, current: Database | None
) -> Callable[[], uuid.UUID | None] | None:
    """Replacing the office's database is an administrator's act: one who signs in, once
    the backup has been checked and before anything of the office is replaced (a damaged
    backup is refused without touching the office; a failed sign-in replaces nothing).
    Restoring to a new file, or over a database nobody works in yet, needs nobody: it gives
    no one more than the backup file they already hold."""
    if current is None or staff.is_empty(Context(current)):
        return None
    check_credentials(args)

    def admin() -> uuid.UUID | None:
        return signed_in(args, current, roles=(Role.ADMIN,)).actor_id

    return admin


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore to the current database, or to a new file (``--db`` that does not exist yet,
    in a folder that does); never onto an empty or foreign file."""
    check_db_arg(args.db, create=True)
    url = sa.make_url(resolve_url(args.db))
    if url.get_backend_name() != "sqlite" or not url.database:
        raise CaseworkError("not_sqlite")
    target = Path(url.database).expanduser().resolve()
    passphrase = passphrase_arg(args)
    current = None
    if target.exists():
        current = open_cli_database(str(target), passphrase=passphrase, upgrade=False)
    try:
        report = backup.restore(
            target,
            Path(args.file).expanduser(),
            current=current,
            passphrase=passphrase,
            actor=_admin_signs_in(args, current),
        )
    finally:
        if current is not None:
            current.dispose()
    print(
        t(
            "restore.done",
            source=report.source,
            target=report.target,
            persons=report.persons,
            rows=sum(report.counts.values()),
            tables=len(report.counts),
            revision=report.revision or "-",
            encrypted=t("restore.encrypted") if report.encrypted else "",
        )
    )
    if report.previous is not None:
        print(t("restore.previous", previous=report.previous))
    else:
        print(t("restore.no_previous", target=report.target))
    return 0
