"""Office-scale benchmark: a 100,000-person database, then the supervisor's and the Panel's
work and the duplicate matcher's, each timed. Prints figures; asserts nothing.

Targets: caseload summary < 1 s; panel export < 10 s; intake candidate lookup p95 < 30 ms;
full duplicate scan < 2 min.
Usage: python bench/office.py [--people N] [--db PATH] [--probes N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from casework import clock
from casework.db import open_database
from casework.models import Person, Worker
from casework.services import candidates, duplicate_queue, match_records, panel, reports
from casework.services.context import Context
from casework.synthetic import demo


def _raw_facts(path: Path, period: str) -> float:
    """Seconds for sqlite3 alone to read what the export tabulates for ``period``."""
    year, _, quarter = period.partition("-Q")
    first = 1 if not quarter else 3 * int(quarter) - 2
    last = 12 if not quarter else first + 2
    start = f"{year}-{first:02d}-01"
    end = f"{int(year) + 1}-01-01" if last == 12 else f"{year}-{last + 1:02d}-01"
    t = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute(
        "SELECT p.id, p.nationality, p.sex, p.birth_date, p.current_status, p.commune_code,"
        " p.stats_opt_out FROM person p WHERE p.id IN (SELECT person_id FROM contact"
        " WHERE occurred_at >= ? AND occurred_at < ?)",
        (start, end),
    ).fetchall()
    conn.execute(
        "SELECT person_id, service_area, status FROM referral"
        " WHERE created_at >= ? AND created_at < ?",
        (start, end),
    ).fetchall()
    conn.close()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", help="an existing demo database to reuse, or where to build one")
    parser.add_argument("--probes", type=int, default=1000)
    args = parser.parse_args()
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "office.db"
    db = open_database(str(path))
    with db.read() as s:
        existing = s.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
    if not existing:
        t = time.perf_counter()
        demo.generate(Context(db), args.people)
        print(f"demo --people {args.people:,}: {time.perf_counter() - t:.1f} s")
    with db.read() as s:
        sup = s.scalar(sa.select(Worker.id).where(Worker.username == "supervisora"))
        admin = s.scalar(sa.select(Worker.id).where(Worker.username == "admin"))
        total = s.scalar(sa.select(sa.func.count()).select_from(Person))
    print(f"persons on record: {total:,}")

    ctx = Context(db, sup)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        reports.caseload(ctx)
        times.append(time.perf_counter() - t)
    print(
        f"caseload summary (supervisor, last 30 days): median {statistics.median(times):.2f} s"
        f", worst {max(times):.2f} s  target < 1 s"
    )

    # The Panel's year, as an office sends it: four quarters, then the year, each protected
    # against the ones before (its chain grows). Periods in progress are refused, so the
    # clock stands in January of the next year. Baseline: the same persons' facts read raw.
    out = Path(tempfile.mkdtemp()) / "enviadas"  # siblings of the folder are checked
    year = clock.today().year
    clock.freeze(dt.datetime(year + 1, 1, 15, 12, tzinfo=dt.UTC))
    try:
        for period in [f"{year}-Q{q}" for q in range(1, 5)] + [str(year)]:
            t = time.perf_counter()
            result = panel.export(Context(db, admin), period, out)
            took = time.perf_counter() - t
            raw = _raw_facts(path, period)
            size = (out / f"panel-{period}.json").stat().st_size
            print(
                f"panel export {period}: {took:.2f} s (raw facts read {raw:.2f} s, "
                f"{took / raw:.1f}x), JSON {size / 1024:.0f} KiB, chain "
                f"{len(json.loads((out / f'panel-{period}.json').read_bytes())['chain'])}"
                f"{'' if not result.unchanged else ', unchanged'}  target < 10 s"
            )
    finally:
        clock.freeze(None)

    # Intake lookups: probes as another desk would type a person on record.
    rng = random.Random(7)
    with db.read() as s:
        people = s.execute(
            sa.select(
                Person.id,
                Person.given_names,
                Person.first_surname,
                Person.second_surname,
                Person.birth_date,
                Person.sex,
            )
            .order_by(sa.func.random())
            .limit(args.probes)
        ).all()
    lookups, hits = [], 0
    candidates.intake_candidates(
        ctx, match_records.record_of("warm", "Maria", "Gonzalez", None, None, None, None)
    )
    for p in people:
        variant = demo.desk_variant(
            rng,
            {
                "id": p.id,
                "given_names": p.given_names,
                "first_surname": p.first_surname,
                "second_surname": p.second_surname,
                "birth_date": p.birth_date,
            },
        )
        probe = match_records.record_of(
            "probe",
            variant["given_names"],
            variant["first_surname"],
            variant["second_surname"],
            variant["birth_date"],
            p.sex,
            None,
        )
        t = time.perf_counter()
        found = candidates.intake_candidates(ctx, probe)
        lookups.append((time.perf_counter() - t) * 1000)
        hits += any(c.person.id == p.id for c in found)
    lookups.sort()
    p95 = lookups[int(len(lookups) * 0.95) - 1]
    print(
        f"intake candidates ({len(lookups)} respelled probes): median "
        f"{statistics.median(lookups):.1f} ms, p95 {p95:.1f} ms  target p95 < 30 ms; "
        f"true person in the top 5: {hits / len(lookups):.1%}"
    )

    t = time.perf_counter()
    report = duplicate_queue.scan(Context(db, sup))
    print(
        f"full duplicate scan: {time.perf_counter() - t:.1f} s over {report.persons:,} "
        f"persons, {report.pairs_found:,} pairs  target < 120 s"
    )
    db.dispose()


if __name__ == "__main__":
    main()
