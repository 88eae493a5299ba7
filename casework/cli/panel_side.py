"""`casework panel combine` (and `panel check`): the Panel's side, no database."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from casework.services import panel_side


def register(sub: Any) -> None:
    side = sub.add_parser("panel", help="the Panel's side")
    actions = side.add_subparsers(dest="panel_command", metavar="ACTION", required=True)
    c = actions.add_parser("combine", help="compare several municipalities' exports")
    c.add_argument("files", type=Path, nargs="+", metavar="FILE.json")
    c.add_argument("--k", type=int, default=10)
    c.set_defaults(func=cmd_combine)


def cmd_combine(args: argparse.Namespace) -> int:
    print(panel_side.combine_files(args.files, args.k), end="")
    return 0
