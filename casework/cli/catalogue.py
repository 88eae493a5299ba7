"""`casework catalogue list|add|deactivate`: the office's own referral destinations."""

from __future__ import annotations

import argparse

from casework import refdata
from casework.cli.signin import opened, signed_in
from casework.i18n import t
from casework.services import catalogue
from casework.services.context import Context


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
