"""Foundation benchmark: build a 100,000-person demo database and time name searches.

Prints figures; asserts nothing (targets: demo < 60 s, name search < 20 ms).
Usage: python bench/foundation.py [--people N] [--db PATH] [--keep]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from casework.db import open_database
from casework.models import Person, Worker
from casework.services import persons
from casework.services.context import Context
from casework.synthetic import demo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", help="where to build it (default: a temporary file)")
    parser.add_argument("--searches", type=int, default=300)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="casework-bench-")
    path = Path(args.db) if args.db else Path(folder) / "bench.db"
    db = open_database(str(path))

    started = time.perf_counter()
    report = demo.generate(Context(db), args.people)
    elapsed = time.perf_counter() - started
    size_mb = path.stat().st_size / 1e6
    print(
        f"demo --people {args.people:,}: {elapsed:.1f} s ({size_mb:,.0f} MB, "
        f"{sum(report.rows.values()):,} rows)  target < 60 s"
    )

    with db.read() as s:
        worker_id = s.scalar(sa.select(Worker.id).where(Worker.username == "demo"))
        rows = s.execute(
            sa.select(Person.given_names, Person.first_surname, Person.second_surname)
            .order_by(sa.func.random())
            .limit(args.searches)
        ).all()
    ctx = Context(db, worker_id)
    rng = random.Random(1)
    queries = []
    for given, first, second in rows:
        kind = rng.randrange(4)
        if kind == 0:
            queries.append(first)  # one surname: many hits, first page only
        elif kind == 1:
            queries.append(f"{given.split()[0]} {first}")
        elif kind == 2:
            queries.append(f"{first[:4]} {(second or given)[:3]}")  # as typed, partial
        else:
            queries.append(f"{given.split()[0][:3]}")
    persons.search_persons(ctx, "warm up")
    times = []
    for q in queries:
        t = time.perf_counter()
        persons.search_persons(ctx, q, limit=30)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"name search ({len(times)} queries, 30 results with last contact): "
        f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
        f"max {times[-1]:.1f} ms  target < 20 ms"
    )
    db.dispose()


if __name__ == "__main__":
    main()
