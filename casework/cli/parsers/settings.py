"""``casework settings``: implemented in casework.cli.settings."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.settings"


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
    m.set_defaults(func=Command(IMPL, "cmd_municipality"))
