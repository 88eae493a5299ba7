"""The duplicate matcher's term frequencies at office size (issue #19 point 1): the first
intake check after a start and warm checks (p50/p95), each beside the same SQL replayed
raw; the denominators' recount beside the raw GROUP BY; migration 0022's backfill.

Before: the first check recounted every person in Python (7.8-11.2 s at 100k; ``--old``
times that count once). Now a check sends two statements over person_key (the counts of
the blocking keys and of the values typed, with the stored denominators; then the
persons sharing the usable keys, with their records), a third in about half the checks
(the counts of a candidate's own names the comparisons ask about), and reads the last
contact of the few shown.

The raw baseline replays, through the driver alone (sqlite3 or psycopg), the very
statements the check sent, captured from the engine: what the database costs, without
the Python around it. Prints figures; asserts nothing; never runs in the test suite.
Never point it at a shared demo file: copy it first (migrating writes to it).

Usage: python bench/frequencies.py --db /tmp/x/d100k.db [--probes 200] [--migrate] [--old]
       python bench/frequencies.py --db postgresql+psycopg://...  (a demo loaded there)
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import statistics
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from casework.db import Database
from casework.matching import PersonRecord, TermFrequencies
from casework.models import Person, PersonKey, Worker
from casework.services import candidates, likely, match_records
from casework.services.context import Context

Row = dict[str, Any]


def row(
    figure: str,
    measured: float,
    unit: str,
    baseline: float | None,
    baseline_name: str,
    target: str,
    passed: bool | None,
) -> Row:
    return {
        "figure": figure,
        "measured": round(measured, 2),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 2),
        "baseline_name": baseline_name,
        "target": target,
        "passed": passed,
    }


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def probes(db: Database, n: int, seed: int = 7) -> list[PersonRecord]:
    """Persons on record as another desk types them a few keystrokes in: given names
    shortened or mistyped, no second surname, a birth date; a third with a document."""
    rng = random.Random(seed)
    with db.read() as s:
        ids = list(s.scalars(sa.select(Person.id).order_by(sa.func.random()).limit(n)))
        records = match_records.load_records(s, ids)
    rng.shuffle(records)
    out = []
    for i, r in enumerate(records):
        given = r.given_names.split()[0] if i % 2 else r.given_names[:-1] + "x"
        out.append(
            match_records.record_of(
                "intake",
                given,
                r.first_surname,
                None,
                r.birth_date,
                None,
                None,
                r.documents[:1] if i % 3 == 0 else (),
                (),
            )
        )
    return out


class Replay:
    """The statements a call sent, captured, and replayed raw through the driver."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sent: list[tuple[str, Any]] = []
        sa.event.listen(db.engine, "before_cursor_execute", self._capture)
        if db.is_sqlite:
            self.raw: Any = sqlite3.connect(str(db.file_path))
            self.raw.execute("PRAGMA query_only = 1")
        else:
            url = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
            import psycopg

            self.raw = psycopg.connect(url, autocommit=True)

    def _capture(self, _c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.sent.append((statement, params))

    def call(self, fn: Callable[[], object]) -> tuple[float, list[tuple[str, Any]]]:
        self.sent = []
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000, list(self.sent)

    def raw_ms(self, statements: list[tuple[str, Any]]) -> float:
        t = time.perf_counter()
        for statement, params in statements:
            if self.db.is_sqlite:
                self.raw.execute(statement, params).fetchall()
            else:
                with self.raw.cursor() as cur:
                    cur.execute(statement, params)
                    cur.fetchall()
        return (time.perf_counter() - t) * 1000

    def close(self) -> None:
        sa.event.remove(self.db.engine, "before_cursor_execute", self._capture)
        self.raw.close()


def measure(url: str, label: str, n_probes: int = 200, old: bool = False) -> list[Row]:
    """Rows for one database (already at 0022): first check after a start, warm checks,
    the denominators' recount."""
    rows: list[Row] = []
    db = Database(url)
    with db.read() as s:
        worker = s.scalar(sa.select(Worker.id).where(Worker.role == "worker").limit(1))
        people = s.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
        keys = s.scalar(sa.select(sa.func.count()).select_from(PersonKey)) or 0
    target_ms = 40.0 if people > 500_000 else 15.0
    print(f"{label}: {people:,} persons, {keys:,} person_key rows")
    ctx = Context(db, worker)
    tries = probes(db, n_probes + 1)
    db.dispose()

    # The first check of a process: a new engine, nothing cached.
    likely.forget_frequencies()
    db = Database(url)
    ctx = Context(db, worker)
    replay = Replay(db)
    first, sent = replay.call(lambda: candidates.intake_candidates(ctx, tries[0]))
    first_raw = replay.raw_ms(sent)
    rows.append(
        row(
            f"first intake check after start, {label}",
            first,
            "ms",
            first_raw,
            "raw SQL of the same statements (driver only)",
            f"<= {target_ms:.0f} ms",
            first <= target_ms,
        )
    )
    warm: list[float] = []
    raw: list[float] = []
    counts: list[int] = []
    for probe in tries[1:]:
        ms, sent = replay.call(lambda p=probe: candidates.intake_candidates(ctx, p))  # type: ignore[misc]
        warm.append(ms)
        raw.append(replay.raw_ms(sent))
        counts.append(len(sent))
    p95, raw95 = pct(warm, 95), pct(raw, 95)
    rows.append(
        row(
            f"intake candidates p50, {label}",
            statistics.median(warm),
            "ms",
            statistics.median(raw),
            "raw SQL of the same statements (driver only)",
            "",
            None,
        )
    )
    rows.append(
        row(
            f"intake candidates p95, {label}",
            p95,
            "ms",
            raw95,
            "raw SQL of the same statements (driver only)",
            f"<= {target_ms:.0f} ms",
            p95 <= target_ms,
        )
    )
    print(f"  statements per check: {statistics.median(counts):.0f} (median)")
    replay.close()

    # The denominators' recount (a background thread's work, every TF_MAX_AGE).
    t = time.perf_counter()
    match_records.refresh_totals(db.engine)
    recount = time.perf_counter() - t
    sql = "SELECT kind, count(*) FROM person_key WHERE kind >= 'f' AND kind < 'h' GROUP BY kind"
    t = time.perf_counter()
    with db.engine.connect() as conn:
        conn.exec_driver_sql(sql).all()
    raw_recount = time.perf_counter() - t
    rows.append(
        row(
            f"matcher totals recount (background), {label}",
            recount,
            "s",
            raw_recount,
            "the raw GROUP BY kind",
            "off the keystroke path",
            None,
        )
    )
    if old:
        t = time.perf_counter()
        with db.read() as s:
            TermFrequencies.from_records(match_records.load_records(s))
        rows.append(
            row(
                f"old first check: every person counted, {label}",
                time.perf_counter() - t,
                "s",
                None,
                "",
                "(the figure replaced)",
                None,
            )
        )
    db.dispose()
    return rows


def migrate(path: str, label: str) -> list[Row]:
    """Migration 0022 on a copy at 0021 (it writes!), beside a raw read of what it reads."""
    raw = sqlite3.connect(path)
    t = time.perf_counter()
    raw.execute(
        "SELECT id, given_names, first_surname, second_surname, nationality, phone, phone2"
        " FROM person WHERE merged_into_id IS NULL ORDER BY id"
    ).fetchall()
    raw.execute("SELECT person_id, type_key, number_norm FROM identity_document").fetchall()
    read = time.perf_counter() - t
    raw.close()
    db = Database(f"sqlite:///{path}")
    t = time.perf_counter()
    db.upgrade(backup=False)
    took = time.perf_counter() - t
    db.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [
        row(
            f"migration 0022 (backfill + totals), {label}",
            took,
            "s",
            read,
            "raw read of the persons and documents it reads",
            "linear, memory bounded",
            None,
        ),
        row(f"peak RSS after migration 0022, {label}", rss, "MB", None, "", "bounded", None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a COPY of a demo file, or a PostgreSQL URL")
    parser.add_argument("--label", default="")
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--migrate", action="store_true", help="time 0022 first (writes)")
    parser.add_argument("--old", action="store_true", help="also time the old full count")
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    label = args.label or ("SQLite" if url.startswith("sqlite") else "PostgreSQL")
    rows: list[Row] = []
    if args.migrate and url.startswith("sqlite"):
        rows += migrate(args.db, label)
    rows += measure(url, label, args.probes, args.old)
    for r in rows:
        base = "" if r["baseline"] is None else f"  (baseline {r['baseline']} {r['unit']}: "
        base += f"{r['baseline_name']})" if base else ""
        ok = "" if r["passed"] is None else ("  PASS" if r["passed"] else "  FAIL")
        print(f"{r['figure']}: {r['measured']} {r['unit']}{base}  target {r['target']}{ok}")


if __name__ == "__main__":
    main()
