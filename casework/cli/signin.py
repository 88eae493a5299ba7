"""Who is acting: every command that reads or writes personal data, or acts in someone's
name, signs a worker in, exactly as the desk does (``auth.authenticate``: argon2, the
lock-out counter, the audit trail), and acts as that worker. ``--user`` only names who
signs in; it proves nothing.

The password comes from, in order:

1. ``--password-file FILE``: the first line of a file owned by the user running casework
   and readable by nobody else (``chmod 600``), for scripts;
2. a sign-in token: ``casework signin --user USER`` asks the password once and leaves a
   random token (valid 8 hours by default) in an owner-only file under the user's state
   folder; the database keeps only its SHA-256, its worker and expiry, and
   ``casework signout`` (or a new password) revokes it;
3. the terminal: username (unless given) and password are asked with the input hidden.

No terminal and none of these: one line saying so, exit 2, and nothing was read or written.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from casework import cli, paths
from casework.cli.opening import (
    check_db_arg,
    open_cli_database,
    passphrase_arg,
)
from casework.cli.parsers import ENV_USER
from casework.db import Database, resolve_url
from casework.errors import CaseworkError, NotAllowed
from casework.i18n import t
from casework.models.enums import Role
from casework.services import auth, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut


def _terminal() -> bool:
    return cli.stdin_is_terminal()  # looked up on the package, where tests replace it


def _username(args: argparse.Namespace) -> str | None:
    name = getattr(args, "user", None) or os.environ.get(ENV_USER)
    return name.strip().lower() if name and name.strip() else None


# Private files -----------------------------------------------------------------------------


def _check_private(path: Path, code: str) -> None:
    """A credential file must be a regular file of the user running casework that nobody
    else can read or change; otherwise it is refused before it is read."""
    try:
        info = path.stat()
    except OSError:
        raise CaseworkError("password_file_missing", path=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise CaseworkError("password_file_missing", path=str(path))
    if not hasattr(os, "getuid"):
        return  # no POSIX owner and mode bits to check (Windows: the folder's ACL decides)
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise CaseworkError(code, path=str(path), mode=f"{stat.S_IMODE(info.st_mode):04o}")


def read_password_file(path: Path) -> str:
    _check_private(path, "password_file_open")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        raise CaseworkError("password_file_missing", path=str(path)) from None
    if not lines or not lines[0]:
        raise CaseworkError("password_file_empty", path=str(path))
    return lines[0]


def database_key(db: str | None) -> str:
    """Which database a token belongs to, as a file-name-safe digest of its address (the
    absolute path of a SQLite file; a server URL without its password)."""
    url = sa.make_url(resolve_url(db))
    if url.get_backend_name() == "sqlite" and url.database:
        where = str(Path(url.database).expanduser().resolve())
    else:
        where = url.render_as_string(hide_password=True)
    return hashlib.sha256(where.encode("utf-8")).hexdigest()[:16]


def token_folder() -> Path:
    return paths.state_dir() / "signin"


def token_path(db: str | None, username: str) -> Path:
    user = hashlib.sha256(username.encode("utf-8")).hexdigest()[:12]
    return token_folder() / f"{database_key(db)}-{user}.token"


def _find_token(db: str | None, username: str | None) -> Path | None:
    if username is not None:
        path = token_path(db, username)
        return path if path.exists() else None
    found = sorted(token_folder().glob(f"{database_key(db)}-*.token"))
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class SavedToken:
    username: str
    token: str
    expires_at: str


def _read_token(path: Path) -> SavedToken:
    _check_private(path, "token_file_open")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SavedToken(str(data["username"]), str(data["token"]), str(data["expires_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        raise CaseworkError("token_file_damaged", path=str(path)) from None


def _write_token(path: Path, saved: SavedToken, database: str) -> None:
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if hasattr(os, "getuid") and folder.stat().st_uid != os.getuid():
        raise CaseworkError("token_file_open", path=str(folder), mode="----")
    folder.chmod(0o700)
    body = {
        "username": saved.username,
        "database": database,
        "expires_at": saved.expires_at,
        "token": saved.token,
    }
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps(body, indent=2).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@contextmanager
def opened(args: argparse.Namespace, *, upgrade: bool = True) -> Iterator[Database]:
    """The command's database (``--db``, its passphrase from ``--passphrase-file``, the
    environment or the prompt), closed when the command is done with it. A command that
    signs a worker in is refused here, before anything is opened, when no credentials can
    be had (:func:`check_credentials`)."""
    if getattr(args, "needs_signin", False):
        check_db_arg(args.db)
        check_credentials(args)
    database = open_cli_database(args.db, passphrase=passphrase_arg(args), upgrade=upgrade)
    try:
        yield database
    finally:
        database.dispose()


# Signing in --------------------------------------------------------------------------------


def check_credentials(args: argparse.Namespace) -> None:
    """Before anything is opened: refuse in one line when no credentials can be had (no
    password file, no token, no terminal), and refuse a password file others can read."""
    password_file = getattr(args, "password_file", None)
    if password_file:
        _check_private(Path(password_file).expanduser(), "password_file_open")
        if _username(args) is None and not _terminal():
            raise CaseworkError("signin_user_needed")
        return
    found = _find_token(args.db, _username(args)) if getattr(args, "tokens", True) else None
    if found is not None:
        _check_private(found, "token_file_open")
        return
    if not _terminal():
        raise CaseworkError("signin_needed")


def signed_in(
    args: argparse.Namespace,
    db: Database,
    *,
    roles: tuple[Role, ...] = (),
    allow_temporary: bool = False,
) -> Context:
    """The Context of the worker who signs in for this command (see the module docstring);
    ``NotAllowed`` if the credentials fail (a wrong password is counted towards the
    lock-out), the password is temporary, or the worker has none of ``roles``."""
    return sign_in(args, db, roles=roles, allow_temporary=allow_temporary)[0]


def sign_in(
    args: argparse.Namespace,
    db: Database,
    *,
    roles: tuple[Role, ...] = (),
    allow_temporary: bool = False,
    tokens: bool = True,
) -> tuple[Context, str | None]:
    """:func:`signed_in`, also returning the password when one was given (not a token)."""
    check_credentials(args)
    ctx = Context(db)
    command = getattr(args, "command_path", None)
    username = _username(args)
    password: str | None = None
    password_file = getattr(args, "password_file", None)
    saved = None
    if not password_file and tokens:
        found = _find_token(args.db, username)
        saved = _read_token(found) if found is not None else None
    worker: WorkerOut
    if saved is not None:
        worker = auth.token_sign_in(ctx, saved.token, username=username, command=command)
    else:
        if password_file:
            password = read_password_file(Path(password_file).expanduser())
        if username is None:
            username = input(t("signin.username")).strip().lower()
        if password is None:
            password = getpass.getpass(t("signin.password", username=username))
        worker = auth.authenticate(ctx, username, password, command=command)
    if worker.password_temporary and not allow_temporary:
        raise NotAllowed("signin_temporary", username=worker.username)
    if roles and worker.role not in {r.value for r in roles}:
        raise NotAllowed("role_required", role=" / ".join(r.value for r in roles))
    return Context(db, worker.id), password


# `casework signin` and `casework signout` -------------------------------------------------


def cmd_signin(args: argparse.Namespace) -> int:
    with opened(args) as database:
        ctx, _ = sign_in(args, database, tokens=False)
        token, expires = auth.issue_token(ctx, args.hours)
        assert ctx.actor_id is not None
        worker = staff.get_worker(ctx, ctx.actor_id)
        path = token_path(args.db, worker.username)
        saved = SavedToken(worker.username, token, expires.isoformat())
        _write_token(path, saved, database.describe())
    until = expires.astimezone().strftime("%Y-%m-%d %H:%M")
    print(t("signin.done", username=worker.username, until=until, path=path))
    return 0


def cmd_signout(args: argparse.Namespace) -> int:
    check_db_arg(args.db)
    found = _find_token(args.db, _username(args))
    if found is None:
        raise CaseworkError("signout_none")
    saved = _read_token(found)
    with opened(args) as database:
        auth.revoke_token(Context(database), saved.token)
    found.unlink(missing_ok=True)
    print(t("signin.signed_out", username=saved.username))
    return 0
