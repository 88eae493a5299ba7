"""``casework catalogue``: implemented in casework.cli.catalogue."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.catalogue"


def register(sub: Any) -> None:
    cat = sub.add_parser("catalogue", help="the referral catalogue and the office's own entries")
    actions = cat.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every destination, shipped and local")
    listing.set_defaults(func=Command(IMPL, "cmd_list"))
    add = actions.add_parser("add", help="add a local destination (an administrator signs in)")
    add.add_argument("--name", required=True, help="name in Spanish")
    add.add_argument("--area", required=True, help="service area key (health, housing, ...)")
    add.add_argument("--key", help="stable key (default: made from the name)")
    add.add_argument("--name-en", help="name in English")
    add.add_argument("--when", help="when to refer there")
    add.add_argument("--outcome", help="typical outcome")
    add.add_argument("--contact", help="address, phone, opening hours")
    add.add_argument("--private", action="store_true", help="private: needs the person's consent")
    add.set_defaults(func=Command(IMPL, "cmd_add"))
    off = actions.add_parser("deactivate", help="stop offering a local destination")
    off.add_argument("key")
    off.set_defaults(func=Command(IMPL, "cmd_deactivate"))
    for parser in (listing, add, off):
        add_db_option(parser)
        add_passphrase_option(parser)
    # The list reads the office's catalogue only; changing it is an administrator's act.
    add_signin_options(add)
    add_signin_options(off)
