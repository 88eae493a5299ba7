"""``casework sync``: implemented in casework.cli.sync."""

from __future__ import annotations

from typing import Any

from casework.cli.parsers import Command, add_db_option, add_passphrase_option, add_signin_options

IMPL = "casework.cli.sync"

EXIT_HELP = (
    "exit status: 0 done; 1 the push was cut off (run the same command again to resume: "
    "nothing is applied twice); 2 a mistake in the command, a refused sign-in or a database "
    "that cannot be opened; 130 Ctrl+C"
)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "sync",
        help="an offline desk: send its work to the office server, then take a fresh copy",
        epilog=EXIT_HELP,
    )
    parser.add_argument(
        "what",
        nargs="?",
        choices=("status",),
        metavar="status",
        help="only show what the desk has waiting (no sign-in, nothing sent)",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        help="the office server (a database URL); an existing desk uses the one it keeps",
    )
    parser.add_argument(
        "--encrypt",
        action="store_true",
        help="the desk file becomes (or is made) SQLCipher under the passphrase",
    )
    parser.add_argument(
        "--name", metavar="NAME", help="the new desk's name (default: this computer's name)"
    )
    add_db_option(parser)
    add_passphrase_option(parser)
    add_signin_options(parser)
    parser.set_defaults(func=Command(IMPL, "cmd_sync"))
