"""`casework import persons FILE`: bring in a programme's existing list (CSV or XLSX)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from casework.cli import add_db_option, add_passphrase_option
from casework.cli.signin import add_signin_options, opened, signed_in
from casework.i18n import t
from casework.services import duplicate_queue
from casework.services.importing import import_persons


def register(sub: Any) -> None:
    parser = sub.add_parser("import", help="bring in existing lists")
    kinds = parser.add_subparsers(dest="import_kind", metavar="WHAT", required=True)
    persons = kinds.add_parser("persons", help="persons from a .csv or .xlsx file")
    persons.add_argument("file", type=Path, metavar="FILE")
    add_db_option(persons)
    add_passphrase_option(persons)
    add_signin_options(persons)
    persons.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    with opened(args) as database:
        ctx = signed_in(args, database)
        report = import_persons(ctx, args.file)
        # New persons may be duplicates of each other or of those on record: the scan runs
        # now (unless another desk's is running), so the supervisors' queue is true.
        scanned = duplicate_queue.auto_scan(ctx, "import") if report.created else None
    for problem in report.problems:
        message = "; ".join(i.message() for i in problem.issues)
        print(t("cli.import_bad_row", line=problem.line, message=message))
    print(
        t(
            "cli.import_done",
            rows=report.rows,
            created=report.created,
            already=report.already,
            errors=report.refused,
            duplicates=report.likely_duplicates,
        )
    )
    if scanned is not None:
        print(t("followthrough.scan.done", new=scanned.new_pairs))
    return 0
