"""`casework panel check` and `casework panel combine`: the Panel's side, no database."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from casework.i18n import t
from casework.services import panel_side


def register(sub: Any) -> None:
    side = sub.add_parser("panel", help="the Panel's side")
    actions = side.add_subparsers(dest="panel_command", metavar="ACTION", required=True)
    k = actions.add_parser(
        "check",
        help="check that each office's files are protected against the ones the Panel holds",
        description="Exit code: 0 every file accepted, 1 some file withheld, 2 unreadable input.",
    )
    k.add_argument("paths", type=Path, nargs="+", metavar="FILE_OR_DIR")
    k.set_defaults(func=cmd_check)
    c = actions.add_parser("combine", help="compare several municipalities' exports")
    c.add_argument("paths", type=Path, nargs="+", metavar="FILE_OR_DIR")
    c.add_argument("--period", help="the period to combine (needed when the files hold several)")
    c.add_argument("--k", type=int, default=10)
    c.set_defaults(func=cmd_combine)


def cmd_check(args: argparse.Namespace) -> int:
    result = panel_side.check_paths(args.paths)
    for verdict in result.verdicts:
        print(panel_side.verdict_line(verdict))
    print()
    for line in panel_side.used_lines(result):
        print(line)
    flagged = sum(1 for v in result.verdicts if not v.accepted and v.duplicate_of is None)
    if not result.all_accepted:
        print(t("panelside.summary_flagged", count=flagged))
        return 1
    print(t("panelside.summary_ok"))
    return 0


def cmd_combine(args: argparse.Namespace) -> int:
    print(panel_side.combine_paths(args.paths, args.period, args.k).to_text(), end="")
    return 0
