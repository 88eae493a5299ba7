"""`casework init [--encrypt]` and `casework password USER`; the passphrase prompt.

The passphrase of an encrypted database is asked at the terminal, read from
``CASEWORK_PASSPHRASE`` or from ``--passphrase-file``; it is never written anywhere.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from casework import db as dbmod
from casework.cli import add_db_option, check_db_arg, open_cli_database
from casework.db import Database, resolve_url
from casework.errors import CaseworkError, Conflict, NotAllowed
from casework.i18n import t

if TYPE_CHECKING:
    from casework.services.context import Context


def add_passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="read the database passphrase from FILE (else CASEWORK_PASSPHRASE, else a prompt)",
    )


def passphrase_arg(args: argparse.Namespace) -> str | None:
    path = getattr(args, "passphrase_file", None)
    return dbmod.read_passphrase_file(path) if path else None


@contextmanager
def opened(args: argparse.Namespace, *, upgrade: bool = True) -> Iterator[Database]:
    """The command's database (``--db``, its passphrase from ``--passphrase-file``, the
    environment or the prompt), closed when the command is done with it."""
    database = open_cli_database(args.db, passphrase=passphrase_arg(args), upgrade=upgrade)
    try:
        yield database
    finally:
        database.dispose()


def stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def require_terminal(code: str = "no_terminal") -> None:
    """A prompt without a terminal would end in EOFError: refuse in one line instead."""
    if not stdin_is_terminal():
        raise CaseworkError(code)


def admin_context(ctx: Context) -> Context:
    """Ask an administrator's username and password at the terminal; act as them."""
    from casework.services import auth
    from casework.services.context import Context

    require_terminal()

    name = input(t("security.cli.admin_username"))
    admin = auth.authenticate(ctx, name, getpass.getpass(t("security.cli.admin_password")))
    return Context(ctx.db, admin.id)


def terminal_prompt(path: Path) -> str | None:
    if not stdin_is_terminal():
        return None
    return getpass.getpass(t("security.cli.passphrase"))


def ask_twice(first: str, second: str, *, no_terminal: str = "no_terminal") -> str:
    require_terminal(no_terminal)
    one = getpass.getpass(first)
    if getpass.getpass(second) != one:
        raise CaseworkError("passwords_differ")
    return one


def register(sub: Any) -> None:
    # Every command that opens an encrypted database asks for its key at the terminal.
    dbmod.set_passphrase_prompt(terminal_prompt)
    init = sub.add_parser(
        "init", help="create the database (or with --encrypt, encrypt an existing plain one)"
    )
    init.add_argument(
        "--encrypt", action="store_true", help="keep the SQLite file encrypted (SQLCipher)"
    )
    add_db_option(init)
    add_passphrase_option(init)
    init.set_defaults(func=cmd_init)

    pw = sub.add_parser("password", help="set a worker's password (an administrator signs in)")
    pw.add_argument("username")
    add_db_option(pw)
    add_passphrase_option(pw)
    pw.set_defaults(func=cmd_password)


def cmd_init(args: argparse.Namespace) -> int:
    from casework.services import backup

    # A missing file is created; an empty or foreign one is refused, never overwritten.
    check_db_arg(args.db, create=True)
    url = sa.make_url(resolve_url(args.db))
    path = Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None
    exists = path is not None and path.exists() and path.stat().st_size > 0
    if not args.encrypt:
        if exists:
            raise CaseworkError("database_exists", path=str(path))
        database = open_cli_database(args.db, create=True)
        print(t("security.cli.initialised", path=database.describe(), encrypted=""))
        database.dispose()
        return 0
    if path is None:
        raise CaseworkError("not_sqlite")
    if exists and dbmod.is_encrypted_file(path):
        raise Conflict("already_encrypted")
    passphrase = passphrase_arg(args) or os.environ.get(dbmod.ENV_PASSPHRASE)
    if not passphrase:
        passphrase = ask_twice(
            t("security.cli.passphrase_new"),
            t("security.cli.passphrase_repeat"),
            no_terminal="no_terminal_passphrase",
        )
    if exists:
        plain = open_cli_database(args.db)
        report = backup.encrypt(plain, passphrase)
        print(t("security.cli.encrypted", path=report.path, backups=report.backups))
        return 0
    database = open_cli_database(args.db, create=True, passphrase=passphrase)
    backup.created_encrypted(database)
    print(
        t(
            "security.cli.initialised",
            path=database.describe(),
            encrypted=t("security.cli.initialised_encrypted"),
        )
    )
    database.dispose()
    return 0


def cmd_password(args: argparse.Namespace) -> int:
    from casework.services import auth, workers
    from casework.services.context import Context

    with opened(args) as database:
        ctx = Context(database)
        target = workers.find_worker(ctx, args.username)
        if target is None:
            raise NotAllowed("bad_credentials")
        admin = admin_context(ctx)
        new = ask_twice(
            t("security.cli.password_for", username=target.username),
            t("security.cli.password_repeat"),
        )
        auth.set_password(admin, target.id, new)
        print(t("security.cli.password_done", username=target.username))
    return 0
