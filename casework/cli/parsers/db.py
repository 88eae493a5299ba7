"""``casework db``: implemented in casework.cli.db."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import Command, add_db_option

IMPL = "casework.cli.db"


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply schema migrations (backs up first)")
    add_db_option(upgrade)
    where = db_sub.add_parser("path", help="print where the database, backups and log are")
    add_db_option(where)
    db.set_defaults(func=Command(IMPL, "cmd_db"))
