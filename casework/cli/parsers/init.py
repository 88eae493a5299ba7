"""``casework init`` and ``casework password``: implemented in casework.cli.init."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import (
    Command,
    LaterHelp,
    add_db_option,
    add_new_password_options,
    add_passphrase_option,
    add_signin_options,
)

IMPL = "casework.cli.init"
FIRST_PROGRAMME_CODE = "OFMIG"


def _programme_help() -> str:
    from casework.i18n import t

    return f"the first programme's name (default: {t('ui.first_run.programme_default', 'es')})"


def register(sub: Any) -> None:
    init = sub.add_parser(
        "init",
        help="create the database (or with --encrypt, encrypt an existing plain one)",
        epilog="With --admin, --password-file holds the new administrator's password (the "
        "database has nobody yet to sign in). Example: casework init --admin ana --name "
        '"Ana Pizarro" --password-stdin < clave.txt',
    )
    init.add_argument(
        "--encrypt", action="store_true", help="keep the SQLite file encrypted (SQLCipher)"
    )
    init.add_argument(
        "--admin",
        metavar="USERNAME",
        help="also create the first programme and this administrator (no desk needed); "
        "the password from --password-file or --password-stdin",
    )
    init.add_argument("--name", metavar="FULL_NAME", help="the administrator's full name")
    init.add_argument("--programme", metavar="NAME", help=LaterHelp(_programme_help))
    init.add_argument(
        "--programme-code",
        metavar="CODE",
        default=FIRST_PROGRAMME_CODE,
        help=f"the first programme's code (default: {FIRST_PROGRAMME_CODE})",
    )
    init.add_argument(
        "--municipality",
        metavar="CODE",
        help="the municipality's CUT code (5 digits, e.g. 13101) for the Panel statistics; "
        "later: casework settings municipality",
    )
    init.add_argument(
        "--password-stdin",
        action="store_true",
        help="with --admin: read the administrator's password from the first line of "
        "standard input",
    )
    add_db_option(init)
    add_passphrase_option(init)
    add_signin_options(init)
    init.set_defaults(func=Command(IMPL, "cmd_init"))

    pw = sub.add_parser(
        "password", help="set a worker's password (an administrator), or change your own"
    )
    pw.add_argument("username")
    add_new_password_options(pw)
    add_db_option(pw)
    add_passphrase_option(pw)
    add_signin_options(pw)
    pw.set_defaults(func=Command(IMPL, "cmd_password"), tokens=False)
