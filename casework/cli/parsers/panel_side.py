"""``casework panel``: implemented in casework.cli.panel_side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casework.cli.parsers import Command

IMPL = "casework.cli.panel_side"


def register(sub: Any) -> None:
    side = sub.add_parser("panel", help="the Panel's side")
    actions = side.add_subparsers(dest="panel_command", metavar="ACTION", required=True)
    k = actions.add_parser(
        "check",
        help="check that each office's files are protected against the ones the Panel holds",
        description="Exit code: 0 every file accepted, 1 some file withheld, 2 unreadable input.",
    )
    k.add_argument("paths", type=Path, nargs="+", metavar="FILE_OR_DIR")
    k.set_defaults(func=Command(IMPL, "cmd_check"))
    c = actions.add_parser("combine", help="compare several municipalities' exports")
    c.add_argument("paths", type=Path, nargs="+", metavar="FILE_OR_DIR")
    c.add_argument("--period", help="the period to combine (needed when the files hold several)")
    c.add_argument("--k", type=int, default=10)
    c.set_defaults(func=Command(IMPL, "cmd_combine"))
