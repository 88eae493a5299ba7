"""``casework dedupe``: implemented in casework.cli.dedupe."""

from __future__ import annotations

import argparse
from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.dedupe"


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
    # None: the matcher's own threshold (casework.matching.DEFAULT_THRESHOLD, read when the
    # scan runs: the parser does not load the matcher).
    scan.add_argument("--min-score", type=_score, default=None, metavar="X")
    scan.add_argument("--format", choices=("table", "json"), default="table")
    scan.add_argument(
        "--list", action="store_true", help="print every pair waiting, not only the summary"
    )
    scan.set_defaults(func=Command(IMPL, "cmd_scan"))
