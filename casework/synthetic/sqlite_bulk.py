"""Bulk loading of rows into SQLite at driver level, here or in a process of its own.

The demo generator makes rows on one core; run as ``python -m casework.synthetic.sqlite_bulk
PATH TABLE...`` this module inserts them on the other, fed through stdin as framed pickles
(a 4-byte length, then ``(sql, rows)``; length 0 ends the load). It answers one JSON line
on stdout: ``{"outcome": "ok" | "not_empty" | "error", "detail": ...}``. Only the standard
library is imported, so it starts in milliseconds.
"""

from __future__ import annotations

import json
import pickle
import queue
import sqlite3
import struct
import sys
import threading
from typing import IO, Any

COMMIT_EVERY = 250_000
"""Rows written between intermediate commits: the WAL stays small and is checkpointed
in step, instead of holding the whole database at the end."""

FRAME = struct.Struct("<I")


class BulkLoad:
    """Inserts, committing every COMMIT_EVERY rows.

    The secondary indexes of the ``rebuild`` tables are dropped meanwhile and built once at
    the end: faster than row by row when one thread does everything, and a packed index
    (person_key's, read by every name search) answers faster than one grown by random
    inserts. The loading process rebuilds only person_key's and keeps the others: it has
    time to spare while the rows are made, and the end of the load stays short."""

    def __init__(self, dbapi_conn: Any, tables: list[str], *, rebuild: list[str]) -> None:
        self.cursor = dbapi_conn.cursor()
        self.written = 0
        self.indexes: list[tuple[str, str]] = []
        if rebuild:
            marks = ", ".join("?" * len(rebuild))
            self.indexes = self.cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                f" AND tbl_name IN ({marks})",
                rebuild,
            ).fetchall()
        for name, _ in self.indexes:
            self.cursor.execute(f'DROP INDEX "{name}"')

    def insert(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.cursor.executemany(sql, rows)
        self.written += len(rows)
        if self.written >= COMMIT_EVERY:
            self.cursor.execute("COMMIT")
            self.cursor.execute("BEGIN IMMEDIATE")
            self.written = 0

    def finish(self) -> None:
        for _, sql in self.indexes:
            self.cursor.execute(sql)
        self.cursor.close()


def write_frame(out: IO[bytes], item: tuple[str, list[tuple[Any, ...]]] | None) -> None:
    if item is None:
        out.write(FRAME.pack(0))
        return
    data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(FRAME.pack(len(data)))
    out.write(data)


def _frames(inp: IO[bytes]) -> Any:
    while True:
        head = inp.read(FRAME.size)
        if len(head) < FRAME.size:
            raise EOFError("the load ended early")
        (size,) = FRAME.unpack(head)
        if size == 0:
            return
        yield pickle.loads(inp.read(size))


def _read_ahead(inp: IO[bytes], depth: int = 64) -> Any:
    """The frames, read by a thread of their own so the maker never waits on the pipe
    while rows are being inserted (both release the GIL while they wait)."""
    ahead: queue.Queue[Any] = queue.Queue(depth)
    done = object()

    def reader() -> None:
        try:
            for frame in _frames(inp):
                ahead.put(frame)
            ahead.put(done)
        except BaseException as exc:  # handed to the consumer
            ahead.put(exc)

    threading.Thread(target=reader, daemon=True).start()
    while (item := ahead.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


class NotEmpty(Exception):
    """The database already holds persons: a demo load needs an empty one."""


def load(path: str, tables: list[str], inp: IO[bytes]) -> dict[str, str | None]:
    conn = sqlite3.connect(path, isolation_level=None)
    outcome: dict[str, str | None] = {"outcome": "ok", "detail": None}
    frames = _read_ahead(inp)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -400000")  # 400 MB while loading
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("SELECT count(*) FROM person").fetchone()[0]:
            raise NotEmpty
        bulk = BulkLoad(conn, tables, rebuild=[t for t in tables if t == "person_key"])
        for sql, rows in frames:
            bulk.insert(sql, rows)
        bulk.finish()
        conn.execute("COMMIT")
    except Exception as exc:
        outcome = {"outcome": "not_empty" if isinstance(exc, NotEmpty) else "error"}
        outcome["detail"] = None if isinstance(exc, NotEmpty) else repr(exc)
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        try:
            for _ in frames:  # let the maker finish, then tell it
                pass
        except EOFError:
            pass
    finally:
        conn.close()
    return outcome


def main(argv: list[str]) -> int:
    outcome = load(argv[0], argv[1:], sys.stdin.buffer)
    print(json.dumps(outcome), flush=True)
    return 0 if outcome["outcome"] == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
