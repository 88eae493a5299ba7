"""``casework backup`` and ``casework restore``: implemented in casework.cli.backup."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.backup"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "backup", help="a consistent copy while desks keep working (encrypted if the database is)"
    )
    parser.add_argument("--out", metavar="FILE", help="where to write it (default: backups/)")
    add_db_option(parser)
    add_passphrase_option(parser)
    add_signin_options(parser)
    parser.set_defaults(func=Command(IMPL, "cmd_backup"))

    restore = sub.add_parser(
        "restore", help="check a backup and restore it (the current database is backed up first)"
    )
    restore.add_argument("file", metavar="FILE")
    add_db_option(restore)
    add_passphrase_option(restore)
    add_signin_options(restore)
    restore.set_defaults(func=Command(IMPL, "cmd_restore"))
