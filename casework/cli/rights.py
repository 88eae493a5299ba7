"""`casework rights list|new|identity|extend|refuse|answer|lift`: the rights-request register
from the command line. Every action signs a worker in (``casework.cli.signin``) and is
recorded in the audit trail under them; listing shows ids, rights and deadlines only."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import Any

from casework.cli import add_db_option, add_passphrase_option
from casework.cli.report import _date
from casework.cli.signin import add_signin_options, opened, signed_in
from casework.i18n import t
from casework.models.security import RefusalGround, RightKind
from casework.services import rights


def _uuid(text: str) -> uuid.UUID:
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
    listing.set_defaults(func=cmd_list)

    new = actions.add_parser("new", help="register a request")
    new.add_argument("--person", required=True, type=_uuid, metavar="ID")
    new.add_argument("--kind", required=True, choices=[k.value for k in RightKind])
    new.add_argument("--received", type=_date, metavar="DATE", help="default: today")
    new.add_argument("--channel", default="desk")
    new.add_argument("--identity-checked", action="store_true")
    _common(new)
    new.set_defaults(func=cmd_new)

    for name, helptext in (
        ("identity", "record that the requester's identity was checked"),
        ("extend", "extend the deadline once by 30 days"),
    ):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("request", type=_uuid, metavar="REQUEST")
        _common(action)
        action.set_defaults(func=cmd_simple, action=name)

    refuse = actions.add_parser("refuse", help="a reasoned refusal on a legal ground")
    refuse.add_argument("request", type=_uuid, metavar="REQUEST")
    refuse.add_argument("--ground", required=True, choices=[g.value for g in RefusalGround])
    refuse.add_argument("--note", required=True)
    _common(refuse)
    refuse.set_defaults(func=cmd_refuse)

    lift = actions.add_parser("lift", help="lift a block once what it waited for is resolved")
    lift.add_argument("request", type=_uuid, metavar="REQUEST")
    lift.add_argument("--note", required=True, help="why the block ends")
    _common(lift)
    lift.set_defaults(func=cmd_lift)

    answer = actions.add_parser("answer", help="answer an access or portability request")
    answer.add_argument("request", type=_uuid, metavar="REQUEST")
    answer.add_argument("--out", required=True, type=Path, metavar="FILE.json")
    _common(answer)
    answer.set_defaults(func=cmd_answer)


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
