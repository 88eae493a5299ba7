"""`casework catalogue list|add|deactivate`: the office's own referral destinations."""

from __future__ import annotations

import argparse
from typing import Any

from casework import refdata
from casework.cli import add_db_option, add_passphrase_option
from casework.cli.signin import add_signin_options, opened, signed_in
from casework.i18n import t
from casework.services import catalogue
from casework.services.context import Context


def register(sub: Any) -> None:
    cat = sub.add_parser("catalogue", help="the referral catalogue and the office's own entries")
    actions = cat.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every destination, shipped and local")
    listing.set_defaults(func=cmd_list)
    add = actions.add_parser("add", help="add a local destination (an administrator signs in)")
    add.add_argument("--name", required=True, help="name in Spanish")
    add.add_argument("--area", required=True, help="service area key (health, housing, ...)")
    add.add_argument("--key", help="stable key (default: made from the name)")
    add.add_argument("--name-en", help="name in English")
    add.add_argument("--when", help="when to refer there")
    add.add_argument("--outcome", help="typical outcome")
    add.add_argument("--contact", help="address, phone, opening hours")
    add.add_argument("--private", action="store_true", help="private: needs the person's consent")
    add.set_defaults(func=cmd_add)
    off = actions.add_parser("deactivate", help="stop offering a local destination")
    off.add_argument("key")
    off.set_defaults(func=cmd_deactivate)
    for parser in (listing, add, off):
        add_db_option(parser)
        add_passphrase_option(parser)
    # The list reads the office's catalogue only; changing it is an administrator's act.
    add_signin_options(add)
    add_signin_options(off)


def cmd_list(args: argparse.Namespace) -> int:
    with opened(args) as database:
        ctx = Context(database)
        shipped = [(d.key, d.service_area, d.name_es, None) for d in refdata.destinations()]
        local = [
            (d.key, d.service_area, d.name_es, d.active) for d in catalogue.local_destinations(ctx)
        ]
        for key, area, name, active in [*shipped, *local]:
            print(
                t(
                    "admin.cli_destination",
                    dest_key=key,
                    area=area,
                    origin=t("admin.origin_shipped" if active is None else "admin.origin_local"),
                    name=name,
                    state=t("admin.cli_inactive") if active is False else "",
                )
            )
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    with opened(args) as database:
        created = catalogue.add_destination(
            signed_in(args, database),
            {
                "key": args.key,
                "name_es": args.name,
                "name_en": args.name_en,
                "service_area": args.area,
                "when_es": args.when,
                "typical_outcome_es": args.outcome,
                "contact_es": args.contact,
                "private": args.private,
            },
        )
        print(t("admin.cli_added", dest_key=created.key))
    return 0


def cmd_deactivate(args: argparse.Namespace) -> int:
    with opened(args) as database:
        catalogue.set_destination_active(signed_in(args, database), args.key, False)
        print(t("admin.cli_deactivated", dest_key=args.key))
    return 0
