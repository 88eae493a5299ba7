"""Long lists at office size: time to the first page and to End (the last page) of the day's
overdue follow-ups, the duplicate queue and the audit trail, each beside the same SQL run
raw.

For each list it times the service the screen's worker calls (a Page: the COUNT of the
whole list and one page of rows, ready to show), first page (offset 0) and End (offset -1,
read backwards from the end), then replays the very SQL statements the service sent,
captured from the engine, through the sqlite3 module on the same file: the raw baseline,
measured in the same run. The demo writes no duplicate pairs (the scan finds them) and few
audit events, so the bench first adds synthetic ones in bulk up to --pairs and --events.
Prints figures; asserts nothing; never runs in the test suite.

Usage: python bench/lists.py [--people N] [--db PATH] [--pairs N] [--events N] [--runs N]
(build the 100k demo once into a file with ``casework demo --people 100000 --db PATH`` and
pass it with --db).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework import clock
from casework.db import open_database
from casework.models import AuditEvent, FollowUp, MatchPair, Person, Worker
from casework.services import audit_log, desk, duplicate_queue, followups
from casework.services.context import Context
from casework.synthetic import demo

PAGE = 200


def fill(db: Any, pairs: int, events: int, seed: int = 15) -> None:
    """Synthetic pending pairs and audit events, in bulk, up to the numbers asked."""
    rng = random.Random(seed)
    with db.read() as s:
        have_pairs = s.scalar(sa.select(sa.func.count()).select_from(MatchPair)) or 0
        have_events = s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0
        ids = list(s.scalars(sa.select(Person.id).where(Person.merged_into_id.is_(None))))
        workers = list(s.scalars(sa.select(Worker.id)))
    if have_pairs < pairs:
        known: set[tuple[uuid.UUID, uuid.UUID]] = set()
        rows = []
        while len(rows) < pairs - have_pairs:
            a, b = sorted(rng.sample(ids, 2))
            if (a, b) in known:
                continue
            known.add((a, b))
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "person_a": a,
                    "person_b": b,
                    "score": round(rng.uniform(0.5, 1.0), 4),
                    "reasons": [],
                    "status": "pending",
                }
            )
        with db.write() as s:
            for i in range(0, len(rows), 5000):
                s.execute(sa.insert(MatchPair), rows[i : i + 5000])
        print(f"added {len(rows):,} synthetic pending pairs")
    if have_events < events:
        start = clock.now() - dt.timedelta(days=365)
        n = events - have_events
        with db.write() as s:
            for i in range(0, n, 20000):
                chunk = []
                for j in range(i, min(n, i + 20000)):
                    pid = rng.choice(ids)
                    chunk.append(
                        {
                            "id": uuid.uuid4(),
                            "at": start + dt.timedelta(seconds=j * 60),
                            "worker_id": rng.choice(workers),
                            "action": "view",
                            "entity": "person",
                            "entity_id": pid,
                            "person_id": pid,
                            "details": {},
                        }
                    )
                s.execute(sa.insert(AuditEvent), chunk)
        print(f"added {n:,} synthetic audit events")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", help="an existing demo database to reuse, or where to build one")
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "lists.db"
    db = open_database(str(path))
    with db.read() as s:
        existing = s.scalar(sa.select(sa.func.count()).select_from(Person)) or 0
    if not existing:
        t = time.perf_counter()
        demo.generate(Context(db), args.people)
        print(f"demo --people {args.people:,}: {time.perf_counter() - t:.1f} s")
    fill(db, args.pairs, args.events)
    yesterday = clock.today() - dt.timedelta(days=1)
    with db.read() as s:
        persons = s.scalar(sa.select(sa.func.count()).select_from(Person))
        # The desk worker with the longest overdue list.
        busiest, late = s.execute(
            sa.select(FollowUp.worker_id, sa.func.count())
            .where(FollowUp.status == "pending", FollowUp.due_on <= yesterday)
            .group_by(FollowUp.worker_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()
        supervisor = s.scalar(sa.select(Worker.id).where(Worker.username == "supervisora"))
        pairs = s.scalar(sa.select(sa.func.count()).where(MatchPair.status == "pending"))
        events = s.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    print(
        f"persons {persons:,}; overdue of the busiest worker {late:,}; pending pairs"
        f" {pairs:,}; audit events {events:,}; page {PAGE} rows"
    )
    worker_ctx, sup_ctx = Context(db, busiest), Context(db, supervisor)

    sent: list[tuple[str, Any]] = []
    capturing = [False]

    @sa.event.listens_for(db.engine, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if capturing[0] and statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, params))

    raw = sqlite3.connect(str(path))
    raw.execute("PRAGMA query_only = 1")

    def replay(statements: list[tuple[str, Any]]) -> None:
        for statement, params in statements:
            raw.execute(statement, params).fetchall()

    def measure(call: Callable[[], object]) -> tuple[float, float]:
        """Median ms of the service call, and of its SQL replayed raw."""
        call()  # warm the caches
        sent.clear()
        capturing[0] = True
        call()
        capturing[0] = False
        statements = list(sent)
        services, raws = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            call()
            services.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            replay(statements)
            raws.append((time.perf_counter() - t) * 1000)
        return statistics.median(services), statistics.median(raws)

    lists: dict[str, Callable[[int], object]] = {
        "day: overdue follow-ups": lambda offset: followups.due_for_worker(
            worker_ctx, until=yesterday, offset=offset, limit=PAGE
        ),
        "duplicate queue": lambda offset: duplicate_queue.queue(sup_ctx, offset=offset, limit=PAGE),
        "audit trail": lambda offset: audit_log.events(sup_ctx, offset=offset, limit=PAGE),
    }
    print(f"\n{'list':26} {'where':6} {'service':>9} {'raw SQL':>9} {'ratio':>6}")
    for name, read in lists.items():
        for where, offset in (("first", 0), ("End", -1)):
            service, baseline = measure(lambda o=offset, r=read: r(o))  # type: ignore[misc]
            print(
                f"{name:26} {where:6} {service:7.1f}ms {baseline:7.1f}ms"
                f" {service / baseline if baseline else 0:5.1f}x"
            )
    day, _ = measure(lambda: desk.day(worker_ctx))
    print(f"\nthe whole day (desk.day: today, overdue, waiting, recent; first pages): {day:.1f}ms")
    raw.close()


if __name__ == "__main__":
    main()
