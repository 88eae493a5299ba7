"""``casework import``: implemented in casework.cli.imports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.imports"

EXIT_HELP = (
    "exit status: 0 the import ran (also with refused rows); 1 every row was refused; "
    "2 a mistake in the command or an unreadable file (nothing stored); 130 Ctrl+C "
    "(stops after the current batch; run the same command again to continue)"
)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="show the file as read, the column mapping, the first rows and the counts; "
        "store nothing",
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="read COLUMN (its header in the file) as FIELD; FIELD empty or - leaves the "
        "column out (repeatable)",
    )
    parser.add_argument("--sheet", metavar="NAME|N", help="the XLSX sheet (default: the first)")
    parser.add_argument(
        "--header-row", type=int, metavar="N", help="the header's line (default: found)"
    )
    parser.add_argument("--encoding", metavar="ENC", help="the CSV's encoding (default: detected)")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="PATH",
        help="where to write the rows to check (.csv or .xlsx; default: FILE's folder, "
        "<name>-informe.csv)",
    )
    add_db_option(parser)
    add_passphrase_option(parser)
    add_signin_options(parser)


def register(sub: Any) -> None:
    parser = sub.add_parser("import", help="bring in existing lists (persons, visits)")
    kinds = parser.add_subparsers(dest="import_kind", metavar="WHAT", required=True)
    persons = kinds.add_parser(
        "persons", help="persons from a .csv or .xlsx file", epilog=EXIT_HELP
    )
    _common(persons)
    persons.set_defaults(func=Command(IMPL, "cmd_import"), kind="persons")
    visits = kinds.add_parser(
        "visits",
        help="attentions (one row per visit) onto the persons' timelines",
        epilog=EXIT_HELP,
    )
    _common(visits)
    visits.add_argument(
        "--programme", metavar="NAME", help="the programme of the rows that name none"
    )
    visits.set_defaults(func=Command(IMPL, "cmd_import"), kind="visits")
