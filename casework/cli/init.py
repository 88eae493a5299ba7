"""`casework init [--encrypt]` and `casework password USER`.

The passphrase of an encrypted database is asked at the terminal, read from
``CASEWORK_PASSPHRASE`` or from ``--passphrase-file``; it is never written anywhere.
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework import db as dbmod
from casework.cli import (
    add_db_option,
    add_passphrase_option,
    ask_twice,
    check_db_arg,
    open_cli_database,
    passphrase_arg,
    terminal_prompt,
)
from casework.cli.signin import add_signin_options, check_credentials, opened, sign_in, signed_in
from casework.db import Database, resolve_url
from casework.errors import CaseworkError, Conflict, NotAllowed
from casework.i18n import t
from casework.models.enums import Role
from casework.services import auth, backup, staff
from casework.services.context import Context


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
    add_signin_options(init)
    init.set_defaults(func=cmd_init)

    pw = sub.add_parser(
        "password", help="set a worker's password (an administrator), or change your own"
    )
    pw.add_argument("username")
    add_db_option(pw)
    add_passphrase_option(pw)
    add_signin_options(pw)
    pw.set_defaults(func=cmd_password, tokens=False)


def cmd_init(args: argparse.Namespace) -> int:
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
    if exists:
        plain = open_cli_database(args.db, upgrade=False)
        try:
            admin = admin_unless_empty(args, plain)
            passphrase = passphrase or _new_passphrase()
            report = backup.encrypt(plain, passphrase, actor=admin)
        finally:
            plain.dispose()
        print(t("security.cli.encrypted", path=report.path, backups=report.backups))
        return 0
    passphrase = passphrase or _new_passphrase()
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


def _new_passphrase() -> str:
    return ask_twice(
        t("security.cli.passphrase_new"),
        t("security.cli.passphrase_repeat"),
        no_terminal="no_terminal_passphrase",
    )


def admin_unless_empty(
    args: argparse.Namespace, database: Database, *, upgrade: bool = True
) -> uuid.UUID | None:
    """An existing database that has workers is changed as a whole (encrypted, replaced)
    only by an administrator who signs in (returned, for the act's audit row); one with
    nobody in it yet needs nobody (None). The worker count is read before anything is
    written or upgraded."""
    if staff.is_empty(Context(database)):
        if upgrade:
            database.upgrade()
        return None
    check_credentials(args)
    if upgrade:
        database.upgrade()
    return signed_in(args, database, roles=(Role.ADMIN,)).actor_id


def cmd_password(args: argparse.Namespace) -> int:
    """An administrator sets anyone's password (temporary until its owner changes it); a
    worker changes their own (the password they signed in with is the current one)."""
    with opened(args) as database:
        ctx, current = sign_in(args, database, allow_temporary=True, tokens=False)
        target = staff.find_worker(ctx, args.username.strip().lower())
        if target is None:
            raise NotAllowed("bad_credentials")
        new = ask_twice(
            t("security.cli.password_for", username=target.username),
            t("security.cli.password_repeat"),
        )
        auth.set_password(ctx, target.id, new, current_password=current)
        print(t("security.cli.password_done", username=target.username))
    return 0
