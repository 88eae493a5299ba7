"""The desk's screens: first screen after start, memory, and statements per row.

- ``first_screen_rows``: a fresh Python process opens the demo database as ``casework
  --demo`` does, runs the desk headless (``run_test``) until the day screen has drawn its
  lists, then searches a surname on the search screen. The figures: seconds from the
  process's start to the day screen drawn (beside a bare ``python -c "import textual"``),
  and the process's resident memory after the search. A desk no longer scans for
  duplicates at start-up (only once left idle: screens/background.py), so neither figure
  should include a scan; if one runs, the memory figure says so.
- ``query_count_rows``: the statements each main screen's service sends, on a small and a
  ten times larger demo database; a screen whose count grows with its rows sends a query per
  row (issue #19).
Usage: python bench/screens.py --db PATH [--label 1m] | --queries
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from search import figure_row  # bench/search.py

from casework import clock
from casework.db import Database, open_database
from casework.models import Contact, Person, Worker
from casework.services import (
    desk,
    duplicate_queue,
    followups,
    person_file,
    persons,
    referrals,
    reports,
    rights,
)
from casework.services.context import Context

FIRST_SCREEN_S = 0.8
MEMORY_MB = 250.0
HERE = Path(__file__).resolve()


# First screen and memory -----------------------------------------------------------------


def _rss_mb() -> tuple[float, float]:
    """(resident, peak resident) MB of this process, from /proc."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


async def _desk(db_path: str, started: float, surname: str) -> dict[str, float]:
    from casework.app import make_app
    from casework.cli.opening import open_cli_database
    from casework.screens.search import SearchScreen
    from casework.screens.today import TodayScreen

    db = open_cli_database(db_path)
    app = make_app(db, demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, TodayScreen) and app.screen.data is not None):
            await pilot.pause(0.005)
        await pilot.pause()  # its lists drawn
        ready = time.time() - started
        await pilot.press("ctrl+f")
        await pilot.press(*surname)
        t = time.perf_counter()
        while not (isinstance(app.screen, SearchScreen) and app.screen.results):
            await pilot.pause(0.005)
            if time.perf_counter() - t > 60:
                break
        await pilot.pause(0.2)  # the last keystroke's search shown
        rss, peak = _rss_mb()
        scanning = float(app.background_scan.running)
    return {"ready": ready, "rss": rss, "peak": peak, "scanning": scanning}


def _child(db_path: str, started: float, surname: str) -> None:
    out = asyncio.run(_desk(db_path, started, surname))
    print(json.dumps(out), flush=True)
    os._exit(0)  # a background scan's thread is not waited for


def _surname(db_path: str) -> str:
    db = open_database(db_path, upgrade=False)
    try:
        with db.read() as s:
            name = s.scalar(sa.select(Person.first_surname).order_by(Person.id).limit(1))
    finally:
        db.dispose()
    return str(name or "Gonzalez")


def first_screen_rows(db_path: str, label: str, runs: int = 2) -> list[dict[str, Any]]:
    """Start the desk ``runs`` times in a fresh process (the figure is the fastest), beside
    ``python -c "import textual"``. The desk signs in (it scans for duplicates only once
    idle, so not here); the memory figure is the worst of the runs, and if a scan ran the
    one without is shown beside it. Give it a copy of the database."""
    surname = _surname(db_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent), *sys.path]))
    results = []
    for _ in range(runs):
        started = time.time()
        done = subprocess.run(
            [sys.executable, str(HERE), "--child", db_path, str(started), surname],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the desk did not start: {done.stderr.strip()[-500:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    bare = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import textual"], check=True)
        bare.append(time.perf_counter() - t)
    ready = min(r["ready"] for r in results)
    rss = max(r["rss"] for r in results)
    scan = " (its duplicate scan running)" if any(r["scanning"] for r in results) else ""
    quiet = [r["rss"] for r in results if not r["scanning"]]
    without = f"{min(quiet):.0f} MB without a scan running; " if quiet and scan else ""
    starts = ", ".join(f"{r['ready']:.2f}" for r in results)
    return [
        figure_row(
            f"first screen after start, {label}, SQLite",
            ready,
            min(bare),
            f'python -c "import textual"; starts {starts} s',
            f"≤ {FIRST_SCREEN_S:g} s",
            ready <= FIRST_SCREEN_S,
            unit="s",
        ),
        figure_row(
            f"memory after the first screen and a search, {label}{scan}",
            rss,
            None,
            f"{without}peak {max(r['peak'] for r in results):.0f} MB",
            f"≤ {MEMORY_MB:g} MB",
            rss <= MEMORY_MB,
            unit="MB",
        ),
    ]


# Statements per row ------------------------------------------------------------------------


def _count_rows(value: Any) -> int:
    """How many rows a service's answer holds: list lengths, one level into its fields."""
    if isinstance(value, list | tuple):
        return len(value)
    items = getattr(value, "items", None)
    if isinstance(items, list):
        return len(items)
    fields = getattr(value, "__dataclass_fields__", None) or getattr(
        type(value), "model_fields", None
    )
    if not fields:
        return 1
    total = 0
    for name in fields:
        inner = getattr(value, name)
        inner_items = getattr(inner, "items", None)
        if isinstance(inner, list | tuple):
            total += len(inner)
        elif isinstance(inner_items, list):
            total += len(inner_items)
    return total


def _statements(db: Database, call: Callable[[], Any]) -> tuple[int, int]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    call()  # once first: caches (frequencies, catalogue) are not what is counted
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        answer = call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen), _count_rows(answer)


def _screens(db: Database) -> dict[str, Callable[[], Any]]:
    with db.read() as s:
        ids = dict(s.execute(sa.select(Worker.username, Worker.id)).all())
        busiest = s.scalar(
            sa.select(Contact.person_id)
            .group_by(Contact.person_id)
            .order_by(sa.func.count().desc(), Contact.person_id)
            .limit(1)
        )
        surname = s.scalar(
            sa.select(Person.first_surname)
            .group_by(Person.first_surname)
            .order_by(sa.func.count().desc())
            .limit(1)
        )
    desk_ctx = Context(db, ids["demo"])
    sup = Context(db, ids["supervisora"])
    admin = Context(db, ids["admin"])

    def person() -> Any:
        return person_file.open_file(sup, busiest, "desk_visit")

    return {
        "day (today)": lambda: desk.day(desk_ctx, limit=50),
        "follow-ups due": lambda: followups.due_for_worker(desk_ctx, limit=50),
        "referrals waiting": lambda: referrals.waiting(desk_ctx, limit=50),
        "search": lambda: persons.search_persons(sup, surname or "a", limit=30),
        "person file": person,
        "caseload summary": lambda: reports.caseload(sup),
        "caseload drill (open cases)": lambda: reports.drill(sup, "open_cases", limit=50),
        "duplicate queue": lambda: duplicate_queue.queue(sup, limit=50),
        "audit trail": lambda: desk.trail_page(admin, limit=50),
        "rights register": lambda: desk.rights_register(sup),
        "retention review": lambda: _years_later(lambda: desk.retention_review(sup)),
        "staff lists": lambda: desk.staff_lists(admin),
    }


def _years_later(call: Callable[[], Any]) -> Any:
    """``call`` ten years on: the demo's closed cases are then past their retention."""
    clock.freeze(clock.now() + dt.timedelta(days=3653))
    try:
        return call()
    finally:
        clock.freeze(None)


def _demo(folder: Path, people: int) -> Database:
    from casework.synthetic import demo

    db = open_database(str(folder / f"q{people}.db"))
    demo.generate(Context(db), people)
    with db.read() as s:
        sup = s.scalar(sa.select(Worker.id).where(Worker.username == "supervisora"))
        some = s.scalars(sa.select(Person.id).order_by(Person.id).limit(people // 50)).all()
    duplicate_queue.scan(Context(db, sup))  # the queue's pairs
    for pid in some:  # the rights register's rows, in proportion to the office
        rights.register(Context(db, sup), {"person_id": pid, "kind": "access"})
    return db


def query_count_rows(few: int = 150, many: int = 1500) -> list[dict[str, Any]]:
    """Statements per screen read on a ``few``-person and a ``many``-person demo; one row
    per screen (fails when the count grows with the rows) and one summary row."""
    folder = Path(tempfile.mkdtemp(prefix="casework-bench-queries-"))
    counts: dict[str, list[tuple[int, int] | str]] = {}
    for people in (few, many):
        db = _demo(folder, people)
        try:
            for name, call in _screens(db).items():
                try:
                    counts.setdefault(name, []).append(_statements(db, call))
                except Exception as exc:  # a screen this worker may not open: say so
                    counts.setdefault(name, []).append(f"{type(exc).__name__}: {exc}"[:80])
        finally:
            db.dispose()
    rows, growing = [], []
    for name, (small, large) in counts.items():
        if isinstance(small, str) or isinstance(large, str):
            problem = small if isinstance(small, str) else large
            rows.append(
                figure_row(
                    f"statements, {name}", float("nan"), None, str(problem), "", None, unit=""
                )
            )
            continue
        (n_small, r_small), (n_large, r_large) = small, large
        grows = n_large > n_small and r_large > r_small
        if grows:
            growing.append(name)
        rows.append(
            figure_row(
                f"statements, {name} ({r_small} → {r_large} rows)",
                float(n_large),
                float(n_small),
                f"the same read with {r_small} rows",
                "no more statements for more rows",
                not grows,
                unit="",
            )
        )
    rows.append(
        figure_row(
            "screens sending a query per row" + (f" ({', '.join(growing)})" if growing else ""),
            float(len(growing)),
            None,
            f"{len(counts)} screens' reads counted at {few} and {many} persons",
            "0",
            not growing,
            unit="",
        )
    )
    return rows


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], float(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="a demo database (a copy: the desk signs in and writes)")
    parser.add_argument("--label", default="1m")
    parser.add_argument("--queries", action="store_true", help="count statements per screen")
    args = parser.parse_args()
    rows = first_screen_rows(args.db, args.label) if args.db else []
    if args.queries:
        rows += query_count_rows()
    for row in rows:
        base = f"{row['baseline']:.2f}" if row["baseline"] is not None else "-"
        print(f"{row['figure']:70} {row['measured']:8.2f} {base:>8}  {row['target']}")


if __name__ == "__main__":
    main()
