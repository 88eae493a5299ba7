"""``casework`` with no command: the desk (Textual), on the office's database or a demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from casework import cli
from casework.cli.opening import default_location, demo_db_arg, open_cli_database, passphrase_arg
from casework.cli.parsers import DEMO_PEOPLE
from casework.db import refuse_while_replaced
from casework.i18n import t
from casework.services import staff
from casework.services.context import Context


def cmd_app(args: argparse.Namespace) -> int:
    from casework.app import run_app  # looked up when called, where tests replace it

    cli.require_terminal("no_terminal_desk")  # on the package, where tests replace it
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
