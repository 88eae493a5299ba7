"""`casework backup [--out FILE]` and `casework restore FILE`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from casework.cli import add_db_option
from casework.cli.init import add_passphrase_option, opened
from casework.i18n import t


def register(sub: Any) -> None:
    backup = sub.add_parser(
        "backup", help="a consistent copy while desks keep working (encrypted if the database is)"
    )
    backup.add_argument("--out", metavar="FILE", help="where to write it (default: backups/)")
    add_db_option(backup)
    add_passphrase_option(backup)
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", help="check a backup and restore it (the current database is backed up first)"
    )
    restore.add_argument("file", metavar="FILE")
    add_db_option(restore)
    add_passphrase_option(restore)
    restore.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    from casework.services import backup

    with opened(args) as database:
        copy = backup.backup(database, Path(args.out) if args.out else None)
    print(t("security.cli.backup_done", path=copy))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from casework.services import backup

    with opened(args, upgrade=False) as database:
        report = backup.restore(database, Path(args.file))
    print(
        t(
            "security.cli.restore_done",
            source=report.source,
            persons=report.persons,
            previous=report.previous,
        )
    )
    return 0
