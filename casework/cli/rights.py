"""`casework rights list|new|identity|extend|refuse|answer|lift`: the rights-request register
from the command line. Every action signs a worker in (``casework.cli.signin``) and is
recorded in the audit trail under them; listing shows ids, rights and deadlines only."""

from __future__ import annotations

import argparse
from pathlib import Path

from casework.cli.signin import opened, signed_in
from casework.i18n import t
from casework.services import rights


def cmd_list(args: argparse.Namespace) -> int:
    with opened(args) as database:
        rows = rights.due(signed_in(args, database), include_closed=args.all)
    if not rows:
        print(t("protection.rights.cli_empty"))
        return 0
    for r in rows:
        late = "  !" if r.overdue else ""
        checked = "id-ok" if r.identity_checked else "id-?"
        print(
            f"{r.id}  {r.person_id}  {r.kind:<13} {r.received_on.isoformat()}  "
            f"{r.due_on.isoformat()}  {r.status:<9} {checked}{late}"
        )
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    with opened(args) as database:
        ctx = signed_in(args, database)
        row = rights.register(
            ctx,
            {
                "person_id": args.person,
                "kind": args.kind,
                "received_on": args.received,
                "channel": args.channel,
                "identity_checked": args.identity_checked,
            },
        )
    print(t("protection.rights.cli_registered", id=row.id, date=row.due_on.isoformat()))
    return 0


def cmd_simple(args: argparse.Namespace) -> int:
    with opened(args) as database:
        ctx = signed_in(args, database)
        if args.action == "identity":
            rights.confirm_identity(ctx, args.request)
        else:
            rights.extend(ctx, args.request)
    print(t("protection.rights.cli_done"))
    return 0


def cmd_refuse(args: argparse.Namespace) -> int:
    with opened(args) as database:
        rights.refuse(
            signed_in(args, database),
            args.request,
            {"ground": args.ground, "note": args.note},
        )
    print(t("protection.rights.cli_done"))
    return 0


def cmd_lift(args: argparse.Namespace) -> int:
    with opened(args) as database:
        rights.lift_block(signed_in(args, database), args.request, {"note": args.note})
    print(t("protection.rights.cli_done"))
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    # The same writer as the desk's: owner-only files, the hash of exactly the bytes sent,
    # and the request marked answered only once both files are written.
    out: Path = args.out
    with opened(args) as database:
        files = rights.answer_access_to(
            signed_in(args, database), args.request, out.parent, name=out.name
        )
    print(t("protection.rights.cli_done"), files.json_path)
    return 0
