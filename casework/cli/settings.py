"""`casework settings municipality [CODE]`: the office's municipality for the Panel
(shown to any worker who signs in; set by an administrator, audited)."""

from __future__ import annotations

import argparse

from casework.cli.signin import opened, signed_in
from casework.i18n import t
from casework.services import settings


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
