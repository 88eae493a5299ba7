"""`casework settings municipality [CODE]`: the office's municipality for the Panel
(shown to any worker who signs in; set by an administrator, audited)."""

from __future__ import annotations

import argparse
from typing import Any

from casework.cli import add_db_option, add_passphrase_option
from casework.cli.signin import add_signin_options, opened, signed_in
from casework.i18n import t
from casework.services import settings


def register(sub: Any) -> None:
    group = sub.add_parser("settings", help="the office's settings")
    keys = group.add_subparsers(dest="settings_key", metavar="SETTING", required=True)
    m = keys.add_parser(
        "municipality",
        help="show the municipality (CUT code) the Panel statistics are about, or set it "
        "(an administrator)",
    )
    m.add_argument("code", nargs="?", metavar="CODE", help="5-digit CUT code, e.g. 13101")
    add_db_option(m)
    add_passphrase_option(m)
    add_signin_options(m)
    m.set_defaults(func=cmd_municipality)


def cmd_municipality(args: argparse.Namespace) -> int:
    with opened(args) as database:
        ctx = signed_in(args, database)
        current = settings.office_settings(ctx)
        if args.code is None:
            if current.municipality is None:
                print(t("panelout.cli.municipality_none"))
            else:
                print(
                    t(
                        "panelout.cli.municipality_is",
                        code=settings.municipality_label(current.municipality),
                    )
                )
            return 0
        done = settings.set_municipality(
            ctx, {"code": args.code, "version": current.municipality_version}
        )
    code = done.municipality
    print(t("panelout.cli.municipality_set", code=settings.municipality_label(code or "")))
    return 0
