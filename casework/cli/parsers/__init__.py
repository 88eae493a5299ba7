"""The argument parsers of every command, built without importing any command.

Each module here describes one group of commands (the module of the same name one level up
implements them) and names each command's function as a :class:`Command`, imported only
when that command runs: ``--version``, ``--help``, a command's ``--help`` and a usage error
load neither SQLAlchemy nor the services (tests/test_cli_imports.py). Adding a command group
is adding a module here (named in :data:`GROUPS`) and its implementation. These modules
import nothing heavier than the standard library and ``casework.i18n`` (an import-linter
contract in pyproject.toml).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from casework import __version__

GROUPS = (
    "audit",
    "backup",
    "catalogue",
    "db",
    "dedupe",
    "demo",
    "imports",
    "init",
    "panel",
    "panel_side",
    "report",
    "retention",
    "rights",
    "settings",
    "signin",
    "sync",
    "workers",
)
"""The modules of this package, in the order ``casework --help`` lists their commands (a
test checks that every module is named here)."""
DEMO_PEOPLE = 300
ENV_USER = "CASEWORK_USER"
"""The worker who signs in when no ``--user`` is given (a script's own account)."""


class Command:
    """A command's function named by its module, imported when the command runs."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.__name__ = name  # what the log calls the command (``cmd_report`` -> ``report``)

    def load(self) -> Callable[[argparse.Namespace], int]:
        func: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(self.module), self.__name__
        )
        return func

    def __call__(self, args: argparse.Namespace) -> int:
        return self.load()(args)

    def __repr__(self) -> str:
        return f"Command({self.module}:{self.__name__})"


class LaterHelp(str):
    """A help text made only when help is shown: ``make`` may read the message catalogue,
    which no other command should pay for when the parser is built."""

    make: Callable[[], str]

    def __new__(cls, make: Callable[[], str]) -> LaterHelp:
        # The placeholder only tells argparse there is help; ``%`` (how argparse fills
        # in a help text) returns the real one.
        text = super().__new__(cls, "…")
        text.make = make
        return text

    def __mod__(self, params: object) -> str:
        return self.make() % params


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


def add_signin_options(parser: argparse.ArgumentParser) -> None:
    """``--user`` (alias ``--as``) and ``--password-file``, and the mark that makes
    ``casework.cli.signin.opened`` check for credentials before opening anything."""
    parser.add_argument(
        "--user",
        "--as",
        dest="user",
        metavar="USER",
        help=f"who signs in (default: {ENV_USER}, or the one signed in with `casework signin`)",
    )
    parser.add_argument(
        "--password-file",
        metavar="FILE",
        help="the password in a file only you can read (chmod 600), for scripts",
    )
    parser.set_defaults(needs_signin=True)


def add_new_password_options(parser: argparse.ArgumentParser) -> None:
    """Where a script gives the password being set (``--password-file`` is the password
    of whoever signs in)."""
    parser.add_argument(
        "--new-password-file",
        metavar="FILE",
        help="the new password in a file only you can read (chmod 600), for scripts",
    )
    parser.add_argument(
        "--new-password-stdin",
        action="store_true",
        help="read the new password from the first line of standard input",
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
    add_db_option(parser, top=True)
    add_passphrase_option(parser)  # the desk on an encrypted file (a laptop's offline desk)
    parser.set_defaults(func=Command("casework.cli.desk", "cmd_app"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        importlib.import_module(f"{__name__}.{group}").register(sub)
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
