"""``casework report``: implemented in casework.cli.report."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.report"


def date_arg(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{text!r}: use YYYY-MM-DD or DD-MM-YYYY")


def register(sub: Any) -> None:
    report = sub.add_parser("report", help="summaries for supervisors")
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    caseload = kinds.add_parser("caseload", help="caseload per worker and programme")
    add_db_option(caseload)
    add_passphrase_option(caseload)
    add_signin_options(caseload)
    caseload.add_argument("--from", dest="date_from", type=date_arg, metavar="DATE")
    caseload.add_argument("--to", dest="date_to", type=date_arg, metavar="DATE")
    caseload.add_argument("--format", choices=("table", "csv", "json"), default="table")
    caseload.set_defaults(func=Command(IMPL, "cmd_caseload"))
