"""Importing an office's list of persons: rows/s end to end at 5k, 30k and 100k rows, beside
a raw baseline measured in the same run.

For each size it writes a synthetic CSV (semicolons, names with accents, RUNs with their
check digits, passports, birth dates in mixed formats, communes by name, code or a desk's
abbreviation), imports it into a fresh SQLite file database (and PostgreSQL with --pg)
with ``importing.import_persons`` as a supervisor, then writes the same persons' rows
(person, identity_document, person_key, import_ref, audit_event) into another fresh
database with one raw ``executemany`` per table through sqlite3 / psycopg directly: what
the database alone costs. Prints rows/s for both, their ratio, and the peak RSS.
Asserts nothing; never runs in the test suite.

Usage: python bench/importing.py [--quick] [--pg] [--sizes 5000,30000,100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from casework import refdata
from casework.db import Database, open_database
from casework.ids import uuid7
from casework.services import staff
from casework.services.context import Context
from casework.services.importing import import_persons
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


def timed_import(db: Database, csv: Path) -> tuple[float, float, Any]:
    """Wall time, this process's CPU time (a loaded machine inflates the first) and the
    report."""
    ctx = supervisor(db)
    start, cpu = time.perf_counter(), time.process_time()
    report = import_persons(ctx, csv)
    return time.perf_counter() - start, time.process_time() - cpu, report


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


def raw_sqlite(path: Path, data: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    """One executemany per table into a fresh schema, batches of 1,000 rows committed each."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = OFF")
    start = time.perf_counter()
    n = len(data["person"][1])
    for lo in range(0, n, 1000):
        ids = {r[0] for r in data["person"][1][lo : lo + 1000]}
        for table, (cols, rows) in data.items():
            pid = cols.index("id" if table == "person" else "person_id")
            chunk = (
                [r for r in rows if r[pid] in ids] if table != "person" else rows[lo : lo + 1000]
            )
            marks = ",".join("?" * len(cols))
            conn.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", chunk)
        conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def raw_pg(url: str, data: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    import psycopg
    from psycopg.types.json import Json

    data = {
        table: (
            cols,
            [tuple(Json(v) if isinstance(v, list | dict) else v for v in r) for r in rows],
        )
        for table, (cols, rows) in data.items()
    }
    conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
    start = time.perf_counter()
    n = len(data["person"][1])
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK checks: raw
        for lo in range(0, n, 1000):
            ids = {r[0] for r in data["person"][1][lo : lo + 1000]}
            for table, (cols, rows) in data.items():
                pid = cols.index("id" if table == "person" else "person_id")
                chunk = (
                    [r for r in rows if r[pid] in ids]
                    if table != "person"
                    else rows[lo : lo + 1000]
                )
                marks = ",".join(["%s"] * len(cols))
                cur.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", chunk)
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
        elapsed, cpu, report = timed_import(db, csv)
        data = raw_rows(db)
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
            f"peak RSS {peak_rss_mb():,.0f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows only")
    parser.add_argument("--pg", action="store_true", help="also PostgreSQL at 127.0.0.1")
    parser.add_argument("--sizes", default="5000,30000,100000")
    args = parser.parse_args()
    sizes = [5000] if args.quick else [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        for rows in sizes:
            run_size(rows, Path(tmp), args.pg)


if __name__ == "__main__":
    main()
