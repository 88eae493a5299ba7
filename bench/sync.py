"""Offline desks (issue #17): the time to push 1,000 offline commands and to pull an office,
each beside a raw baseline measured in the same run.

Push: a desk (a fresh copy of a small office) runs N commands offline -- a mix of intakes,
contacts, notes and person edits, through the real services, so each lands in the desk's
outbox -- then ``sync_push.push`` sends them to the server (a SQLite file, and PostgreSQL
with --pg). Baselines: the rows those commands wrote on the desk, inserted by the database
alone (Core ``executemany``, foreign keys off) into an empty database of the server's kind
-- in one transaction, and spread over one transaction per command, as the push commits.

Pull: an office of --persons persons (default 100,000; built fast with the demo's bulk
generator), copied with ``sync_pull.pull`` into a new desk file. Baseline: the same tables
copied by the database alone (SQLite: ``INSERT INTO … SELECT`` from the attached server
file; PostgreSQL: every column read as text with psycopg and written with ``executemany``).

Prints rows/s (commands/s for the push) and the ratio to the baseline. Asserts nothing;
never runs in the test suite.

Usage: python bench/sync.py [--persons N] [--commands N] [--pg] [--skip-push] [--skip-pull]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework.db import Database, open_database
from casework.models import Base, Worker
from casework.services import persons, sync_pull, sync_push
from casework.services.context import Context
from casework.synthetic import demo
from casework.synthetic.forms import intake_data, person_data

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GIVEN = ("Yesenia", "Luis Alberto", "Marie", "Jean", "Wilmer", "Rosa", "Kenia", "Ana Lucía")
SURNAMES = ("Rondón", "Pierre", "Quispe", "Mamani", "Castillo", "Joseph", "Gómez", "Zapata")


def _pg_database(name: str) -> str:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def _office(url: str, people: int) -> Database:
    db = open_database(url)
    started = time.perf_counter()
    demo.generate(Context(db), people)
    print(f"  office of {people:,} persons built in {time.perf_counter() - started:.1f} s")
    return db


def _worker(db: Database, username: str = "demo") -> uuid.UUID:
    with db.read() as s:
        found = s.scalar(sa.select(Worker.id).where(Worker.username == username))
        if found is None:
            found = s.scalar(sa.select(Worker.id).where(Worker.role == "worker").limit(1))
    assert found is not None
    return found


def _table_rows(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            t.name: conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            for t in Base.metadata.sorted_tables
        }
    finally:
        conn.close()


# Push -------------------------------------------------------------------------------------


def run_commands(desk: Database, worker: uuid.UUID, commands: int, seed: int = 17) -> int:
    """``commands`` offline commands on the desk: about 30 % intakes, 40 % contacts, 20 %
    notes, 10 % person edits (on persons the desk registered)."""
    rng = random.Random(seed)
    ctx = Context(desk, worker)
    made: list[uuid.UUID] = []
    edited: set[uuid.UUID] = set()
    done = 0
    while done < commands:
        roll = rng.random()
        if not made or roll < 0.3:
            person = person_data(
                given_names=rng.choice(GIVEN),
                first_surname=f"{rng.choice(SURNAMES)}{len(made)}",
                second_surname="Briceño",
                documents=[{"type": "passport", "number": f"BX{len(made):07d}{seed}"}],
                phone=f"9{rng.randrange(10**7, 10**8)}",
                birth_date=dt.date(
                    1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28)
                ),
            )
            # Offline the desk's own gate runs as at the office; a bench's look-alikes pass it.
            result = persons.register_intake(ctx, intake_data(person), allow_likely=True)
            made.append(result.person_id)
        elif roll < 0.7:
            persons.record_contact(
                ctx, rng.choice(made), {"reasons": ["regularization"], "note": "Seguimiento."}
            )
        elif roll < 0.9:
            persons.add_note(ctx, rng.choice(made), {"text": "Trae sus documentos el lunes."})
        else:
            free = [p for p in made if p not in edited]
            if not free:
                continue
            pid = rng.choice(free)
            edited.add(pid)
            persons.update_person(
                ctx, pid, {"second_surname": {"base": "Briceño", "new": "Briceño Pérez"}}
            )
        done += 1
    return done


def new_rows(before: Path, after: Path) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """The rows the commands wrote on the desk (new, or changed by an edit), typed as
    SQLAlchemy reads them, per table in FK order."""
    out: list[tuple[sa.Table, list[dict[str, Any]]]] = []
    old = sa.create_engine(f"sqlite:///{before}")
    new = sa.create_engine(f"sqlite:///{after}")
    with old.connect() as a, new.connect() as b:
        for table in Base.metadata.sorted_tables:
            if table.name in sync_pull.DESK_LOCAL:
                continue
            seen = {repr(tuple(r)) for r in a.execute(sa.select(table))}
            rows = [
                dict(r._mapping) for r in b.execute(sa.select(table)) if repr(tuple(r)) not in seen
            ]
            if rows:
                out.append((table, rows))
    old.dispose()
    new.dispose()
    return out


def raw_push_baselines(
    rows: list[tuple[sa.Table, list[dict[str, Any]]]],
    fresh_target: Callable[[], str],
    commits: int,
) -> tuple[float, float]:
    """The same rows inserted by the database alone into a database of the server's kind
    (SQLite: a copy of the desk before the commands, rows replaced by key; PostgreSQL: an
    empty one, foreign keys off): in one transaction, and spread over ``commits``
    transactions (one per command, as the push commits). Seconds for each."""
    results = []
    for spread in (1, commits):
        url = fresh_target()
        pg = url.startswith("postgresql")
        if pg:
            open_database(url).dispose()  # migrated, empty
            engine = sa.create_engine(url)
        else:  # the desk's own settings, foreign keys off
            engine = sa.create_engine(f"sqlite:///{url}")
            sa.event.listen(engine, "connect", _raw_sqlite_settings)
        started = time.perf_counter()
        for k in range(spread):
            with engine.begin() as conn:
                if pg:
                    conn.exec_driver_sql("SET session_replication_role = replica")
                for table, all_rows in rows:
                    part = all_rows[k::spread]
                    if part:
                        insert = table.insert() if pg else table.insert().prefix_with("OR REPLACE")
                        conn.execute(insert, part)
        results.append(time.perf_counter() - started)
        engine.dispose()
    return results[0], results[1]


def bench_push(server_url: str, label: str, commands: int, folder: Path) -> None:
    print(f"push of {commands:,} offline commands to a {label} server")
    server = _office(server_url, 200)
    desk_path = folder / f"push-desk-{label}.db"
    sync_pull.pull(desk_path, server, name="bench")
    pristine = folder / f"push-desk-{label}-before.db"
    shutil.copy(desk_path, pristine)
    desk = open_database(str(desk_path))
    worker = _worker(desk)
    started = time.perf_counter()
    ran = run_commands(desk, worker, commands)
    offline = time.perf_counter() - started
    print(f"  {ran:,} commands run on the desk (offline) in {offline:.1f} s")
    started = time.perf_counter()
    try:
        summary = sync_push.push(desk, server)
    except NotImplementedError:
        print("  push: services/sync_push.py is not written yet on this branch")
        desk.dispose()
        server.dispose()
        return
    seconds = time.perf_counter() - started
    desk.dispose()
    rows = new_rows(pristine, desk_path)
    raw_rows = sum(len(r) for _, r in rows)
    one_tx, per_command = raw_push_baselines(
        rows, lambda: raw_target(server_url, pristine, folder), ran
    )
    print(
        f"  push: {seconds:.1f} s, {ran / seconds:,.0f} commands/s "
        f"({seconds / ran * 1000:.1f} ms a command, {raw_rows / seconds:,.0f} rows/s); "
        f"applied {summary.applied}, duplicates {summary.duplicates}, "
        f"conflicts {summary.conflicts}"
    )
    print(
        f"  raw insert of the same {raw_rows:,} rows into {label}, one transaction: "
        f"{one_tx:.2f} s ({raw_rows / max(one_tx, 1e-9):,.0f} rows/s); push / raw = "
        f"{seconds / max(one_tx, 1e-9):,.0f}x"
    )
    print(
        f"  raw insert of the same rows, one transaction per command ({ran:,}): "
        f"{per_command:.2f} s ({per_command / ran * 1000:.2f} ms a command); push / raw = "
        f"{seconds / max(per_command, 1e-9):.1f}x"
    )
    server.dispose()


def _raw_sqlite_settings(dbapi: Any, _record: Any) -> None:
    dbapi.execute("PRAGMA journal_mode = WAL")
    dbapi.execute("PRAGMA synchronous = NORMAL")


def raw_target(server_url: str, pristine: Path, folder: Path) -> str:
    """A database of the server's kind for the raw baseline (see raw_push_baselines)."""
    if server_url.startswith("postgresql"):
        return _pg_database("casework_bench_raw")
    target = folder / "raw-push.db"
    for side in ("", "-wal", "-shm"):
        Path(f"{target}{side}").unlink(missing_ok=True)
    shutil.copy(pristine, target)
    return str(target)


# Pull -------------------------------------------------------------------------------------


def raw_copy_sqlite(server: Path, folder: Path, template: Path) -> tuple[float, int]:
    target = folder / "raw-pull.db"
    shutil.copy(template, target)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("ATTACH DATABASE ? AS src", (str(server),))
    started = time.perf_counter()
    conn.execute("BEGIN")
    rows = 0
    for table in sync_pull.copied_tables():
        cols = ", ".join(f'"{c.name}"' for c in table.c)
        cur = conn.execute(
            f'INSERT INTO main."{table.name}" ({cols}) SELECT {cols} FROM src."{table.name}"'
        )
        rows += cur.rowcount
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, rows


def raw_copy_pg(url: str, folder: Path, template: Path) -> tuple[float, int]:
    import psycopg

    target = folder / "raw-pull-pg.db"
    shutil.copy(template, target)
    dst = sqlite3.connect(target, isolation_level=None)
    dst.execute("PRAGMA foreign_keys = OFF")
    dst.execute("PRAGMA synchronous = OFF")
    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows = 0
    started = time.perf_counter()
    with psycopg.connect(plain) as src:
        dst.execute("BEGIN")
        for table in sync_pull.copied_tables():
            cols = ", ".join(f'"{c.name}"' for c in table.c)
            text = ", ".join(f'"{c.name}"::text' for c in table.c)
            marks = ", ".join("?" for _ in table.c)
            with src.cursor(name=f"raw_{table.name}") as cur:
                cur.execute(f'SELECT {text} FROM "{table.name}"')
                while batch := cur.fetchmany(sync_pull.BATCH):
                    dst.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', batch)
                    rows += len(batch)
        dst.execute("COMMIT")
    seconds = time.perf_counter() - started
    dst.close()
    return seconds, rows


def bench_pull(server_url: str, label: str, people: int, folder: Path, template: Path) -> None:
    print(f"pull of a {people:,}-person office from a {label} server")
    server = _office(server_url, people)
    desk = folder / f"pull-desk-{label}.db"
    summary = sync_pull.pull(desk, server, name="bench")
    rate = summary.rows / summary.seconds
    print(
        f"  pull: {summary.rows:,} rows ({summary.persons:,} persons) in {summary.seconds:.1f} s, "
        f"{rate:,.0f} rows/s; desk file {desk.stat().st_size / 1e6:,.0f} MB"
    )
    if server.is_sqlite:
        assert server.file_path is not None
        server.dispose()
        raw_seconds, raw_rows = raw_copy_sqlite(server.file_path, folder, template)
        how = "INSERT … SELECT from the attached file"
    else:
        server.dispose()
        raw_seconds, raw_rows = raw_copy_pg(server_url, folder, template)
        how = "psycopg text rows -> sqlite3 executemany"
    print(
        f"  raw copy of the same tables ({how}): {raw_rows:,} rows in {raw_seconds:.1f} s, "
        f"{raw_rows / raw_seconds:,.0f} rows/s; pull / raw = {summary.seconds / raw_seconds:.1f}x"
    )
    print(
        f"  (the pull's time includes migrating the new file to head and writing the desk's "
        f"own rows; copied rows per table: {_biggest(_table_rows(desk))})"
    )


def _biggest(counts: dict[str, int]) -> str:
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:4]
    return ", ".join(f"{name} {n:,}" for name, n in top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--commands", type=int, default=1_000)
    parser.add_argument("--pg", action="store_true", help="also with a PostgreSQL server")
    parser.add_argument("--skip-push", action="store_true")
    parser.add_argument("--skip-pull", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="casework-sync-bench-"))
    template = folder / "template.db"
    open_database(str(template)).dispose()
    if not args.skip_push:
        bench_push(str(folder / "push-server.db"), "SQLite", args.commands, folder)
        if args.pg:
            bench_push(_pg_database("casework_bench_push"), "PostgreSQL", args.commands, folder)
    if not args.skip_pull:
        bench_pull(str(folder / "pull-server.db"), "SQLite", args.persons, folder, template)
        if args.pg:
            url = _pg_database("casework_bench_pull")
            bench_pull(url, "PostgreSQL", args.persons, folder, template)
    shutil.rmtree(folder, ignore_errors=True)
    if args.pg:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in ("casework_bench_push", "casework_bench_pull", "casework_bench_raw"):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
