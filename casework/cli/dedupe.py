"""`casework dedupe scan`: find likely duplicate persons and queue them for a supervisor."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from casework.cli import add_db_option, add_passphrase_option
from casework.cli.signin import add_signin_options, opened, signed_in
from casework.i18n import current_language, t
from casework.matching import DEFAULT_THRESHOLD, describe
from casework.services import duplicate_queue


def _score(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("--min-score is a probability between 0 and 1")
    return value


def register(sub: Any) -> None:
    parser = sub.add_parser("dedupe", help="find the same person recorded twice")
    actions = parser.add_subparsers(dest="dedupe_command", metavar="ACTION", required=True)
    scan = actions.add_parser("scan", help="score likely duplicate pairs and queue them")
    add_db_option(scan)
    add_passphrase_option(scan)
    add_signin_options(scan)
    scan.add_argument("--min-score", type=_score, default=DEFAULT_THRESHOLD, metavar="X")
    scan.add_argument("--format", choices=("table", "json"), default="table")
    scan.set_defaults(func=cmd_scan)


def cmd_scan(args: argparse.Namespace) -> int:
    with opened(args) as database:
        ctx = signed_in(args, database)
        report = duplicate_queue.scan(ctx, args.min_score)
        pairs = duplicate_queue.queue(ctx, args.min_score, limit=100_000)
    lang = current_language()
    if args.format == "json":
        out = [
            {
                "score": round(p.score, 4),
                "reasons": [describe(r, lang) for r in p.reasons],
                "a": {"id": str(p.a.id), "refs": list(p.a.refs), "name": p.a.name},
                "b": {"id": str(p.b.id), "refs": list(p.b.refs), "name": p.b.name},
            }
            for p in pairs
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for p in pairs:
            why = ", ".join(describe(r, lang) for r in p.reasons[:5])
            refs_a = f" [{', '.join(p.a.refs)}]" if p.a.refs else ""
            refs_b = f" [{', '.join(p.b.refs)}]" if p.b.refs else ""
            print(
                f"{p.score:.3f}  {p.a.name}{refs_a} {p.a.id}  ~  {p.b.name}{refs_b} {p.b.id}"
                f"\n       {why}"
            )
    print(
        t(
            "cli.scan_done",
            persons=f"{report.persons:,}",
            pairs=f"{len(pairs):,}",
            new=f"{report.new_pairs:,}",
            seconds=f"{report.seconds:.1f}",
        ),
        file=sys.stderr,
    )
    return 0
