"""Command line: ``casework`` opens the desk; subcommands do batch work.

Every user mistake ends in one clear line on stderr and a non-zero exit, never a traceback.

Parsing the arguments is cheap: the parsers (``casework.cli.parsers``) name each command's
function without importing it, so ``--version``, ``--help`` and a usage error load no
database, services or desk; the command that runs imports what it needs. For the same
reason this module imports the log, the errors and the messages only once the arguments
are parsed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from casework.cli.parsers import (
    DEMO_PEOPLE,
    add_db_option,
    add_passphrase_option,
    build_parser,
    leaf_commands,
)

if TYPE_CHECKING:
    import logging
    from pathlib import Path

__all__ = [
    "DEMO_PEOPLE",
    "add_db_option",
    "add_passphrase_option",
    "ask_twice",
    "build_parser",
    "leaf_commands",
    "main",
    "require_terminal",
    "stdin_is_terminal",
    "terminal_prompt",
]


def stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def require_terminal(code: str = "no_terminal") -> None:
    """A prompt without a terminal would end in EOFError: refuse in one line instead."""
    from casework.errors import CaseworkError

    if not stdin_is_terminal():
        raise CaseworkError(code)


def terminal_prompt(path: Path) -> str | None:
    import getpass

    from casework.i18n import t

    if not stdin_is_terminal():
        return None
    return getpass.getpass(t("security.cli.passphrase"))


def ask_twice(first: str, second: str, *, no_terminal: str = "no_terminal") -> str:
    import getpass

    from casework.errors import CaseworkError

    require_terminal(no_terminal)
    one = getpass.getpass(first)
    if getpass.getpass(second) != one:
        raise CaseworkError("passwords_differ")
    return one


def main(argv: Sequence[str] | None = None) -> int:
    # Belt and braces: whatever a command writes is its owner's only, even a file made
    # by a library that never asks (every casework file sets its mode itself).
    umask = os.umask(0o077)
    try:
        return _main(argv)
    finally:
        os.umask(umask)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from casework import logs
    from casework.errors import CaseworkError
    from casework.i18n import detect_language, set_language, t

    logs.setup()  # the desk and every command: ids and codes only, never a person's data
    try:
        set_language(detect_language(args.lang))
        _ask_passphrases_at_terminal()
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except CaseworkError as exc:
        print(f"casework: {exc.message()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        told = _told(exc, args)
        if told is not None:
            return told
        # Never a traceback for a user; the log keeps it (without its message), and
        # CASEWORK_DEBUG=1 shows it to whoever fixes it.
        _log().error("command %s failed", logs.Code(_command(args)), exc_info=exc)
        if os.environ.get("CASEWORK_DEBUG"):
            raise
        kind = type(exc).__name__
        print(
            f"casework: {t('error.unexpected', kind=kind, reason=_one_line(exc))}", file=sys.stderr
        )
        return 1


def _ask_passphrases_at_terminal() -> None:
    """Every command that opens an encrypted database asks for its key at the terminal
    (every command opens one, so loading the database module here costs nothing)."""
    from casework import db

    db.set_passphrase_prompt(terminal_prompt)


def _told(exc: Exception, args: argparse.Namespace) -> int | None:
    """Exit status 2 for a database or file problem, told in one line; None for any other
    error. The database's error classes are looked at only once their modules are loaded
    (an error cannot be of a class nobody imported), so failing costs no import either."""
    from casework import logs
    from casework.i18n import t

    if "casework.db" in sys.modules:
        from casework.db import DatabaseError

        if isinstance(exc, DatabaseError):
            print(f"casework: {exc}", file=sys.stderr)
            return 2
    if "sqlalchemy" in sys.modules:
        import sqlalchemy as sa

        if isinstance(exc, sa.exc.OperationalError):
            from casework.db import busy_error

            busy = busy_error(exc)
            if busy is not None:
                print(f"casework: {busy.message()}", file=sys.stderr)
                return 2
            reason = _one_line(exc.orig)
            print(f"casework: {t('error.database_unavailable')}: {reason}", file=sys.stderr)
            return 2
        if isinstance(exc, sa.exc.SQLAlchemyError):
            _log().error("command %s: database error", logs.Code(_command(args)), exc_info=exc)
            reason = _one_line(getattr(exc, "orig", None) or exc)
            print(f"casework: {t('error.database_failed', reason=reason)}", file=sys.stderr)
            return 2
    if isinstance(exc, OSError):
        where = exc.filename or "-"
        print(
            f"casework: {t('error.os_error', path=where, reason=exc.strerror or exc)}",
            file=sys.stderr,
        )
        return 2
    return None


def _log() -> logging.Logger:
    import logging

    return logging.getLogger(__name__)


def _command(args: argparse.Namespace) -> str:
    """The command's name for the log (``cmd_report`` -> ``report``)."""
    name: str = getattr(args.func, "__name__", "?")
    return name.removeprefix("cmd_")


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
