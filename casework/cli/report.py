"""`casework report caseload`: the supervisor's summary as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
from typing import Any

from casework.cli import add_db_option, add_passphrase_option
from casework.cli.signin import add_signin_options, opened, signed_in
from casework.services import reports
from casework.spreadsheet import safe_dict, safe_row


def _date(text: str) -> dt.date:
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
    caseload.add_argument("--from", dest="date_from", type=_date, metavar="DATE")
    caseload.add_argument("--to", dest="date_to", type=_date, metavar="DATE")
    caseload.add_argument("--format", choices=("table", "csv", "json"), default="table")
    caseload.set_defaults(func=cmd_caseload)


COLUMNS = ("programme", "worker", *reports.METRICS)


def cmd_caseload(args: argparse.Namespace) -> int:
    with opened(args) as database:
        result = reports.caseload(signed_in(args, database), args.date_from, args.date_to)
    data = result.as_dict()
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
        return 0
    rows = [
        *data["workers"],
        *({**p, "worker": "*"} for p in data["programmes"]),
        {**data["total"], "programme": "*", "worker": "Total"},
    ]
    if args.format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writerow(dict(zip(COLUMNS, safe_row(COLUMNS), strict=True)))
        writer.writerows(safe_dict(r) for r in rows)
        print(out.getvalue(), end="")
        return 0
    print(f"Caseload {data['from']} .. {data['to']} (today {data['today']})")
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in COLUMNS}
    print("  ".join(c.ljust(widths[c]) for c in COLUMNS))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in COLUMNS))
    print()
    print("Referrals by service area and status (created in the period):")
    for area, statuses in data["referral_outcomes"].items():
        cells = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        median = data["median_days_to_completion"].get(area)
        extra = f"; median {median} days to completion" if median is not None else ""
        print(f"  {area}: {cells}{extra}")
    print("Guidance by route and furthest step reached (opened in the period):")
    for route, steps in data["guidance"].items():
        print(f"  {route}: " + ", ".join(f"{k} {v}" for k, v in steps.items()))
    return 0
