"""`casework db`: schema migrations and where the files are."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework import logs, paths
from casework.cli import add_db_option, open_cli_database
from casework.db import resolve_url
from casework.i18n import t


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply schema migrations (backs up first)")
    add_db_option(upgrade)
    where = db_sub.add_parser("path", help="print where the database, backups and log are")
    add_db_option(where)
    db.set_defaults(func=cmd_db)


def cmd_db(args: argparse.Namespace) -> int:
    if args.db_command == "path":
        # Where it is (or would be): nothing is opened or created.
        url = sa.make_url(resolve_url(args.db))
        print(url.render_as_string(hide_password=True))
        if url.get_backend_name() == "sqlite" and url.database:
            print(paths.backup_dir(Path(url.database)))
        print(paths.log_dir() / logs.FILE_NAME)
        return 0
    database = open_cli_database(args.db, upgrade=False)
    report = database.upgrade()
    if report.before == report.after:
        print(t("cli.db_current", revision=report.after))
    else:
        print(t("cli.db_upgraded", before=report.before or "-", after=report.after))
        if report.backup is not None:
            print(t("cli.db_backup", path=report.backup))
    database.dispose()
    return 0
