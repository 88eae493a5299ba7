"""Demo generation speed (issue #19): ``casework demo`` (synthetic.demo.generate) beside a
raw copy of the same rows, measured in the same run.

SQLite: the demo into a fresh file, then every table it loaded copied with
``INSERT INTO t SELECT * FROM src.t`` into a second fresh file (same schema and indexes,
made by the same migrations). PostgreSQL (``url`` of a server; two scratch databases are
created and dropped): the demo loaded directly, then the same rows copied with
``COPY t TO STDOUT`` / ``COPY t FROM STDIN`` into a second migrated database.

Target: demo <= 2x the raw copy. Prints figures; asserts nothing; never in the test suite.
Usage: python bench/demo_speed.py [--people N] [--url postgresql://postgres@127.0.0.1/]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework.db import open_database
from casework.services.context import Context
from casework.synthetic import demo

TARGET_RATIO = 2.0
ORGANISATION = ("programme", "worker", "office_setting")
"""Rows the demo writes before its load (a few): copied first, untimed."""


def _tables() -> list[str]:
    return [t.name for t in demo.TABLE_ORDER]


def _sqlite(people: int) -> tuple[float, float]:
    folder = Path(tempfile.mkdtemp(prefix="casework-demo-"))
    os.chmod(folder, 0o700)
    try:
        src, dst = folder / "demo.db", folder / "copy.db"
        db = open_database(str(src))
        started = time.perf_counter()
        demo.generate(Context(db), people)
        made = time.perf_counter() - started
        db.dispose()
        open_database(str(dst)).dispose()  # the same schema and indexes, empty
        conn = sqlite3.connect(dst, isolation_level=None)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("ATTACH DATABASE ? AS src", (str(src),))
        for name in reversed(ORGANISATION):
            conn.execute(f'DELETE FROM main."{name}"')
        for name in ORGANISATION:
            conn.execute(f'INSERT INTO main."{name}" SELECT * FROM src."{name}"')
        started = time.perf_counter()
        conn.execute("BEGIN")
        for name in _tables():
            conn.execute(f'INSERT INTO main."{name}" SELECT * FROM src."{name}"')
        conn.execute("COMMIT")
        copied = time.perf_counter() - started
        conn.close()
        return made, copied
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _postgres(people: int, url: str) -> tuple[float, float]:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    names = [f"casework_bench_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    urls = [admin.url.set(database=n).render_as_string(hide_password=False) for n in names]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        src = open_database(urls[0])
        started = time.perf_counter()
        demo.generate(Context(src), people)
        made = time.perf_counter() - started
        dst = open_database(urls[1])
        with src.engine.connect() as a, dst.engine.begin() as b:
            out: Any = a.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            into: Any = b.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            for name in reversed(ORGANISATION):
                into.execute(f'DELETE FROM "{name}"')
            started = time.perf_counter()
            for name in [*ORGANISATION, *_tables()]:
                if name == _tables()[0]:
                    started = time.perf_counter()  # the organisation's rows: untimed
                with (
                    out.copy(f'COPY "{name}" TO STDOUT') as reader,
                    into.copy(f'COPY "{name}" FROM STDIN') as writer,
                ):
                    for block in reader:
                        writer.write(block)
            copied = time.perf_counter() - started
        src.dispose()
        dst.dispose()
        return made, copied
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _row(label: str, made: float, copied: float) -> dict[str, Any]:
    return {
        "figure": f"demo generation, {label}",
        "measured": round(made, 1),
        "unit": "s",
        "baseline": round(copied, 1),
        "baseline_name": "raw copy of the same rows into the same schema",
        "target": f"≤ {TARGET_RATIO:.0f}× raw",
        "passed": made <= TARGET_RATIO * copied,
    }


def measure(people: int, url: str | None) -> list[dict[str, Any]]:
    count = f"{people // 1000}k" if people >= 1000 else str(people)
    rows = [_row(f"{count}, SQLite", *_sqlite(people))]
    if url:
        rows.append(_row(f"{count}, PostgreSQL", *_postgres(people, url)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--url", default=None, help="a PostgreSQL server (admin URL)")
    args = parser.parse_args()
    for row in measure(args.people, args.url):
        ratio = row["measured"] / row["baseline"] if row["baseline"] else float("inf")
        print(
            f"{row['figure']}: {row['measured']} s, raw copy {row['baseline']} s "
            f"({ratio:.1f}×, target {row['target']})"
        )


if __name__ == "__main__":
    main()
