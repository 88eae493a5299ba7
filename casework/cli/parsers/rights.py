"""``casework rights``: implemented in casework.cli.rights."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options
from casework.cli.parsers.report import date_arg

if TYPE_CHECKING:
    import uuid

IMPL = "casework.cli.rights"

# The values of casework.models.security.RightKind and RefusalGround, spelt out so the
# parser loads no models (tests/test_cli_imports.py checks they match).
RIGHT_KINDS = ("access", "rectification", "erasure", "objection", "portability", "blocking")
REFUSAL_GROUNDS = (
    "legal_obligation",
    "public_function",
    "public_health",
    "statistics",
    "legal_claims",
    "victim_protection",
    "legal_secrecy",
    "identity_not_verified",
)


def _uuid(text: str) -> uuid.UUID:
    import uuid  # when an id is given: uuid loads the platform module

    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a record id") from None


def _common(parser: argparse.ArgumentParser) -> None:
    add_db_option(parser)
    add_passphrase_option(parser)
    add_signin_options(parser)


def register(sub: Any) -> None:
    group = sub.add_parser("rights", help="people's requests about their data (Ley 21.719)")
    actions = group.add_subparsers(dest="rights", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="open requests by deadline")
    listing.add_argument("--all", action="store_true", help="answered and closed ones too")
    _common(listing)
    listing.set_defaults(func=Command(IMPL, "cmd_list"))

    new = actions.add_parser("new", help="register a request")
    new.add_argument("--person", required=True, type=_uuid, metavar="ID")
    new.add_argument("--kind", required=True, choices=RIGHT_KINDS)
    new.add_argument("--received", type=date_arg, metavar="DATE", help="default: today")
    new.add_argument("--channel", default="desk")
    new.add_argument("--identity-checked", action="store_true")
    _common(new)
    new.set_defaults(func=Command(IMPL, "cmd_new"))

    for name, helptext in (
        ("identity", "record that the requester's identity was checked"),
        ("extend", "extend the deadline once by 30 days"),
    ):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("request", type=_uuid, metavar="REQUEST")
        _common(action)
        action.set_defaults(func=Command(IMPL, "cmd_simple"), action=name)

    refuse = actions.add_parser("refuse", help="a reasoned refusal on a legal ground")
    refuse.add_argument("request", type=_uuid, metavar="REQUEST")
    refuse.add_argument("--ground", required=True, choices=REFUSAL_GROUNDS)
    refuse.add_argument("--note", required=True)
    _common(refuse)
    refuse.set_defaults(func=Command(IMPL, "cmd_refuse"))

    lift = actions.add_parser("lift", help="lift a block once what it waited for is resolved")
    lift.add_argument("request", type=_uuid, metavar="REQUEST")
    lift.add_argument("--note", required=True, help="why the block ends")
    _common(lift)
    lift.set_defaults(func=Command(IMPL, "cmd_lift"))

    answer = actions.add_parser("answer", help="answer an access or portability request")
    answer.add_argument("request", type=_uuid, metavar="REQUEST")
    answer.add_argument("--out", required=True, type=Path, metavar="FILE.json")
    _common(answer)
    answer.set_defaults(func=Command(IMPL, "cmd_answer"))
