"""``casework signin`` and ``casework signout``: implemented in casework.cli.signin."""

from __future__ import annotations

import argparse
from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.signin"

# casework.services.auth's, spelt out so the parser loads no services
# (tests/test_cli_imports.py checks they match).
TOKEN_HOURS = 8
MAX_TOKEN_HOURS = 24 * 7


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours") from None
    if not 0 < value <= MAX_TOKEN_HOURS:
        raise argparse.ArgumentTypeError(f"--hours is between 0 and {MAX_TOKEN_HOURS}")
    return value


def register(sub: Any) -> None:
    signin = sub.add_parser(
        "signin", help="sign in once for the commands of the next hours (a token only you read)"
    )
    signin.add_argument(
        "--hours", type=_hours, default=TOKEN_HOURS, help=f"how long (default {TOKEN_HOURS})"
    )
    add_signin_options(signin)
    signin.set_defaults(func=Command(IMPL, "cmd_signin"), tokens=False)
    add_db_option(signin)
    add_passphrase_option(signin)

    signout = sub.add_parser("signout", help="end the sign-in of `casework signin`")
    signout.add_argument("--user", "--as", dest="user", metavar="USER")
    add_db_option(signout)
    add_passphrase_option(signout)
    signout.set_defaults(func=Command(IMPL, "cmd_signout"))
