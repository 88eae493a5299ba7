"""`casework worker add|list|deactivate|reactivate|unlock` and `casework programme add|rename`:
an administrator's staff list (the same services as the F10 screen)."""

from __future__ import annotations

import argparse

from casework.cli.init import new_password
from casework.cli.signin import opened, signed_in
from casework.errors import NotFound
from casework.i18n import t
from casework.services import auth, staff


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
