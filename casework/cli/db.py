"""`casework db`: schema migrations and where the files are."""

from __future__ import annotations

import argparse
from pathlib import Path

import sqlalchemy as sa

from casework import logs, paths
from casework.cli.opening import open_cli_database
from casework.db import resolve_url
from casework.i18n import t


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
