"""Command line: ``casework`` opens the desk; subcommands do batch work.

Every user mistake ends in one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import logging
import os
import pkgutil
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import sqlalchemy as sa

from casework import __version__, logs, paths
from casework.db import (
    ENV_URL,
    Database,
    DatabaseError,
    busy_error,
    file_kind,
    open_database,
    read_passphrase_file,
    refuse_while_replaced,
    resolve_url,
)
from casework.errors import CaseworkError
from casework.i18n import detect_language, set_language, t
from casework.private_files import private_dir
from casework.services import staff
from casework.services.context import Context

DEMO_PEOPLE = 300

_log = logging.getLogger(__name__)


def add_db_option(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--db`` on the program (``casework --db X init``) and on each command (``casework
    init --db X``); a command's own default never hides the one given before it."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None if top else argparse.SUPPRESS,
        help="SQLite file or database URL (default: CASEWORK_DATABASE_URL or the user data dir)",
    )


def add_passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="read the database passphrase from FILE (else CASEWORK_PASSPHRASE, else a prompt)",
    )


def passphrase_arg(args: argparse.Namespace) -> str | None:
    path = getattr(args, "passphrase_file", None)
    return read_passphrase_file(path) if path else None


def stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def require_terminal(code: str = "no_terminal") -> None:
    """A prompt without a terminal would end in EOFError: refuse in one line instead."""
    if not stdin_is_terminal():
        raise CaseworkError(code)


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casework",
        description="Case management for a municipal Migrant Office.",
    )
    parser.add_argument("--version", action="version", version=f"casework {__version__}")
    parser.add_argument("--lang", choices=("es", "en"), help="interface language")
    parser.add_argument(
        "--demo",
        action="store_true",
        help=f"open a demo database ({DEMO_PEOPLE} synthetic persons; created if missing)",
    )
    add_db_option(parser, top=True)
    add_passphrase_option(parser)  # the desk on an encrypted file (a laptop's offline desk)
    parser.set_defaults(func=cmd_app)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        module.register(sub)
    for path, leaf in leaf_commands(parser):
        leaf.set_defaults(command_path=" ".join(path))
    return parser


def leaf_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command a user can run (``rights answer``, ``db path``, ...) with its parser:
    the audit trail names the command a sign-in was for, and the tests walk this list so a
    new command cannot escape the sign-in table."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.extend(leaf_commands(child, (*path, name)))
    if not found and path:
        found.append((path, parser))
    return found


def command_modules() -> list[ModuleType]:
    """Every module in this package registers its own subcommands: adding a command group
    is adding a file, never editing this one."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found.append(importlib.import_module(f"{__name__}.{info.name}"))
    return found


def check_db_arg(db: str | None, *, create: bool = False) -> None:
    """Refuse a ``--db`` (or ``CASEWORK_DATABASE_URL``) a command should not open.

    Refused: an address that is no database URL, a SQLite path whose folder does not
    exist, a folder, an empty file, a file that is neither SQLite nor SQLCipher, and a
    plain SQLite file without casework's schema (opening it would change it). A missing
    file is refused unless ``create`` (``casework init``, ``casework demo``, the desk's
    first run on the default path). Nothing is created or written here.
    """
    text = resolve_url(db)
    shown = db or text
    try:
        url = sa.make_url(text)
        dialect = url.get_dialect()
        dialect.import_dbapi()
    except sa.exc.ArgumentError:
        raise CaseworkError("db_url_invalid", url=shown) from None
    except (sa.exc.NoSuchModuleError, ImportError):
        raise CaseworkError("db_url_unknown", url=shown) from None
    if url.get_backend_name() != "sqlite":
        return
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise CaseworkError("db_url_invalid", url=shown)
    path = Path(url.database).expanduser()
    kind = file_kind(path)
    if kind == "folder":
        raise CaseworkError("db_is_folder", path=str(path))
    if create and path.parent.resolve() == paths.data_dir().resolve():
        private_dir(path.parent, own=True)  # casework's own folder, first run
    if not path.parent.is_dir():
        raise CaseworkError("db_folder_missing", folder=str(path.parent))
    if kind == "missing":
        if not create:
            raise CaseworkError("db_missing", path=str(path))
    elif kind == "empty":
        raise CaseworkError("db_empty", path=str(path))
    elif kind == "foreign":
        raise CaseworkError("db_foreign", path=str(path))
    elif kind == "sqlite" and not _has_casework_schema(path):
        raise CaseworkError("db_not_casework", path=str(path))


def _has_casework_schema(path: Path) -> bool:
    """A plain SQLite file with casework's ``alembic_version`` table, read without
    changing it (read-only; a file that cannot be read counts as not casework)."""
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return row is not None


def open_cli_database(
    db: str | None,
    *,
    create: bool = False,
    upgrade: bool = True,
    passphrase: str | None = None,
) -> Database:
    """The database a command works on: ``--db`` checked (:func:`check_db_arg`), opened,
    refused if it holds no casework schema (unless ``create``), then migrated."""
    check_db_arg(db, create=create)
    database = open_database(db, passphrase=passphrase, upgrade=False)
    try:
        if not create and database.current_revision() is None:
            raise CaseworkError("db_not_casework", path=database.describe())
        if upgrade:
            database.upgrade()
    except BaseException:
        database.dispose()
        raise
    return database


def default_location(db: str | None) -> bool:
    """No ``--db`` and no ``CASEWORK_DATABASE_URL``: the desk's own file in the data dir."""
    return not db and not os.environ.get(ENV_URL)


def demo_db_arg(db: str | None) -> str:
    return db or str(paths.data_dir() / "demo.db")


def cmd_app(args: argparse.Namespace) -> int:
    # The desk (Textual) and the demo generator load only when the desk is opened.
    from casework.app import run_app

    require_terminal("no_terminal_desk")
    target = args.db
    if args.demo:
        target = demo_db_arg(args.db)
        database = open_cli_database(target, create=True)
        from casework.synthetic import demo

        if staff.is_empty(Context(database)):
            print(t("cli.demo_creating", people=DEMO_PEOPLE), file=sys.stderr)
            demo.generate(Context(database), DEMO_PEOPLE)
    else:
        path = Path(target).expanduser() if target and "://" not in target else None
        if path is not None and path.exists():
            refuse_while_replaced(path)
        # The desk's first run creates the office's file on the default path only.
        database = open_cli_database(
            target, create=default_location(target), passphrase=passphrase_arg(args)
        )
    try:
        return run_app(database, demo=args.demo)
    finally:
        database.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    # Belt and braces: whatever a command writes is its owner's only, even a file made
    # by a library that never asks (every casework file sets its mode itself).
    umask = os.umask(0o077)
    try:
        return _main(argv)
    finally:
        os.umask(umask)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.setup()  # the desk and every command: ids and codes only, never a person's data
    try:
        set_language(detect_language(args.lang))
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except CaseworkError as exc:
        print(f"casework: {exc.message()}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"casework: {exc}", file=sys.stderr)
        return 2
    except sa.exc.OperationalError as exc:
        busy = busy_error(exc)
        if busy is not None:
            print(f"casework: {busy.message()}", file=sys.stderr)
            return 2
        print(
            f"casework: {t('error.database_unavailable')}: {_one_line(exc.orig)}", file=sys.stderr
        )
        return 2
    except sa.exc.SQLAlchemyError as exc:
        _log.error("command %s: database error", logs.Code(_command(args)), exc_info=exc)
        reason = _one_line(getattr(exc, "orig", None) or exc)
        print(f"casework: {t('error.database_failed', reason=reason)}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = exc.filename or "-"
        print(
            f"casework: {t('error.os_error', path=where, reason=exc.strerror or exc)}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Never a traceback for a user; the log keeps it (without its message), and
        # CASEWORK_DEBUG=1 shows it to whoever fixes it.
        _log.error("command %s failed", logs.Code(_command(args)), exc_info=exc)
        if os.environ.get("CASEWORK_DEBUG"):
            raise
        kind = type(exc).__name__
        print(
            f"casework: {t('error.unexpected', kind=kind, reason=_one_line(exc))}", file=sys.stderr
        )
        return 1


def _command(args: argparse.Namespace) -> str:
    """The command's name for the log (``cmd_report`` -> ``report``)."""
    name: str = getattr(args.func, "__name__", "?")
    return name.removeprefix("cmd_")


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
