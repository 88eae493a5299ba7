"""Command line: ``casework`` opens the desk; subcommands do batch work.

Every user mistake ends in one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import sqlalchemy as sa

from casework import __version__, paths
from casework.db import DatabaseError, busy_error, open_database
from casework.errors import CaseworkError
from casework.i18n import detect_language, set_language, t

DEMO_PEOPLE = 300


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="SQLite file or database URL (default: CASEWORK_DATABASE_URL or the user data dir)",
    )


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
    add_db_option(parser)
    parser.set_defaults(func=cmd_app)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        module.register(sub)
    return parser


def command_modules() -> list[ModuleType]:
    """Every module in this package registers its own subcommands: adding a command group
    is adding a file, never editing this one."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found.append(importlib.import_module(f"{__name__}.{info.name}"))
    return found


def acting_worker(database: Any, username: str | None) -> Any:
    """The worker a batch command acts as: ``--as USER``, else the first administrator."""
    import sqlalchemy as sa

    from casework.errors import NotAllowed
    from casework.models import Worker

    with database.read() as session:
        stmt = sa.select(Worker.id).where(Worker.active.is_(True))
        if username:
            stmt = stmt.where(Worker.username == username)
        else:
            stmt = stmt.where(Worker.role == "admin").order_by(Worker.created_at)
        actor = session.scalars(stmt.limit(1)).first()
    if actor is None:
        raise NotAllowed("import_needs_worker")
    return actor


def demo_db_arg(db: str | None) -> str:
    return db or str(paths.data_dir() / "demo.db")


def cmd_app(args: argparse.Namespace) -> int:
    from casework.app import run_app

    target = args.db
    if args.demo:
        target = demo_db_arg(args.db)
        database = open_database(target)
        from casework.services import demo, workers
        from casework.services.context import Context

        if workers.is_empty(Context(database)):
            print(t("cli.demo_creating", people=DEMO_PEOPLE), file=sys.stderr)
            demo.generate(Context(database), DEMO_PEOPLE)
    else:
        database = open_database(target)
    try:
        return run_app(database, demo=args.demo)
    finally:
        database.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
        print(f"casework: {t('error.database_unavailable')}: {exc.orig}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
