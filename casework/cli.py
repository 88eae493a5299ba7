"""Command line: ``casework`` opens the desk; subcommands do batch work.

Every user mistake ends in one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from casework import __version__, paths
from casework.db import Database, DatabaseError, open_database, resolve_url
from casework.errors import CaseworkError
from casework.i18n import detect_language, set_language, t

DEMO_PEOPLE = 300


def _add_db(parser: argparse.ArgumentParser) -> None:
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
    _add_db(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="fill a database with synthetic Migrant Office data")
    demo.add_argument("--people", type=int, default=DEMO_PEOPLE, metavar="N")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument(
        "--replace", action="store_true", help="delete the SQLite file first if it exists"
    )
    _add_db(demo)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply schema migrations (backs up first)")
    _add_db(upgrade)
    where = db_sub.add_parser("path", help="print where the database and backups are")
    _add_db(where)
    return parser


def _demo_db_arg(db: str | None) -> str:
    return db or str(paths.data_dir() / "demo.db")


def cmd_demo(args: argparse.Namespace) -> int:
    from casework.services import demo
    from casework.services.context import Context

    if args.people < 1:
        raise CaseworkError("people_positive")
    target = _demo_db_arg(args.db)
    database = Database(resolve_url(target))
    path = database.file_path
    database.dispose()
    if args.replace and path is not None:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    database = open_database(target)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    report = demo.generate(Context(database), args.people, seed=args.seed, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        t(
            "cli.demo_done",
            people=f"{report.people:,}",
            duplicates=f"{report.duplicates:,}",
            seconds=f"{report.seconds:.1f}",
            db=database.describe(),
        )
    )
    database.dispose()
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    database = open_database(args.db, upgrade=False)
    if args.db_command == "path":
        print(database.describe())
        if database.file_path is not None:
            print(paths.backup_dir(database.file_path))
        return 0
    report = database.upgrade()
    if report.before == report.after:
        print(t("cli.db_current", revision=report.after))
    else:
        print(t("cli.db_upgraded", before=report.before or "-", after=report.after))
        if report.backup is not None:
            print(t("cli.db_backup", path=report.backup))
    database.dispose()
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    from casework.app import run_app

    target = args.db
    if args.demo:
        target = _demo_db_arg(args.db)
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


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_app,
    "demo": cmd_demo,
    "db": cmd_db,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        set_language(detect_language(args.lang))
        return COMMANDS[args.command](args)
    except CaseworkError as exc:
        print(f"casework: {exc.message()}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"casework: {exc}", file=sys.stderr)
        return 2
    except sa.exc.OperationalError as exc:
        print(f"casework: {t('error.database_unavailable')}: {exc.orig}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
