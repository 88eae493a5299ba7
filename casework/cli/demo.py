"""`casework demo`: fill a database with synthetic Migrant Office data."""

from __future__ import annotations

import argparse
import sys

from casework.cli.init import admin_unless_empty
from casework.cli.opening import check_db_arg, demo_db_arg, open_cli_database
from casework.db import Database, remove_side_files, resolve_url
from casework.errors import CaseworkError
from casework.i18n import fmt_count, t
from casework.services.context import Context


def cmd_demo(args: argparse.Namespace) -> int:
    # The synthetic-data generator loads only for this command.
    from casework.synthetic import demo

    if args.people < 1:
        raise CaseworkError("people_positive")
    target = demo_db_arg(args.db)
    check_db_arg(target, create=True)
    database = Database(resolve_url(target))
    path = database.file_path
    database.dispose()
    if args.replace and path is not None and path.exists() and path.stat().st_size > 0:
        current = open_cli_database(target, upgrade=False)
        try:
            admin_unless_empty(args, current, upgrade=False)
        finally:
            current.dispose()
    if args.replace and path is not None:
        path.unlink(missing_ok=True)
        remove_side_files(path)
    database = open_cli_database(target, create=True)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    report = demo.generate(Context(database), args.people, seed=args.seed, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        t(
            "cli.demo_done",
            people=fmt_count(report.people),
            duplicates=fmt_count(report.duplicates),
            seconds=f"{report.seconds:.1f}",
            db=database.describe(),
        )
    )
    database.dispose()
    return 0
