"""`casework export panel`: anonymised statistics for the Panel (its side: panel_side.py)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from casework.cli import add_db_option, add_passphrase_option
from casework.cli.signin import add_signin_options, opened, signed_in
from casework.i18n import t
from casework.services import panel


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="anonymised statistics for the Panel")
    kinds = export.add_subparsers(dest="export_kind", metavar="WHAT", required=True)
    p = kinds.add_parser("panel", help="a calendar quarter (2026-Q3) or year (2026)")
    p.add_argument("--period", required=True)
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--k", type=int, default=10, help="minimum persons per cell (5 or more)")
    p.add_argument(
        "--municipality",
        default=os.environ.get("CASEWORK_MUNICIPALITY", panel.DEFAULT_MUNICIPALITY),
        help="CUT code of the municipality (default 13101, Santiago)",
    )
    add_db_option(p)
    add_passphrase_option(p)
    add_signin_options(p)
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    with opened(args) as database:
        result = panel.export(
            signed_in(args, database),
            args.period,
            args.out,
            k=args.k,
            municipality=args.municipality,
        )
    key = (
        "cli.export_unchanged"
        if result.unchanged
        else ("cli.export_revision" if result.revision else "cli.export_done")
    )
    print(t(key, files=len(result.files), out=args.out, hash=result.content_hash[:12]))
    return 0
