"""Office-scale benchmark: the supervisor's caseload summary and the Panel export, each
beside a raw baseline; run directly, also the intake lookups and the full duplicate scan.

The demo's dates are relative to the day it was built, so the clock is frozen then (the
caseload's last 30 days) or in January after it (the Panel's year, every period closed).
`bench/run.py` calls `caseload_rows` and `panel_rows`; the export writes its ledger rows,
so give it a copy of the database. Targets (issue #19): caseload summary <= 0.5 s; Panel
export <= 5 s.
Usage: python bench/office.py --db PATH [--label 100k] [--all]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from search import Replay, backend, candidate_rows, figure_row  # bench/search.py

from casework import clock
from casework.db import Database, open_database
from casework.models import AuditEvent, Worker
from casework.services import duplicate_queue, panel, reports
from casework.services.context import Context

CASELOAD_S = 0.5
PANEL_S = 5.0


def built_at(db: Database) -> dt.datetime:
    """When the demo was generated (its audit event), aware."""
    with db.read() as s:
        at: dt.datetime | None = s.scalar(
            sa.select(sa.func.min(AuditEvent.at)).where(AuditEvent.action == "demo")
        )
    at = at or clock.now()
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _worker(db: Database, username: str) -> Any:
    with db.read() as s:
        return s.scalar(sa.select(Worker.id).where(Worker.username == username))


def caseload_rows(db_url: str, label: str, runs: int = 5) -> list[dict[str, Any]]:
    """The supervisor's caseload report (last 30 days), worst of ``runs`` after one warm-up,
    beside its statements replayed raw."""
    db = open_database(db_url, upgrade=False)
    replay = Replay(db)
    clock.freeze(built_at(db))
    try:
        ctx = Context(db, _worker(db, "supervisora"))
        reports.caseload(ctx)
        took, raws = [], []
        for _ in range(runs):
            ms, raw, _report = replay.timed(lambda: reports.caseload(ctx))
            took.append(ms / 1000)
            raws.append(raw / 1000)
    finally:
        clock.freeze(None)
        replay.close()
        db.dispose()
    return [
        figure_row(
            f"caseload summary (worst of {runs}), {label}, {backend(db)}",
            max(took),
            max(raws),
            "its SQL replayed raw",
            f"≤ {CASELOAD_S:g} s",
            max(took) <= CASELOAD_S,
            unit="s",
        )
    ]


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


def panel_rows(db_path: str, label: str, *, verbose: bool = False) -> list[dict[str, Any]]:
    """The Panel's year as an office sends it: four quarters, then the year, each protected
    against the ones before (its chain grows), into a fresh folder. The figure is the
    slowest export, beside sqlite3 reading the same period's facts. Writes ledger rows:
    ``db_path`` should be a copy."""
    db = open_database(db_path, upgrade=False)
    if not db.is_sqlite or db.file_path is None:
        raise ValueError("the Panel export figure runs on an SQLite file")
    admin = _worker(db, "admin")
    out = Path(tempfile.mkdtemp(prefix="casework-bench-")) / "enviadas"
    year = built_at(db).year
    clock.freeze(dt.datetime(year + 1, 1, 15, 12, tzinfo=dt.UTC))
    worst = (0.0, 0.0, "")
    try:
        for period in [f"{year}-Q{q}" for q in range(1, 5)] + [str(year)]:
            t = time.perf_counter()
            # A copied demo has sent nothing: said once, as `--none-sent` would.
            first = period.endswith("-Q1")
            result = panel.export(Context(db, admin), period, out, none_sent=first)
            took = time.perf_counter() - t
            raw = _raw_facts(db.file_path, period)
            if took > worst[0]:
                worst = (took, raw, period)
            if verbose:
                chain = json.loads((out / f"panel-{period}.json").read_bytes())["chain"]
                print(
                    f"panel export {period}: {took:.2f} s (raw facts {raw:.2f} s), chain"
                    f" {len(chain)}{', unchanged' if result.unchanged else ''}"
                )
    finally:
        clock.freeze(None)
        db.dispose()
    took, raw, period = worst
    return [
        figure_row(
            f"Panel export (slowest: {period}), {label}, SQLite",
            took,
            raw,
            "sqlite3 reading the period's facts",
            f"≤ {PANEL_S:g} s",
            took <= PANEL_S,
            unit="s",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a demo database (a copy: it is written)")
    parser.add_argument("--label", default="100k")
    parser.add_argument("--all", action="store_true", help="also candidates and the full scan")
    args = parser.parse_args()
    rows = caseload_rows(args.db, args.label) + panel_rows(args.db, args.label, verbose=True)
    if args.all:
        rows += candidate_rows(args.db, args.label)
    for row in rows:
        base = f"{row['baseline']:.2f}" if row["baseline"] is not None else "-"
        print(f"{row['figure']:60} {row['measured']:8.2f} {base:>8}  {row['target']}")
    if args.all:
        db = open_database(args.db, upgrade=False)
        t = time.perf_counter()
        report = duplicate_queue.scan(Context(db, _worker(db, "supervisora")))
        print(
            f"full duplicate scan: {time.perf_counter() - t:.1f} s over {report.persons:,} "
            f"persons, {report.pairs_found:,} pairs"
        )
        db.dispose()


if __name__ == "__main__":
    main()
