"""`casework export panel`: anonymised statistics for the Panel (its side: panel_side.py).

The municipality is the office's setting (`casework settings municipality`), never a flag
of the export: one office, one release history."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from casework.cli import add_db_option, add_passphrase_option
from casework.cli.signin import add_signin_options, opened, signed_in
from casework.i18n import t
from casework.services import panel


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="anonymised statistics for the Panel")
    kinds = export.add_subparsers(dest="export_kind", metavar="WHAT", required=True)
    p = kinds.add_parser(
        "panel",
        help="a calendar quarter (2026-Q3) or year (2026) that has ended",
        epilog="The municipality is the office's (casework settings municipality CODE). "
        "From a copy or a restored backup, give the release files already sent this year "
        "with --prior DIR.",
    )
    p.add_argument("--period", required=True)
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--k", type=int, default=10, help="minimum persons per cell (5 or more)")
    p.add_argument(
        "--prior",
        type=Path,
        metavar="DIR",
        help="a folder with the release files (panel-*.json) already sent to the Panel: "
        "those the ledger lacks are recorded and this release is protected against them",
    )
    add_db_option(p)
    add_passphrase_option(p)
    add_signin_options(p)
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    with opened(args) as database:
        result = panel.export(
            signed_in(args, database), args.period, args.out, k=args.k, prior_dir=args.prior
        )
    if result.added:
        print(
            t("panelout.cli.prior_added", count=len(result.added), periods=", ".join(result.added))
        )
    key = (
        "cli.export_unchanged"
        if result.unchanged
        else ("cli.export_revision" if result.revision else "cli.export_done")
    )
    print(t(key, files=len(result.files), out=args.out, hash=result.content_hash[:12]))
    if result.held_back:
        units = ", ".join(t(f"panelout.unit.{u}") for u in result.held_back)
        print(t("panelout.cli.held_back", units=units))
    return 0
