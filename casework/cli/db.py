"""`casework db`: schema migrations and where the files are."""

from __future__ import annotations

import argparse
from typing import Any

from casework import paths
from casework.cli import add_db_option
from casework.db import open_database
from casework.i18n import t


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply schema migrations (backs up first)")
    add_db_option(upgrade)
    where = db_sub.add_parser("path", help="print where the database and backups are")
    add_db_option(where)
    db.set_defaults(func=cmd_db)


def cmd_db(args: argparse.Namespace) -> int:
    database = open_database(args.db, upgrade=False)
    if args.db_command == "path":
        print(database.describe())
        if database.file_path is not None:
            print(paths.backup_dir(database.file_path))
        return 0
    report = database.upgrade()
    if report.before == report.after:
        print(t("cli.db_current", revision=report.after))
    else:
        print(t("cli.db_upgraded", before=report.before or "-", after=report.after))
        if report.backup is not None:
            print(t("cli.db_backup", path=report.backup))
    database.dispose()
    return 0
