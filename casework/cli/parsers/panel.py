"""``casework export panel``: implemented in casework.cli.panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.panel"


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="anonymised statistics for the Panel")
    kinds = export.add_subparsers(dest="export_kind", metavar="WHAT", required=True)
    p = kinds.add_parser(
        "panel",
        help="a calendar quarter (2026-Q3) or year (2026) that has ended",
        epilog="The municipality is the office's (casework settings municipality CODE). "
        "Files are written as panel-<period>.json and panel-<period>-<table>.csv, so one "
        "folder keeps every release sent. From a copy or a restored backup, give the "
        "release files already sent this year with --prior DIR (or, if truly nothing of "
        "the year was sent, --none-sent).",
    )
    p.add_argument("--period", required=True, help="2026-Q3 or 2026")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--k", type=int, default=10, help="minimum persons per cell (5 or more)")
    sent = p.add_mutually_exclusive_group()
    sent.add_argument(
        "--prior",
        type=Path,
        metavar="DIR",
        help="a folder with the release files (panel-*.json) already sent to the Panel: "
        "those the ledger lacks are recorded and this release is protected against them; "
        "refused if it holds no release of the office's year or a damaged one",
    )
    sent.add_argument(
        "--none-sent",
        action="store_true",
        help="nothing of the period's year was sent to the Panel (instead of --prior, for "
        "a copy or a restore); recorded in the audit log",
    )
    add_db_option(p)
    add_passphrase_option(p)
    add_signin_options(p)
    p.set_defaults(func=Command(IMPL, "cmd_export"))
