"""The full duplicate scan at office size (issue #19): wall and CPU time, peak resident
memory and pairs found by ``duplicate_queue.scan`` (what ``casework dedupe scan`` and the
queue screen run), beside the raw SQL that enumerates the same candidate pairs on the same
file: the self-join of person_key on the blocking keys the scan reads, blocks of 2 to 60.

The database is copied into a private temporary folder first (the scan writes its queue);
the scan runs in a child process, so the peak memory is the scan's own. Prints figures;
asserts nothing; never runs in the test suite.

Targets: <= 60 s at 100k persons, <= 15 min at 1M; <= 250 MB resident with 1M open.
Usage: python bench/scan.py DB [LABEL]   e.g. bench/scan.py /work/benchdata/d100k.db 100k
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = {"100k": 60.0, "1m": 15 * 60.0}
TARGET_MB = 250.0


def _child(path: str) -> None:
    """Run the scan (in the child process) and print its figures as JSON."""
    import sqlalchemy as sa

    from casework.db import open_database
    from casework.models import Worker
    from casework.services import duplicate_queue
    from casework.services.context import Context

    db = open_database(path)
    with db.read() as s:
        sup = s.scalar(sa.select(Worker.id).where(Worker.role == "supervisor").limit(1))
    assert sup is not None, "no supervisor: build the database with `casework demo`"
    idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall, cpu = time.perf_counter(), time.process_time()
    counted: list[float] = []
    counted_s: list[float] = []

    def watch(status: duplicate_queue.ScanStatus) -> None:
        if status.stage == "scoring" and not counted:  # frequencies and block sizes read
            counted.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            counted_s.append(time.perf_counter() - wall)

    report = duplicate_queue.scan(Context(db, sup), watch=watch)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    db.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": wall,
                "cpu": cpu,
                "peak_mb": peak,
                "idle_mb": idle,
                "counted_mb": counted[0] if counted else peak,
                "counted_s": counted_s[0] if counted_s else wall,
                "persons": report.persons,
                "pairs": report.pairs_found,
            }
        )
    )


def _raw_candidates(path: str) -> tuple[int, float]:
    """Candidate pairs by the SQL self-join of the scan's keys (blocks of 2..60)."""
    from casework.matching import DEFAULT_MAX_BLOCK
    from casework.services.duplicate_queue import SCAN_KINDS

    kinds = ",".join(f"'{k}'" for k in SCAN_KINDS)
    sql = f"""
        WITH blocks AS (
            SELECT kind, key FROM person_key WHERE kind IN ({kinds})
            GROUP BY kind, key HAVING count(*) BETWEEN 2 AND {DEFAULT_MAX_BLOCK})
        SELECT count(*) FROM (
            SELECT DISTINCT a.person_id, b.person_id
            FROM blocks JOIN person_key a ON a.kind = blocks.kind AND a.key = blocks.key
            JOIN person_key b ON b.kind = a.kind AND b.key = a.key
                AND a.person_id < b.person_id)"""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    started = time.perf_counter()
    (n,) = conn.execute(sql).fetchone()
    seconds = time.perf_counter() - started
    conn.close()
    return int(n), seconds


def _raw_frequencies(path: str) -> float:
    """Seconds of the SQL the scan's term frequencies are read with (services/
    match_records.py: rows per kind, and per value held twice or more), run raw."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    where = "WHERE kind >= 'f' AND kind < 'h'"
    started = time.perf_counter()
    conn.execute(f"SELECT kind, count(*) FROM person_key {where} GROUP BY kind").fetchall()
    conn.execute(
        f"SELECT kind, key, count(*) FROM person_key {where} GROUP BY kind, key HAVING count(*) > 1"
    ).fetchall()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def measure(db_path: str, people_label: str) -> list[dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="casework-scan-"))
    os.chmod(folder, 0o700)
    try:
        copy = folder / "scan.db"
        shutil.copyfile(db_path, copy)
        candidates, raw_seconds = _raw_candidates(str(copy))
        raw_tf = _raw_frequencies(str(copy))
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(copy)],
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    label = people_label.lower()
    limit = TARGET_SECONDS.get(label)
    return [
        {
            "figure": f"full duplicate scan, {people_label}, SQLite",
            "measured": round(got["seconds"], 1),
            "unit": "s",
            "baseline": round(raw_seconds, 1),
            "baseline_name": "raw SQL self-join enumerating the same candidate pairs",
            "target": f"≤ {limit:.0f} s" if limit else "≤ 60 s at 100k, ≤ 15 min at 1M",
            "passed": got["seconds"] <= limit if limit else None,
        },
        {
            "figure": f"full duplicate scan CPU time, {people_label}, SQLite",
            "measured": round(got["cpu"], 1),
            "unit": "s",
            "baseline": None,
            "baseline_name": "",
            "target": "",
            "passed": None,
        },
        {
            "figure": f"full duplicate scan, frequencies and block sizes read, {people_label}",
            "measured": round(got["counted_s"], 1),
            "unit": "s",
            "baseline": round(raw_tf, 1),
            "baseline_name": "raw SQL of the stored counts (rows per kind, values held twice+)",
            "target": "",
            "passed": None,
        },
        {
            "figure": f"full duplicate scan peak RSS, {people_label}",
            "measured": round(got["peak_mb"], 1),
            "unit": "MB",
            "baseline": round(got["idle_mb"], 1),
            "baseline_name": "the same process with the database open, before the scan"
            f" (after counting the term frequencies: {got['counted_mb']:.0f} MB)",
            "target": f"≤ {TARGET_MB:.0f} MB",
            "passed": got["peak_mb"] <= TARGET_MB,
        },
        {
            "figure": f"full duplicate scan pairs found, {people_label}",
            "measured": float(got["pairs"]),
            "unit": "",
            "baseline": float(candidates),
            "baseline_name": "candidate pairs sharing a key (SQL self-join)",
            "target": "",
            "passed": None,
        },
    ]


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        _child(argv[1])
        return
    if not argv:
        sys.exit(__doc__)
    path = argv[0]
    label = argv[1] if len(argv) > 1 else Path(path).stem
    for row in measure(path, label):
        base = "" if row["baseline"] is None else f"  (baseline {row['baseline']} {row['unit']})"
        print(f"{row['figure']}: {row['measured']} {row['unit']}{base}  target {row['target']}")


if __name__ == "__main__":
    main(sys.argv[1:])
