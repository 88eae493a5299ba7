"""Offline desks (issue #17), the pull: the desk gets a fresh copy of the office server.

:func:`pull` copies every table of the server into a new SQLite file beside the desk file
(SQLCipher under the desk's passphrase where the desk is encrypted, or when asked), keeps
the desk's id and name, carries over any command still unsent (re-applied on the copy with
the same ids, so the worker still sees it), and swaps the new file in atomically: a cut
mid-pull leaves the old desk file whole. On a desk file that does not exist yet it makes the
first copy.

How the copy stays fast at an office's size (100,000 persons): one read snapshot of the
server (PostgreSQL: a read-only REPEATABLE READ transaction; SQLite: one read transaction),
each table streamed in batches (a server-side cursor on PostgreSQL) and written with one
driver ``executemany`` per batch into the new file, which has no foreign-key checks and no
fsync until it is complete. No ORM object is built; a value is converted only where the
two databases store it differently (PostgreSQL's UUIDs, timestamps and JSON into SQLite's
text), and a SQLite server's rows go across as they are stored.

:func:`copy_office` is the first copy made by a signed-in supervisor or administrator (a
full copy of every person), audited on the server.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa

from casework import clock
from casework.db import (
    Database,
    DatabaseProblem,
    EncryptionError,
    file_kind,
    fsync_file,
    fsync_folder,
    remove_side_files,
    sqlite_url,
)
from casework.errors import CaseworkError, Conflict
from casework.ids import uuid7
from casework.models import Base, SyncApplied, SyncConflict, SyncDesk, SyncOutbox
from casework.models.enums import Role
from casework.services import outbox
from casework.services.context import Context, audit
from casework.services.outbox import online_only
from casework.services.sync_push import replay_of

log = logging.getLogger(__name__)

DESK_TABLE = cast(sa.Table, SyncDesk.__table__)
OUTBOX_TABLE = cast(sa.Table, SyncOutbox.__table__)

BATCH = 5_000
"""Rows per read and per ``executemany``: memory stays bounded whatever the office's size."""
DESK_LOCAL = frozenset({DESK_TABLE.name, OUTBOX_TABLE.name})
"""Tables that belong to the desk file alone: never copied from the server."""
PULLING_SUFFIX = ".pulling"
"""The new copy is built beside the desk file under this suffix, then renamed over it."""
NAME_MAX = 80


@dataclass
class PullSummary:
    rows: int = 0
    persons: int = 0
    carried: int = 0
    """Unsent commands carried over to the new copy."""
    held: int = 0
    """This desk's commands waiting behind a conflict, shown on the new copy."""
    encrypted: bool = False
    seconds: float = 0.0
    reapplied: int = 0
    """Carried commands applied again on the new copy (the rest were refused there, or
    the server already has them: they stay in the outbox for the next push)."""
    desk_id: uuid.UUID | None = None
    first: bool = False
    """The desk file did not exist: this was its first copy."""


Progress = Callable[[int, int], None]
"""``progress(rows_done, rows_total)``."""


@dataclass(frozen=True)
class _OldDesk:
    desk_id: uuid.UUID
    name: str
    pushed_at: dt.datetime | None
    pending: list[dict[str, Any]]


def pull(
    desk_path: Path,
    server: Database,
    *,
    passphrase: str | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> PullSummary:
    """Replace the desk file at ``desk_path`` by a fresh copy of ``server`` (see module
    doc). ``passphrase``: the desk file is (or becomes) SQLCipher under it. The desk file
    must not be open elsewhere in this process (the caller disposes its Database first)."""
    started = time.perf_counter()
    desk_path = Path(desk_path).expanduser().absolute()
    old = _read_old_desk(desk_path, passphrase)
    tmp = desk_path.with_name(desk_path.name + PULLING_SUFFIX)
    _remove_with_side_files(tmp)
    summary = PullSummary(encrypted=passphrase is not None, first=old is None)
    try:
        new = Database(sqlite_url(tmp), passphrase=passphrase)
        try:
            new.upgrade(backup=False)
            summary.rows, summary.persons = _copy_tables(server, new, progress)
            desk_id = old.desk_id if old is not None else uuid7()
            summary.desk_id = desk_id
            _write_desk(new, server, old, desk_id, name)
            # The desk's order: what it sent that waits behind a conflict, then what it
            # has not sent yet.
            summary.held = _show_held(new, desk_id)
            if old is not None and old.pending:
                summary.carried = len(old.pending)
                summary.reapplied = _carry_outbox(new, old.pending)
            _checkpoint(new)
        finally:
            new.dispose()
        remove_side_files(tmp)
        fsync_file(tmp)
        # A -wal or -shm left beside the old file would be read as the new file's.
        remove_side_files(desk_path)
        os.replace(tmp, desk_path)
        fsync_folder(desk_path.parent)
    except BaseException:
        _remove_with_side_files(tmp)
        raise
    summary.seconds = time.perf_counter() - started
    log.info("pull: %d rows, %d carried, %.1f s", summary.rows, summary.carried, summary.seconds)
    return summary


@online_only("sync_pull.copy_office")
def copy_office(
    ctx: Context,
    desk_path: Path,
    *,
    passphrase: str | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> PullSummary:
    """The first copy of the office (``ctx.db``, the server) onto a new desk file: a
    supervisor's or an administrator's (a full copy of every person), audited on the
    server (``desk_copy`` of ``sync_desk``, counts only). Refused when ``desk_path``
    already exists (that desk syncs with :func:`pull`)."""
    with ctx.db.read() as session:
        ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
    if file_kind(Path(desk_path).expanduser()) != "missing":
        raise Conflict("sync_desk_exists", path=str(desk_path))
    summary = pull(desk_path, ctx.db, passphrase=passphrase, name=name, progress=progress)
    with ctx.db.write() as session:
        audit(
            session,
            ctx,
            "desk_copy",
            "sync_desk",
            summary.desk_id,
            rows=summary.rows,
            persons=summary.persons,
            encrypted=summary.encrypted,
        )
    return summary


# The old desk ----------------------------------------------------------------------------


def _read_old_desk(path: Path, passphrase: str | None) -> _OldDesk | None:
    """The desk file's identity and unsent commands; None when there is no file yet. A file
    that is not a desk (an office's own database) is refused: a pull would replace it."""
    kind = file_kind(path)
    if kind == "missing":
        return None
    if kind == "folder":
        raise DatabaseProblem("db_is_folder", path=str(path))
    if kind in ("empty", "foreign"):
        raise DatabaseProblem("not_a_database", path=str(path))
    if kind == "encrypted" and passphrase is None:
        raise EncryptionError("sync_desk_encrypted", path=str(path))
    db = Database(sqlite_url(path), passphrase=passphrase if kind == "encrypted" else None)
    try:
        desk_table, outbox_table = DESK_TABLE, OUTBOX_TABLE
        with db.engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
            if not {desk_table.name, outbox_table.name} <= names:
                raise CaseworkError("sync_file_not_desk", path=str(path))
            desk = conn.execute(sa.select(desk_table)).first()
            if desk is None:
                raise CaseworkError("sync_file_not_desk", path=str(path))
            pending = [
                dict(row._mapping)
                for row in conn.execute(
                    sa.select(outbox_table)
                    .where(outbox_table.c.state == "pending")
                    .order_by(outbox_table.c.seq)
                )
            ]
        return _OldDesk(desk.id, desk.name, desk.pushed_at, pending)
    finally:
        # The last connection to close checkpoints the old file's WAL into it.
        db.dispose()


# The copy --------------------------------------------------------------------------------


def copied_tables() -> list[sa.Table]:
    """The server's tables a desk copies, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in DESK_LOCAL]


def _copy_tables(server: Database, new: Database, progress: Progress | None) -> tuple[int, int]:
    tables = copied_tables()
    done = persons = 0
    with _snapshot(server) as src, new.engine.connect() as dst:
        raw = dst.connection.dbapi_connection
        assert raw is not None
        # A file nobody uses yet, renamed in only when complete: no foreign-key checks
        # (the server's rows are consistent; a table may point at its own later rows) and
        # no fsync until the end.
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("PRAGMA synchronous = OFF")
        counts = {
            t.name: src.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in tables
        }
        total = sum(counts.values())
        if progress is not None:
            progress(0, total)
        cursor = raw.cursor()
        cursor.execute("BEGIN")
        try:
            for table in tables:
                # Rows a migration seeded in the new file give way to the server's.
                cursor.execute(f"DELETE FROM {_q(table.name)}")
                if not counts[table.name]:
                    continue
                columns = list(table.c)
                insert = (
                    f'INSERT INTO "{table.name}" ({", ".join(_q(c.name) for c in columns)}) '
                    f"VALUES ({', '.join('?' for _ in columns)})"
                )
                for batch in _batches(src, server, table, new.engine.dialect):
                    cursor.executemany(insert, batch)
                    done += len(batch)
                    if table.name == "person":
                        persons += len(batch)
                    if progress is not None:
                        progress(done, total)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.close()
    return done, persons


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _snapshot:
    """One consistent read of the whole server (every table as of the same moment)."""

    def __init__(self, server: Database) -> None:
        self.server = server
        self.conn: sa.Connection | None = None

    def __enter__(self) -> sa.Connection:
        engine = self.server.engine
        if self.server.is_sqlite:
            conn = engine.connect()
        else:
            conn = engine.connect().execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        conn.begin()
        self.conn = conn
        return conn

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        self.conn.rollback()
        self.conn.close()


def _batches(
    src: sa.Connection, server: Database, table: sa.Table, dialect: sa.Dialect
) -> Iterator[Sequence[Sequence[Any]]]:
    """The table's rows in batches, as the new SQLite file stores them."""
    columns = list(table.c)
    if server.is_sqlite:
        # Same storage on both sides: the stored values go across untouched.
        raw = src.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            cursor.execute(f"SELECT {', '.join(_q(c.name) for c in columns)} FROM {_q(table.name)}")
            while rows := cursor.fetchmany(BATCH):
                yield rows
        finally:
            cursor.close()
        return
    processors = [c.type._cached_bind_processor(dialect) for c in columns]
    convert = [(i, p) for i, p in enumerate(processors) if p is not None]
    result = src.execution_options(stream_results=True, max_row_buffer=BATCH).execute(
        sa.select(*columns)
    )
    for part in result.partitions(BATCH):
        if not convert:
            yield [tuple(row) for row in part]
            continue
        out = []
        for row in part:
            values = list(row)
            for i, process in convert:
                value = values[i]
                if value is not None:
                    values[i] = process(value)
            out.append(values)
        yield out


# The desk's own rows -----------------------------------------------------------------------


def _write_desk(
    new: Database,
    server: Database,
    old: _OldDesk | None,
    desk_id: uuid.UUID,
    name: str | None,
) -> None:
    if old is not None:
        desk_name = old.name
    else:
        desk_name = (name or socket.gethostname() or "desk").strip()[:NAME_MAX]
    with new.engine.begin() as conn:
        conn.execute(
            DESK_TABLE.insert(),
            {
                "id": desk_id,
                "name": desk_name,
                "server": server.describe()[:300],
                "copied_at": clock.now(),
                "pushed_at": old.pushed_at if old is not None else None,
            },
        )


def _show_held(new: Database, desk_id: uuid.UUID) -> int:
    """This desk's commands waiting behind one of its conflicts, applied on the new copy
    (settled there, so resolving the conflict on the desk does not apply them twice): the
    worker still sees the note they wrote, the server keeps them waiting. Returns how many."""
    with new.read() as session:
        held = list(
            session.scalars(
                sa.select(SyncConflict)
                .where(
                    SyncConflict.desk_id == desk_id,
                    SyncConflict.status == "open",
                    SyncConflict.kind == "waiting",
                )
                .order_by(SyncConflict.seq)
            )
        )
    shown = 0
    for row in held:
        try:
            outbox.replay(Context(new, row.worker_id), replay_of(row), mark_applied=True)
        except (CaseworkError, sa.exc.IntegrityError) as exc:
            log.info("pull: held command %s not shown on the copy: %s", row.command_id, exc)
            continue
        shown += 1
    return shown


def _carry_outbox(new: Database, pending: list[dict[str, Any]]) -> int:
    """The old desk's unsent commands into the new copy's outbox, each applied again on the
    copy (the worker still sees it) unless the server already has it; a command the copy
    refuses stays in the outbox, unapplied, for the push to settle. Returns how many were
    applied again."""
    with new.engine.begin() as conn:
        conn.execute(OUTBOX_TABLE.insert(), pending)
        applied = {
            row[0]
            for row in conn.execute(
                sa.select(SyncApplied.command_id).union(sa.select(SyncConflict.command_id))
            )
        }
    reapplied = 0
    for row in pending:
        if row["id"] in applied:
            continue  # the server has it (an interrupted push): its rows are in the copy
        command = outbox.Replay(
            command_id=row["id"],
            desk_id=row["desk_id"],
            worker_id=row["worker_id"],
            command=row["command"],
            payload=row["payload"],
            ids=row["ids"] or {},
            occurred_at=row["created_at"],
        )
        try:
            outbox.replay(Context(new, row["worker_id"]), command, mark_applied=False)
        except (CaseworkError, sa.exc.IntegrityError) as exc:
            log.info(
                "pull: carried command %s not applied on the copy: %s",
                row["id"],
                type(exc).__name__,
            )
            continue
        reapplied += 1
    return reapplied


def _checkpoint(new: Database) -> None:
    with new.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _remove_with_side_files(path: Path) -> None:
    path.unlink(missing_ok=True)
    remove_side_files(path)
