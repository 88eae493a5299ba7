"""`casework report caseload`: the supervisor's summary as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import io
import json

from casework.cli.signin import opened, signed_in
from casework.services import reports
from casework.spreadsheet import safe_dict, safe_row

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
