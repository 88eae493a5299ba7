"""`casework init [--encrypt]` and `casework password USER`.

The passphrase of an encrypted database is asked at the terminal, read from
``CASEWORK_PASSPHRASE`` or from ``--passphrase-file``; it is never written anywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from casework import cli
from casework import db as dbmod
from casework.cli import ask_twice
from casework.cli.opening import (
    check_db_arg,
    open_cli_database,
    passphrase_arg,
)
from casework.cli.signin import (
    check_credentials,
    opened,
    read_password_file,
    sign_in,
    signed_in,
)
from casework.db import Database, resolve_url
from casework.errors import CaseworkError, Conflict, NotAllowed
from casework.i18n import t
from casework.models.enums import Role
from casework.services import auth, backup, settings, staff
from casework.services.context import Context


def cmd_init(args: argparse.Namespace) -> int:
    """Create the database; with ``--admin``, also its first programme and administrator
    (the desk's first-run screen, without the desk), on a new or still empty database."""
    first = _first_admin(args)
    code = settings.check_municipality(args.municipality) if args.municipality else None
    # A missing file is created; an empty or foreign one is refused, never overwritten.
    check_db_arg(args.db, create=True)
    url = sa.make_url(resolve_url(args.db))
    path = Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None
    exists = path is not None and path.exists() and path.stat().st_size > 0
    if first is not None and exists and args.encrypt:
        raise CaseworkError("init_admin_encrypt_existing")
    if not args.encrypt:
        if exists and first is None:
            raise CaseworkError("database_exists", path=str(path))
        database = open_cli_database(args.db, create=True, passphrase=passphrase_arg(args))
        try:
            if not exists:
                print(t("security.cli.initialised", path=database.describe(), encrypted=""))
            if first is not None:
                _set_up(database, first)
            if code is not None:
                _set_municipality(database, code)
        finally:
            database.dispose()
        return 0
    if path is None:
        raise CaseworkError("not_sqlite")
    if exists and dbmod.is_encrypted_file(path):
        raise Conflict("already_encrypted")
    if exists and code is not None:
        raise CaseworkError("init_municipality_existing")
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
    try:
        backup.created_encrypted(database)
        print(
            t(
                "security.cli.initialised",
                path=database.describe(),
                encrypted=t("security.cli.initialised_encrypted"),
            )
        )
        if first is not None:
            _set_up(database, first)
        if code is not None:
            _set_municipality(database, code)
    finally:
        database.dispose()
    return 0


def _set_municipality(database: Database, code: str) -> None:
    settings.first_municipality(database, code)
    print(t("panelout.cli.municipality_set", code=settings.municipality_label(code.strip())))


@dataclass(frozen=True)
class FirstAdmin:
    username: str
    full_name: str
    programme: str
    code: str
    password: str = field(repr=False)


def _first_admin(args: argparse.Namespace) -> FirstAdmin | None:
    """``--admin`` and its companions, checked before anything is created: the name, a
    password from a file or standard input (never a prompt a script cannot answer), long
    enough by the desk's rule."""
    if not args.admin and not args.password_stdin and args.name is None:
        return None
    if not args.admin or not (args.name or "").strip():
        raise CaseworkError("init_admin_needs")
    username = args.admin.strip().lower()
    password = new_password(
        args.password_file,
        args.password_stdin,
        username,
        both="init_password_both",
        missing="init_password_source",
    )
    auth.check_strength(password)
    return FirstAdmin(
        username=username,
        full_name=args.name.strip(),
        programme=(args.programme or t("ui.first_run.programme_default")).strip(),
        code=args.programme_code.strip(),
        password=password,
    )


def _set_up(database: Database, first: FirstAdmin) -> None:
    """The first programme and administrator (``staff.first_run``, as the desk's first-run
    screen does), and the administrator's own password; refused when workers exist."""
    ctx = Context(database)
    if not staff.is_empty(ctx):
        raise CaseworkError("init_has_workers")
    admin = staff.first_run(
        ctx,
        {"code": first.code, "name": first.programme},
        {"username": first.username, "full_name": first.full_name},
    )
    auth.choose_first_password(ctx, admin.id, first.password)
    print(
        t(
            "importcli.init_admin",
            username=admin.username,
            programme=first.programme,
            code=first.code,
        )
    )


def new_password(
    password_file: str | None,
    from_stdin: bool,
    username: str,
    *,
    both: str,
    missing: str,
) -> str:
    """A password to set, for scripts: from an owner-only file or the first line of
    standard input; else asked twice at the terminal; else refused naming the flags."""
    if password_file and from_stdin:
        raise CaseworkError(both)
    if password_file:
        return read_password_file(Path(password_file).expanduser())
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""
        if not line:
            raise CaseworkError("password_stdin_empty")
        return line
    if not cli.stdin_is_terminal():  # looked up on the package, where tests replace it
        raise CaseworkError(missing, username=username)
    return ask_twice(
        t("security.cli.password_for", username=username),
        t("security.cli.password_repeat"),
    )


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
        new = new_password(
            args.new_password_file,
            args.new_password_stdin,
            target.username,
            both="new_password_both",
            missing="new_password_source",
        )
        auth.set_password(ctx, target.id, new, current_password=current)
        print(t("security.cli.password_done", username=target.username))
    return 0
