"""Importing an office's list of persons: rows/s end to end at 5k, 30k and 100k rows, beside
a raw baseline measured in the same run.

For each size it writes a synthetic CSV (semicolons, names with accents, RUNs with their
check digits, passports, birth dates in mixed formats, communes by name, code or a desk's
abbreviation), imports it into a fresh SQLite file database (and PostgreSQL with --pg)
with ``importing.import_persons`` as a supervisor, then writes the same persons' rows
(person, identity_document, person_key, import_ref, audit_event) into another fresh
database with one raw ``executemany`` per table through sqlite3 / psycopg directly: what
the database alone costs (with the app's PRAGMAs). Prints rows/s for both, their ratio,
a batch's wall time (median and longest) and the import's peak RSS (each size runs in a
process of its own, measured before the raw run).
Asserts nothing; never runs in the test suite.

Usage: python bench/importing.py [--quick] [--pg] [--sizes 5000,30000,100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from casework import refdata
from casework.db import CACHE_KIB, Database, open_database
from casework.ids import uuid7
from casework.services import staff
from casework.services.context import Context
from casework.services.importing import BATCH, import_persons
from casework.synthetic.documents import run_text
from casework.synthetic.population import NATIONALITY_WEIGHTS, demo_person, weighted

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ABBREVIATIONS = ("Stgo Centro", "Est. Central", "Stgo.", "La Florida, RM", "Ñuñoa")
HEADER = (
    "ref;nombres;primer_apellido;segundo_apellido;sexo;fecha_nacimiento;nacionalidad;"
    "tipo_documento;numero_documento;telefono;comuna"
)


def write_csv(path: Path, rows: int, seed: int = 16) -> None:
    rng = random.Random(seed)
    pick = weighted(rng, NATIONALITY_WEIGHTS)
    today = dt.date(2026, 11, 23)
    names = {c.code: c.name for c in refdata.communes()}
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for i in range(rows):
            p = demo_person(rng, pick, today, uuid7)
            born: dt.date | None = p["birth_date"]
            style = i % 3
            date = (
                ""
                if born is None
                else born.isoformat()
                if style == 0
                else born.strftime("%d-%m-%Y")
                if style == 1
                else born.strftime("%d/%m/%Y")
            )
            if rng.random() < 0.35:
                doc_type, number = "RUN", run_text(20_000_000 + i)
            elif p["docs"] and p["docs"][0][0] == "passport":
                doc_type, number = "pasaporte", p["docs"][0][1] + f"{i:06d}"
            else:
                doc_type, number = "", ""
            r = rng.random()
            commune = (
                p["commune"]
                if r < 0.3
                else rng.choice(ABBREVIATIONS)
                if r < 0.35
                else names.get(p["commune"], p["commune"])
            )
            cells = [
                f"B-{i}",
                p["given_names"],
                p["first_surname"],
                p["second_surname"] or "",
                p["sex"],
                date,
                p["nationality"],
                doc_type,
                number,
                p["phone"] or "",
                commune,
            ]
            out.write(";".join(cells) + "\n")


def supervisor(db: Database) -> Context:
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    return Context(db, admin.id)


def timed_import(db: Database, csv: Path) -> tuple[float, float, Any, list[float]]:
    """Wall time, this process's CPU time (a loaded machine inflates the first), the report
    and each batch's wall time (reading it, deciding and writing it: how long a desk's save
    may wait behind it)."""
    ctx = supervisor(db)
    marks: list[float] = []
    start, cpu = time.perf_counter(), time.process_time()
    report = import_persons(ctx, csv, progress=lambda _p: marks.append(time.perf_counter()))
    elapsed = time.perf_counter() - start
    batches = [b - a for a, b in zip([start, *marks], marks[:-1], strict=False)]
    return elapsed, time.process_time() - cpu, report, batches


def raw_rows(db: Database) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """The rows an import wrote, table by table, read back as driver values."""
    tables = ("person", "identity_document", "person_key", "import_ref", "audit_event")
    out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for table in tables:
            cur.execute(f"SELECT * FROM {table}")
            cols = [d[0] for d in cur.description]
            rows = [tuple(r) for r in cur.fetchall()]
            if table == "audit_event":
                rows = [r for r in rows if r[cols.index("action")] == "import"]
            out[table] = (cols, rows)
    finally:
        raw.close()
    return out


Batches = list[list[tuple[str, list[str], list[tuple[Any, ...]]]]]


def raw_batches(data: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> Batches:
    """The rows in the import's batches (its persons, BATCH at a time, with their rows of
    each table), made before the clock starts."""
    cols, persons = data["person"]
    key = cols.index("id")
    batch_of = {r[key]: i // BATCH for i, r in enumerate(persons)}
    out: Batches = [[] for _ in range(-(-len(persons) // BATCH))]
    for table, (cols, rows) in data.items():
        pid = cols.index("id" if table == "person" else "person_id")
        for batch in out:
            batch.append((table, cols, []))
        for r in rows:
            out[batch_of[r[pid]]][-1][2].append(r)
    return out


def raw_sqlite(path: Path, batches: Batches) -> float:
    """One executemany per table into a fresh schema, a batch's rows committed each, with
    the app's PRAGMAs (but no foreign key checks)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(f"PRAGMA cache_size = {CACHE_KIB}")
    start = time.perf_counter()
    for batch in batches:
        for table, cols, rows in batch:
            marks = ",".join("?" * len(cols))
            conn.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", rows)
        conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def raw_pg(url: str, batches: Batches) -> float:
    import psycopg
    from psycopg.types.json import Json

    batches = [
        [
            (
                table,
                cols,
                [tuple(Json(v) if isinstance(v, list | dict) else v for v in r) for r in rows],
            )
            for table, cols, rows in batch
        ]
        for batch in batches
    ]
    conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK checks: raw
        for batch in batches:
            for table, cols, rows in batch:
                marks = ",".join(["%s"] * len(cols))
                cur.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", rows)
            conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _pg_database(name: str) -> str:
    import psycopg

    admin = PG_ADMIN.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_size(rows: int, folder: Path, pg: bool) -> None:
    csv = folder / f"lista-{rows}.csv"
    write_csv(csv, rows)
    targets: list[tuple[str, str]] = [("sqlite", f"sqlite:///{folder}/import-{rows}.db")]
    if pg:
        targets.append(("postgres", _pg_database(f"bench_import_{rows}_{uuid.uuid4().hex[:6]}")))
    for kind, url in targets:
        db = open_database(url)
        elapsed, cpu, report, batches = timed_import(db, csv)
        rss = peak_rss_mb()  # the import's (each size runs in a process of its own)
        data = raw_batches(raw_rows(db))
        db.dispose()
        if kind == "sqlite":
            raw_path = folder / f"raw-{rows}.db"
            raw_db = open_database(f"sqlite:///{raw_path}")
            raw_db.dispose()
            raw = raw_sqlite(raw_path, data)
        else:
            raw_url = _pg_database(f"bench_raw_{rows}_{uuid.uuid4().hex[:6]}")
            open_database(raw_url).dispose()  # the same schema, empty
            raw = raw_pg(raw_url, data)
        n = report.rows
        print(
            f"{kind:8} {n:>7,} rows  import {elapsed:7.2f} s = {n / elapsed:8,.0f} rows/s "
            f"(CPU {cpu:.2f} s = {n / cpu:,.0f} rows/s)  "
            f"(created {report.created:,}, warned {report.warned:,}, refused {report.refused:,}, "
            f"likely {report.likely_duplicates:,})  raw executemany {raw:6.2f} s = "
            f"{n / raw:9,.0f} rows/s  ratio {elapsed / raw:5.1f}x  "
            f"batch {statistics.median(batches):.2f} s (longest {max(batches):.2f} s)  "
            f"import's peak RSS {rss:,.0f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows only")
    parser.add_argument("--pg", action="store_true", help="also PostgreSQL at 127.0.0.1")
    parser.add_argument("--sizes", default="5000,30000,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in a child
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            run_size(args.one, Path(tmp), args.pg)
        return
    sizes = [5000] if args.quick else [int(s) for s in args.sizes.split(",")]
    for rows in sizes:
        # A process per size: its peak RSS is that import's alone.
        pg = ["--pg"] if args.pg else []
        subprocess.run([sys.executable, __file__, "--one", str(rows), *pg], check=True)


if __name__ == "__main__":
    main()
