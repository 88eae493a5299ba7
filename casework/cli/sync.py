"""`casework sync`: an offline desk sends its work to the office server, then takes a fresh
copy of it (issue #17).

``casework sync --db DESK [--server URL]`` signs a worker in on the server, sends the
desk's waiting commands (services/sync_push.py), then replaces the desk file by a fresh copy
of the server with the unsent commands carried over (services/sync_pull.py). An existing
desk syncs with the server it was copied from (the one it keeps, without any password):
``--server`` is needed only when that server asks for a password, and a ``--server`` naming
another server is refused (a desk of one office never pushes into another's). On a desk
file that does not exist yet it only makes the first copy, from ``--server`` -- a
supervisor's or an administrator's (a full copy of every person), audited on the server;
``--encrypt`` makes it an SQLCipher file (the passphrase from ``--passphrase-file``,
``CASEWORK_PASSPHRASE`` or asked twice).

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

import sqlalchemy as sa

from casework.cli import ask_twice
from casework.cli.imports import WIDTH, ProgressBar, duration_text
from casework.cli.opening import (
    check_db_arg,
    open_cli_database,
    passphrase_arg,
)
from casework.cli.signin import check_credentials, signed_in
from casework.db import (
    ENV_PASSPHRASE,
    Database,
    ask_passphrase,
    file_kind,
    not_open_elsewhere,
    open_database,
    resolve_url,
)
from casework.errors import CaseworkError, NotAllowed
from casework.i18n import fmt_count, t, tn
from casework.services import outbox, sync_conflicts, sync_pull, sync_push
from casework.services.import_types import Progress

EXIT_CUT = 1


def cmd_sync(args: argparse.Namespace) -> int:
    if args.what == "status":
        return cmd_status(args)
    desk = _desk_path(args)
    # The worker signs in on the server: it is the office's authority, and a desk that
    # does not exist yet has no one to sign in against. Credentials are checked before
    # anything is opened (the desk's own server once the desk has said which it is).
    if args.server:
        check_credentials(_on(args, args.server))
    kind = file_kind(desk)
    passphrase = _desk_passphrase(args, desk, kind)
    # A plain desk asked to --encrypt is opened plain for the push; the pull's new copy is
    # the one made under the passphrase.
    current = passphrase if kind == "encrypted" else None
    server_url = _server_url(args, desk, kind, current)
    on_server = _on(args, server_url)
    check_db_arg(server_url)
    if not args.server:
        check_credentials(on_server)
    server = open_cli_database(server_url)
    try:
        ctx = signed_in(on_server, server)
        if kind == "missing":
            return _first_copy(ctx, desk, passphrase, args.name)
        return _sync(server, desk, passphrase, current)
    finally:
        server.dispose()


def _on(args: argparse.Namespace, server_url: str) -> argparse.Namespace:
    """The command's arguments as the sign-in reads them: its database is the server."""
    return argparse.Namespace(**{**vars(args), "db": server_url})


def _server_url(args: argparse.Namespace, desk: Path, kind: str, current: str | None) -> str:
    """The server this sync talks to: ``--server`` for a first copy; for an existing desk
    the one it keeps, which ``--server`` may only repeat (with its password)."""
    if kind == "missing":
        if not args.server:
            raise CaseworkError("sync_server_needed")
        return str(args.server)
    kept = _kept_server(desk, current)
    if args.server:
        given = outbox.server_text(resolve_url(args.server))
        if _server_key(given) != _server_key(kept):
            raise CaseworkError("sync_other_server", path=str(desk), kept=kept, given=given)
        return str(args.server)
    url = sa.make_url(kept)
    if url.password is not None:  # kept as "***": the desk never stores it
        raise CaseworkError("sync_server_password", server=kept)
    return kept


def _kept_server(desk: Path, current: str | None) -> str:
    """The server the desk file was copied from, as it keeps it (no password)."""
    database = open_cli_database(str(desk), passphrase=current, upgrade=False)
    try:
        status = outbox.desk_status(database)
    finally:
        database.dispose()
    if status is None:
        raise CaseworkError("sync_file_not_desk", path=str(desk))
    return status.server


def _server_key(text: str) -> tuple[object, ...]:
    """What makes two server URLs the same server: the kind of database, the user, the
    host and port (PostgreSQL's default port when none is written), the database (a SQLite
    file by its full path); not the password, the driver or the options."""
    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError:
        return (text,)
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            database = str(Path(database).expanduser().resolve())
        return (backend, database)
    port = url.port
    if port is None and backend == "postgresql":
        port = 5432
    return (backend, url.username, (url.host or "").lower(), port, url.database)


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
    except NotAllowed as refused:
        if refused.code == "role_required":  # said for this command, not as a role list
            raise NotAllowed("sync_copy_supervisors") from None
        raise
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
        sync_conflicts.release_stranded(server)  # a release an earlier cut left half-done
        bar = _bar(sys.stderr, t("syncdesk.cli.pushing"), unit="syncdesk.progress.changes")
        try:
            pushed = sync_push.push(desk_db, server, progress=bar.rows)
        except sync_push.PushInterrupted as cut:
            bar.clear()
            print_push(cut.summary, sys.stdout)
            print(
                t(
                    "syncdesk.cli.cut",
                    sent=fmt_count(cut.summary.sent),
                    reason=cut_reason(cut.cause),
                ),
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


def cut_reason(cause: BaseException) -> str:
    """Why the push stopped, in one short line: the driver's first line, never the SQL
    statement or its parameters (they hold a person's data)."""
    if isinstance(cause, CaseworkError):
        return cause.message()
    inner = getattr(cause, "orig", None) or cause
    lines = str(inner).strip().splitlines()
    first = " ".join(lines[0].split()) if lines else type(inner).__name__
    return first[:160]


class _bar(ProgressBar):
    """The import's progress bar, fed ``(done, total)`` as the sync services report it, in
    the sync's own unit: the push counts changes, the copy counts rows."""

    def __init__(
        self, stream: TextIO, heading: str, *, unit: str = "syncdesk.progress.rows"
    ) -> None:
        super().__init__(stream)
        self.heading: str | None = heading
        """Said once the work has started (a refused sign-in or role says only why)."""
        self.unit = unit
        """The i18n keys' prefix: ``<unit>.bar``, ``<unit>.open``, ``<unit>.line``."""

    def rows(self, done: int, total: int) -> None:
        if self.heading is not None:
            print(self.heading, file=self.stream)
            self.heading = None
        if self.tty:
            self(Progress(done=done, total=total))
            return
        if not total:
            return
        tenth = min(10, done * 10 // total)
        if tenth > self.last_tenth:
            self.last_tenth = tenth
            line = t(f"{self.unit}.line", percent=tenth * 10, done=done, total=total)
            self.stream.write(line + "\n")
            self.stream.flush()

    def line(self, done: int, total: int | None, now: float) -> str:
        elapsed = max(now - self.started, 1e-6)
        rate = fmt_count(round(done / elapsed))
        if not total:
            return t(f"{self.unit}.open", done=fmt_count(done), rate=rate)
        share = min(1.0, done / total)
        filled = round(share * 20)
        left = (total - done) / (done / elapsed) if done else 0.0
        text = t(
            f"{self.unit}.bar",
            bar="[" + "#" * filled + "-" * (20 - filled) + "]",
            done=fmt_count(done),
            total=fmt_count(total),
            rate=rate,
            eta=duration_text(left),
        )
        return text[: WIDTH - 1]


# What the user reads -----------------------------------------------------------------------


def print_push(summary: sync_push.PushSummary, out: TextIO) -> None:
    print(tn("syncdesk.cli.sent", summary.sent), file=out)
    print(tn("syncdesk.cli.applied", summary.applied), file=out)
    print(tn("syncdesk.cli.already", summary.already), file=out)
    print(tn("syncdesk.cli.duplicates", summary.duplicates), file=out)
    held = held_text(summary.waiting)
    print(tn("syncdesk.cli.conflicts", summary.conflicts) + held, file=out)
    if summary.decided:
        print(tn("syncdesk.cli.decided", summary.decided), file=out)
    if summary.conflicts or summary.waiting:
        print(t("syncdesk.cli.conflicts_hint"), file=out)


def held_text(held: int) -> str:
    """ " (2 en espera)": the desk's commands waiting behind its conflicts, said the same
    way after the conflicts in the summary, ``sync status`` and the desk's header."""
    return " " + tn("syncdesk.held", held) if held else ""


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
    held = held_text(status.held)
    print(tn("syncdesk.status.conflicts", status.conflicts) + held, file=out)
    return 0


def _when(value: Any) -> str:
    if value is None:
        return t("syncdesk.status.never")
    return str(value.astimezone().strftime("%Y-%m-%d %H:%M"))
