"""``casework demo``: implemented in casework.cli.demo."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import DEMO_PEOPLE, Command, add_db_option, add_signin_options

IMPL = "casework.cli.demo"


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="fill a database with synthetic Migrant Office data")
    demo.add_argument("--people", type=int, default=DEMO_PEOPLE, metavar="N")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument(
        "--replace", action="store_true", help="delete the SQLite file first if it exists"
    )
    add_db_option(demo)
    # Needed only for --replace of a database that has workers (an administrator's act).
    add_signin_options(demo)
    demo.set_defaults(func=Command(IMPL, "cmd_demo"))
