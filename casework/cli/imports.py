"""`casework import persons FILE`: bring in a programme's existing list (CSV or XLSX)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from casework.cli import acting_worker, add_db_option, open_cli_database
from casework.i18n import t
from casework.services.context import Context
from casework.services.importing import import_persons


def register(sub: Any) -> None:
    parser = sub.add_parser("import", help="bring in existing lists")
    kinds = parser.add_subparsers(dest="import_kind", metavar="WHAT", required=True)
    persons = kinds.add_parser("persons", help="persons from a .csv or .xlsx file")
    persons.add_argument("file", type=Path, metavar="FILE")
    persons.add_argument(
        "--as",
        dest="username",
        metavar="USER",
        help="the worker recorded as importing (default: the first admin)",
    )
    add_db_option(persons)
    persons.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    db = open_cli_database(args.db)
    try:
        actor = acting_worker(db, args.username)
        report = import_persons(Context(db, actor), args.file)
    finally:
        db.dispose()
    for line, message in report.errors:
        print(t("cli.import_bad_row", line=line, message=message))
    print(
        t(
            "cli.import_done",
            rows=report.rows,
            created=report.created,
            already=report.already,
            errors=len(report.errors),
            duplicates=report.likely_duplicates,
        )
    )
    return 0
