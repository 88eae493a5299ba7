"""``casework audit``: implemented in casework.cli.audit."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.audit"


def register(sub: Any) -> None:
    audit = sub.add_parser("audit", help="list who saw or changed a person's file")
    audit.add_argument("--person", required=True, metavar="ID", help="the person's record id")
    audit.add_argument("--limit", type=int, default=500)
    add_db_option(audit)
    add_passphrase_option(audit)
    add_signin_options(audit)
    audit.set_defaults(func=Command(IMPL, "cmd_audit"))
