"""``casework worker`` and ``casework programme``: implemented in casework.cli.workers."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import (
    Command,
    add_db_option,
    add_new_password_options,
    add_passphrase_option,
    add_signin_options,
)

IMPL = "casework.cli.workers"


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
    add.set_defaults(func=Command(IMPL, "cmd_add"))
    listing = actions.add_parser("list", help="list workers and programmes")
    add_db_option(listing)
    add_passphrase_option(listing)
    add_signin_options(listing)
    listing.set_defaults(func=Command(IMPL, "cmd_list"))
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
        change.set_defaults(func=Command(IMPL, "cmd_change"), change=name)

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
    padd.set_defaults(func=Command(IMPL, "cmd_programme"))
    rename = prog_actions.add_parser("rename", help="give a programme a new name")
    rename.add_argument("code")
    rename.add_argument("--name", required=True)
    add_db_option(rename)
    add_passphrase_option(rename)
    add_signin_options(rename)
    rename.set_defaults(func=Command(IMPL, "cmd_programme_rename"))
