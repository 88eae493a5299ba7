"""`casework demo`: fill a database with synthetic Migrant Office data."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from casework.cli import DEMO_PEOPLE, add_db_option, check_db_arg, demo_db_arg, open_cli_database
from casework.cli.init import admin_unless_empty
from casework.cli.signin import add_signin_options
from casework.db import Database, remove_side_files, resolve_url
from casework.errors import CaseworkError
from casework.i18n import fmt_count, t
from casework.services.context import Context


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="fill a database with synthetic Migrant Office data")
    demo.add_argument("--people", type=int, default=DEMO_PEOPLE, metavar="N")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument(
        "--replace", action="store_true", help="delete the SQLite file first if it exists"
    )
    add_db_option(demo)
    # Needed only for --replace of a database that has workers (an administrator's act).
    add_signin_options(demo)
    demo.set_defaults(func=cmd_demo)


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
