"""`casework export panel`: anonymised statistics for the Panel (its side: panel_side.py).

The municipality is the office's setting (`casework settings municipality`), never a flag
of the export: one office, one release history."""

from __future__ import annotations

import argparse

from casework.cli.signin import opened, signed_in
from casework.i18n import t, tn
from casework.services import panel


def cmd_export(args: argparse.Namespace) -> int:
    with opened(args) as database:
        result = panel.export(
            signed_in(args, database),
            args.period,
            args.out,
            k=args.k,
            prior_dir=args.prior,
            none_sent=args.none_sent,
        )
    for note in result.notes:
        print(t("panelout.cli.note", file=note.name, why=t(f"panelout.note.{note.reason}")))
    if result.added:
        print(tn("panelout.cli.prior_added", len(result.added), periods=", ".join(result.added)))
    key = (
        "cli.export_unchanged"
        if result.unchanged
        else ("cli.export_revision" if result.revision else "cli.export_done")
    )
    out = result.out_dir or args.out
    print(
        tn(key, len(result.files), files=len(result.files), out=out, hash=result.content_hash[:12])
    )
    if result.held_back:
        units = ", ".join(t(f"panelout.unit.{u}") for u in result.held_back)
        print(t("panelout.cli.held_back", units=units))
    return 0
