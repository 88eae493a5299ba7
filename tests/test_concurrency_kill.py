"""kill -9 in the middle of a duplicate scan, a run of merges and an import (SQLite: the
office's file). Whatever moment the process dies, the file is whole: integrity_check is
ok, a merge is all there or not at all, the queue is never doubled or half saved, and an
import is either all in or not at all, so running it again creates each row once."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from casework.db import Database, open_database, sqlite_url
from casework.models import Worker
from casework.services import duplicate_queue, merge
from casework.services.context import Context
from casework.services.importing import import_persons
from casework.synthetic import demo

FORK = multiprocessing.get_context("fork")
PEOPLE = 800
MOVED = ("contact", "case_file", "note", "guidance", "referral", "follow_up", "consent")
MOVED += ("migration_status", "household_member")
"""Tables whose rows a merge moves to the survivor: none may stay on a merged record."""


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, uuid.UUID]:
    """A file of synthetic persons (a few percent respelled twice), and its supervisor."""
    path = tmp_path_factory.mktemp("kill") / "office.db"
    db = open_database(str(path))
    demo.generate(Context(db), PEOPLE)
    with db.read() as s:
        sup = s.scalar(sa.select(Worker.id).where(Worker.role == "supervisor").limit(1))
    db.dispose()
    assert sup is not None
    return path, sup


def _copy(src: Path, folder: Path, name: str) -> Path:
    dest = folder / name
    shutil.copy(src, dest)
    for suffix in ("-wal", "-shm"):
        if Path(f"{src}{suffix}").exists():
            shutil.copy(f"{src}{suffix}", f"{dest}{suffix}")
    return dest


def _child(target: Callable[..., None], *args: Any) -> tuple[Any, int]:
    read_fd, write_fd = os.pipe()
    child = FORK.Process(target=target, args=(*args, write_fd))
    child.start()
    os.close(write_fd)
    return child, read_fd


def _lines(read_fd: int, until: str | None = None, timeout: float = 30.0) -> list[str]:
    """What the child wrote: up to a line equal to ``until`` (then return at once), or all."""
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        buf += chunk
        if until is not None and f"\n{until}\n".encode() in b"\n" + buf:
            break
    text = buf.decode()
    lines = text.split("\n")
    return lines if text.endswith("\n") else lines[:-1]


def _kill(child: Any) -> None:
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    assert child.exitcode in (-signal.SIGKILL, 0)


def _whole(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    return conn


def _pairs(conn: sqlite3.Connection) -> int:
    rows = conn.execute("SELECT person_a, person_b FROM match_pair").fetchall()
    assert len(rows) == len(set(rows)), "a pair queued twice"
    return len(rows)


# A scan -------------------------------------------------------------------------------------


def _scan(path: str, sup: str, fd: int) -> None:
    out = os.fdopen(fd, "w", buffering=1)

    def progress(stage: str, _fraction: float) -> None:
        out.write(f"{stage}\n")
        out.flush()

    db = Database(sqlite_url(Path(path)))
    report = duplicate_queue.scan(Context(db, uuid.UUID(sup)), progress=progress)
    out.write(f"done {report.new_pairs}\n")
    out.flush()


@pytest.mark.slow
def test_a_scan_killed_while_saving_leaves_the_queue_empty_or_whole(
    demo_file: tuple[Path, uuid.UUID], tmp_path: Path
) -> None:
    src, sup = demo_file
    clean = _copy(src, tmp_path, "clean.db")
    db = Database(sqlite_url(clean))
    expected = duplicate_queue.scan(Context(db, sup)).new_pairs
    db.dispose()
    assert expected > 10
    rng = random.Random(11)

    for round_ in range(3):
        path = _copy(src, tmp_path, f"scan{round_}.db")
        child, read_fd = _child(_scan, str(path), str(sup))
        assert "saving" in _lines(read_fd, until="saving")
        time.sleep(rng.uniform(0.0, 0.02))
        _kill(child)
        os.close(read_fd)
        conn = _whole(path)
        queued = _pairs(conn)
        conn.close()
        assert queued in (0, expected), f"round {round_}: {queued} of {expected} pairs saved"

        # The next scan finishes the work, and queues nothing twice.
        db = Database(sqlite_url(path))
        again = duplicate_queue.scan(Context(db, sup))
        db.dispose()
        assert again.new_pairs == expected - queued
        conn = _whole(path)
        assert _pairs(conn) == expected
        conn.close()


# Merges -------------------------------------------------------------------------------------


def _merge_all(path: str, sup: str, fd: int) -> None:
    out = os.fdopen(fd, "w", buffering=1)
    db = Database(sqlite_url(Path(path)))
    ctx = Context(db, uuid.UUID(sup))
    out.write("start\n")
    merged = 0
    for pair in duplicate_queue.queue(ctx):
        try:
            merge.merge(ctx, pair.a.id, pair.b.id)
        except Exception:  # one side merged by an earlier pair: the queue moves on
            continue
        merged += 1
        out.write(f"{pair.b.id}\n" + ("first\n" if merged == 1 else ""))
        out.flush()
    out.write("done\n")
    out.flush()


def _check_merges(path: Path) -> set[uuid.UUID]:
    """Every merged record is folded whole into a live one; returns the merged ids."""
    conn = _whole(path)
    try:
        merged = {
            uuid.UUID(hex=m): uuid.UUID(hex=s)
            for m, s in conn.execute(
                "SELECT id, merged_into_id FROM person WHERE merged_into_id IS NOT NULL"
            )
        }
        ledger = {
            uuid.UUID(hex=m): uuid.UUID(hex=s)
            for m, s in conn.execute("SELECT merged_id, survivor_id FROM person_merge")
        }
        assert merged == ledger, "a merge without its ledger row, or the other way round"
        assert not set(merged.values()) & set(merged), "a merged record points at a merged one"
        ids = ",".join(f"'{m.hex}'" for m in merged) or "''"
        for table in MOVED:
            left = conn.execute(
                f"SELECT count(*) FROM {table} WHERE person_id IN ({ids})"
            ).fetchone()
            assert left == (0,), f"half a merge: {table} rows left on a merged record"
        decided = conn.execute(
            "SELECT count(*) FROM match_pair WHERE status = 'merged'"
        ).fetchone()[0]
        assert decided == len(merged)
        return set(merged)
    finally:
        conn.close()


@pytest.mark.slow
def test_merges_killed_mid_way_leave_each_merge_whole_or_undone(
    demo_file: tuple[Path, uuid.UUID], tmp_path: Path
) -> None:
    src, sup = demo_file
    path = _copy(src, tmp_path, "merges.db")
    db = Database(sqlite_url(path))
    duplicate_queue.scan(Context(db, sup))
    db.dispose()
    rng = random.Random(7)
    reported: set[uuid.UUID] = set()
    for round_ in range(4):
        child, read_fd = _child(_merge_all, str(path), str(sup))
        # The last round waits for one merge to be done first, so a slow (loaded) machine
        # still kills a run that has merged something, never only runs that had not begun.
        early = _lines(read_fd, until="first" if round_ == 3 else "start")
        time.sleep(rng.uniform(0.05, 0.4))
        _kill(child)
        lines = early + _lines(read_fd)
        os.close(read_fd)
        reported |= {uuid.UUID(x) for x in lines if x and x not in ("start", "first", "done")}
        on_file = _check_merges(path)
        assert reported <= on_file, "a merge reported done is not on file"
    assert reported, "no merge finished before the kills: the test tested nothing"


# An import ------------------------------------------------------------------------------------


def _import(path: str, csv: str, admin: str, fd: int) -> None:
    out = os.fdopen(fd, "w", buffering=1)
    db = Database(sqlite_url(Path(path)))
    out.write("start\n")
    report = import_persons(Context(db, uuid.UUID(admin)), Path(csv), batch_size=KILL_BATCH)
    out.write(f"done {report.created}\n")
    out.flush()


KILL_BATCH = 40


@pytest.mark.slow
def test_an_import_killed_mid_way_keeps_whole_batches_and_a_rerun_completes(
    demo_file: tuple[Path, uuid.UUID], tmp_path: Path
) -> None:
    src, _sup = demo_file
    rows = 120
    csv = tmp_path / "lista.csv"
    csv.write_text(
        "ref;nombres;primer_apellido;fecha_nacimiento\n"
        + "".join(f"K-{i};Nombre{i:03d};Kill{i:03d};\n" for i in range(rows)),
        encoding="utf-8",
    )
    rng = random.Random(3)
    for round_ in range(3):
        path = _copy(src, tmp_path, f"import{round_}.db")
        conn = sqlite3.connect(path)
        admin = conn.execute("SELECT id FROM worker WHERE role = 'admin' LIMIT 1").fetchone()[0]
        conn.close()
        child, read_fd = _child(_import, str(path), str(csv), uuid.UUID(hex=admin).hex)
        _lines(read_fd, until="start")
        time.sleep(rng.uniform(0.0, 0.1))
        _kill(child)
        os.close(read_fd)
        conn = _whole(path)
        count = "SELECT count(*) FROM person WHERE first_surname LIKE 'Kill%'"
        refs = "SELECT count(*) FROM import_ref WHERE ref LIKE 'K-%'"
        kept = conn.execute(count).fetchone()[0]
        assert kept % KILL_BATCH == 0, f"round {round_}: {kept} of {rows} rows kept"
        assert conn.execute(refs).fetchone()[0] == kept
        conn.close()
        db = Database(sqlite_url(path))
        report = import_persons(Context(db, uuid.UUID(hex=admin)), csv)
        db.dispose()
        assert (report.created, report.already) == (rows - kept, kept)
        conn = _whole(path)
        assert conn.execute(count).fetchone()[0] == rows
        conn.close()
