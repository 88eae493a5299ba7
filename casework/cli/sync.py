"""`casework sync`: an offline desk sends its work to the office server, then takes a fresh
copy of it (issue #17).

``casework sync --db DESK --server URL`` signs a worker in on the server, sends the desk's
waiting commands (services/sync_push.py), then replaces the desk file by a fresh copy of
the server with the unsent commands carried over (services/sync_pull.py). On a desk file
that does not exist yet it only makes the first copy -- a supervisor's or an
administrator's (a full copy of every person), audited on the server; ``--encrypt`` makes
it an SQLCipher file (the passphrase from ``--passphrase-file``, ``CASEWORK_PASSPHRASE`` or
asked twice).

``casework sync status --db DESK`` shows the desk's name, its server, the last copy and
the last push, the commands waiting by kind and the open conflicts (counts only: no one
signs in).

Exit status: 0 done; 1 the push was cut off (what got through is kept: run the same
command again to resume, nothing is applied twice); 2 a mistake in the command, a refused
sign-in or a database that cannot be opened; 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from casework.cli import (
    add_db_option,
    add_passphrase_option,
    ask_twice,
    check_db_arg,
    open_cli_database,
    passphrase_arg,
)
from casework.cli.imports import ProgressBar
from casework.cli.signin import add_signin_options, check_credentials, signed_in
from casework.db import (
    ENV_PASSPHRASE,
    Database,
    ask_passphrase,
    file_kind,
    not_open_elsewhere,
    open_database,
)
from casework.errors import CaseworkError
from casework.i18n import fmt_count, t, tn
from casework.services import outbox, sync_conflicts, sync_pull, sync_push
from casework.services.import_types import Progress

EXIT_CUT = 1
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
    parser.add_argument("--server", metavar="URL", help="the office server (a database URL)")
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
    parser.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    if args.what == "status":
        return cmd_status(args)
    desk = _desk_path(args)
    if not args.server:
        raise CaseworkError("sync_server_needed")
    # The worker signs in on the server: it is the office's authority, and a desk that
    # does not exist yet has no one to sign in against.
    on_server = argparse.Namespace(**{**vars(args), "db": args.server})
    check_db_arg(args.server)
    check_credentials(on_server)
    kind = file_kind(desk)
    passphrase = _desk_passphrase(args, desk, kind)
    server = open_cli_database(args.server)
    try:
        ctx = signed_in(on_server, server)
        if kind == "missing":
            return _first_copy(ctx, desk, passphrase, args.name)
        # A plain desk asked to --encrypt is opened plain for the push; the pull's new
        # copy is the one made under the passphrase.
        current = passphrase if kind == "encrypted" else None
        return _sync(server, desk, passphrase, current)
    finally:
        server.dispose()


def _desk_path(args: argparse.Namespace) -> Path:
    db = getattr(args, "db", None)
    if not db:
        raise CaseworkError("sync_desk_needed")
    if "://" in db:
        raise CaseworkError("sync_desk_not_file", url=db)
    path = Path(db).expanduser()
    if not path.parent.is_dir():
        raise CaseworkError("db_folder_missing", folder=str(path.parent))
    return path


def _desk_passphrase(args: argparse.Namespace, desk: Path, kind: str) -> str | None:
    """The desk's passphrase: an encrypted desk's own (``--passphrase-file``, the
    environment, the prompt); with ``--encrypt``, the one it is made under (a new one is
    asked twice at a terminal)."""
    given = passphrase_arg(args)
    if kind == "encrypted":
        return given or ask_passphrase(desk)
    if not args.encrypt:
        return None
    if given:
        return given
    env = os.environ.get(ENV_PASSPHRASE)
    if env:
        return env
    return ask_twice(
        t("syncdesk.cli.passphrase_new"),
        t("syncdesk.cli.passphrase_again"),
        no_terminal="sync_passphrase_needed",
    )


def _first_copy(ctx: Any, desk: Path, passphrase: str | None, name: str | None) -> int:
    bar = _bar(sys.stderr, t("syncdesk.cli.first_copy", path=desk))
    try:
        summary = sync_pull.copy_office(
            ctx, desk, passphrase=passphrase, name=name, progress=bar.rows
        )
    finally:
        bar.clear()
    print_pull(summary, sys.stdout)
    return 0


def _sync(server: Database, desk: Path, passphrase: str | None, current: str | None) -> int:
    with not_open_elsewhere(desk):
        return _push_then_pull(server, desk, passphrase, current)


def _push_then_pull(
    server: Database, desk: Path, passphrase: str | None, current: str | None
) -> int:
    started = time.perf_counter()
    desk_db = open_database(str(desk), passphrase=current)
    try:
        if not outbox.is_desk(desk_db):
            raise CaseworkError("sync_file_not_desk", path=str(desk))
        bar = _bar(sys.stderr, t("syncdesk.cli.pushing"))
        try:
            pushed = sync_push.push(desk_db, server, progress=bar.rows)
        except sync_push.PushInterrupted as cut:
            bar.clear()
            print_push(cut.summary, sys.stdout)
            print(
                t("syncdesk.cli.cut", sent=fmt_count(cut.summary.sent), reason=cut.cause),
                file=sys.stderr,
            )
            print(t("syncdesk.cli.resume"), file=sys.stderr)
            return EXIT_CUT
        finally:
            bar.clear()
    finally:
        desk_db.dispose()
    print_push(pushed, sys.stdout)
    bar = _bar(sys.stderr, t("syncdesk.cli.pulling"))
    try:
        pulled = sync_pull.pull(desk, server, passphrase=passphrase, progress=bar.rows)
    finally:
        bar.clear()
    pulled.seconds = time.perf_counter() - started
    print_pull(pulled, sys.stdout)
    return 0


class _bar(ProgressBar):
    """The import's progress bar, fed ``(done, total)`` as the sync services report it."""

    def __init__(self, stream: TextIO, heading: str) -> None:
        super().__init__(stream)
        self.heading: str | None = heading
        """Said once the work has started (a refused sign-in or role says only why)."""

    def rows(self, done: int, total: int) -> None:
        if self.heading is not None:
            print(self.heading, file=self.stream)
            self.heading = None
        self(Progress(done=done, total=total))


# What the user reads -----------------------------------------------------------------------


def print_push(summary: sync_push.PushSummary, out: TextIO) -> None:
    print(tn("syncdesk.cli.sent", summary.sent), file=out)
    print(tn("syncdesk.cli.applied", summary.applied), file=out)
    print(tn("syncdesk.cli.already", summary.already), file=out)
    print(tn("syncdesk.cli.duplicates", summary.duplicates), file=out)
    print(
        tn("syncdesk.cli.conflicts", summary.conflicts, waiting=fmt_count(summary.waiting)),
        file=out,
    )
    if summary.conflicts or summary.waiting:
        print(t("syncdesk.cli.conflicts_hint"), file=out)


def print_pull(summary: sync_pull.PullSummary, out: TextIO) -> None:
    print(tn("syncdesk.cli.copied", summary.rows, persons=fmt_count(summary.persons)), file=out)
    if summary.carried:
        print(tn("syncdesk.cli.carried", summary.carried), file=out)
    if summary.encrypted:
        print(t("syncdesk.cli.encrypted"), file=out)
    print(t("syncdesk.cli.time", seconds=f"{summary.seconds:.1f}"), file=out)


def cmd_status(args: argparse.Namespace) -> int:
    desk = _desk_path(args)
    database = open_cli_database(str(desk), passphrase=passphrase_arg(args), upgrade=False)
    try:
        status = outbox.desk_status(database)
        if status is None:
            raise CaseworkError("sync_file_not_desk", path=str(desk))
    finally:
        database.dispose()
    out = sys.stdout
    print(t("syncdesk.status.name", name=status.name), file=out)
    print(t("syncdesk.status.server", server=status.server), file=out)
    print(t("syncdesk.status.copied", when=_when(status.copied_at)), file=out)
    print(t("syncdesk.status.pushed", when=_when(status.pushed_at)), file=out)
    print(tn("syncdesk.status.waiting", status.waiting), file=out)
    for command, count in sorted(status.waiting_by_command.items()):
        print(f"  {sync_conflicts.what(command)}: {fmt_count(count)}", file=out)
    print(tn("syncdesk.status.conflicts", status.conflicts), file=out)
    return 0


def _when(value: Any) -> str:
    if value is None:
        return t("syncdesk.status.never")
    return str(value.astimezone().strftime("%Y-%m-%d %H:%M"))
