"""`casework worker add|list|deactivate|reactivate|unlock` and `casework programme add|rename`:
an administrator's staff list (the same services as the F10 screen)."""

from __future__ import annotations

import argparse
from typing import Any

from casework.cli import add_db_option, add_passphrase_option
from casework.cli.init import add_new_password_options, new_password
from casework.cli.signin import add_signin_options, opened, signed_in
from casework.errors import NotFound
from casework.i18n import t
from casework.services import auth, staff


def register(sub: Any) -> None:
    worker = sub.add_parser("worker", help="add or list workers (an administrator signs in)")
    actions = worker.add_subparsers(dest="worker_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a worker, with a first password")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="full name")
    add.add_argument("--role", choices=("worker", "supervisor", "admin"), default="worker")
    add.add_argument("--programme", metavar="CODE", help="programme code (e.g. OFMIG)")
    add_new_password_options(add)
    add_db_option(add)
    add_passphrase_option(add)
    add_signin_options(add)
    add.set_defaults(func=cmd_add)
    listing = actions.add_parser("list", help="list workers and programmes")
    add_db_option(listing)
    add_passphrase_option(listing)
    add_signin_options(listing)
    listing.set_defaults(func=cmd_list)
    for name, help_text in (
        ("deactivate", "a worker who left: no more sign-in; --to names who takes their open work"),
        ("reactivate", "let a deactivated worker sign in again"),
        ("unlock", "lift a lock-out after failed sign-ins"),
    ):
        change = actions.add_parser(name, help=help_text)
        change.add_argument("username")
        if name == "deactivate":
            change.add_argument(
                "--to",
                metavar="USERNAME",
                help="the colleague of the same programme who takes their open cases and "
                "pending follow-ups (needed when they have any)",
            )
        add_db_option(change)
        add_passphrase_option(change)
        add_signin_options(change)
        change.set_defaults(func=cmd_change, change=name)

    programme = sub.add_parser("programme", help="add a municipal programme")
    prog_actions = programme.add_subparsers(
        dest="programme_command", metavar="ACTION", required=True
    )
    padd = prog_actions.add_parser("add", help="add a programme")
    padd.add_argument("code")
    padd.add_argument("--name", required=True)
    add_db_option(padd)
    add_passphrase_option(padd)
    add_signin_options(padd)
    padd.set_defaults(func=cmd_programme)
    rename = prog_actions.add_parser("rename", help="give a programme a new name")
    rename.add_argument("code")
    rename.add_argument("--name", required=True)
    add_db_option(rename)
    add_passphrase_option(rename)
    add_signin_options(rename)
    rename.set_defaults(func=cmd_programme_rename)


def cmd_add(args: argparse.Namespace) -> int:
    with opened(args) as database:
        admin = signed_in(args, database)
        password = new_password(
            args.new_password_file,
            args.new_password_stdin,
            args.username.strip().lower(),
            both="new_password_both",
            missing="new_password_source",
        )
        auth.check_strength(password)
        created = staff.create_worker(
            admin,
            {
                "username": args.username,
                "full_name": args.name,
                "role": args.role,
                "programme_code": args.programme,
            },
        )
        auth.set_password(admin, created.id, password)
        print(t("cli.worker_added", username=created.username, role=created.role))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with opened(args) as database:
        ctx = signed_in(args, database)
        programmes = {p.id: p for p in staff.list_programmes(ctx)}
        for w in staff.list_workers(ctx, active_only=False):
            prog = programmes.get(w.programme_id) if w.programme_id else None
            state = "" if w.active else " (inactive)"
            print(
                f"{w.username:16} {w.role:10} {prog.code if prog else '-':8} {w.full_name}{state}"
            )
    return 0


def cmd_programme(args: argparse.Namespace) -> int:
    with opened(args) as database:
        created = staff.create_programme(
            signed_in(args, database), {"code": args.code, "name": args.name}
        )
        print(t("cli.programme_added", code=created.code))
    return 0


def cmd_change(args: argparse.Namespace) -> int:
    with opened(args) as database:
        admin = signed_in(args, database)
        target = staff.find_worker(admin, args.username.strip().lower())
        if target is None:
            raise NotFound("not_found", what=args.username)
        if args.change == "unlock":
            staff.unlock(admin, target.id)
        elif args.change == "reactivate":
            staff.set_active(admin, target.id, True)
        else:
            receiver, taker = None, None
            if getattr(args, "to", None):
                taker = staff.find_worker(admin, args.to.strip().lower())
                if taker is None:
                    raise NotFound("not_found", what=args.to)
                receiver = taker.id
            staff.set_active(admin, target.id, False, receiver=receiver)
            if taker is not None:  # says who took the work
                print(t("fix1.deactivated_to", username=target.username, name=taker.full_name))
                return 0
        done = {"unlock": "unlocked", "deactivate": "worker_deactivated"}.get(
            args.change, "worker_reactivated"
        )
        print(t(f"admin.{done}", username=target.username))
    return 0


def cmd_programme_rename(args: argparse.Namespace) -> int:
    with opened(args) as database:
        admin = signed_in(args, database)
        found = [p for p in staff.list_programmes(admin) if p.code == args.code]
        if not found:
            raise NotFound("not_found", what=args.code)
        staff.rename_programme(admin, found[0].id, {"name": args.name})
        print(t("admin.programme_renamed", code=args.code))
    return 0
