"""The supervisor's caseload summary: figures, drill-down, command line and screen."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from casework import clock
from casework.db import Database
from casework.errors import InvalidInput, NotAllowed
from casework.services import persons, referrals, reports
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data, schedule_follow_up


def _visit(ctx: Context, **person: object) -> object:
    return persons.register_intake(ctx, intake_data(person_data(**person))).person_id


def test_caseload_counts_what_each_worker_carries(
    ctx: Context, database: Database, supervisor: WorkerOut, worker: WorkerOut
) -> None:
    today = clock.today()
    a = _visit(ctx)
    b = _visit(
        ctx,
        given_names="Marie",
        first_surname="Joseph",
        second_surname=None,
        nationality="HTI",
        documents=[],
    )
    schedule_follow_up(ctx, a, {"due_on": today - dt.timedelta(days=3), "what": "Llamar"})
    schedule_follow_up(ctx, b, {"due_on": today + dt.timedelta(days=2), "what": "Revisar"})
    rid = referrals.create(ctx, a, {"destination": "cesfam", "reason": "x", "consent_given": True})
    referrals.move(ctx, rid, {"to": "accepted"})
    referrals.move(ctx, rid, {"to": "completed", "outcome": "resolved"})
    sup = Context(database, supervisor.id)
    report = reports.caseload(sup)
    [row] = [r for r in report.workers if r.worker_id == worker.id]
    assert row.counts["open_cases"] == 2
    assert row.counts["intakes"] == 2
    assert row.counts["overdue"] == 1
    assert row.counts["due_soon"] >= 1
    assert report.total.counts["intakes"] == 2
    assert report.referral_outcomes == {"health": {"completed": 1}}
    assert report.median_days_to_completion["health"] == pytest.approx(0, abs=0.1)
    assert report.intakes_per_month[-1][1] == 2
    [late] = reports.drill(sup, "overdue", worker.id)
    assert (late.person_id, late.detail) == (a, "Llamar")


def test_caseload_is_for_supervisors(ctx: Context) -> None:
    with pytest.raises(NotAllowed):
        reports.caseload(ctx)


def test_a_reversed_period_is_a_clear_error(database: Database, supervisor: WorkerOut) -> None:
    with pytest.raises(InvalidInput) as err:
        reports.caseload(Context(database, supervisor.id), dt.date(2026, 5, 1), dt.date(2026, 4, 1))
    assert err.value.errors[0].code == "period_reversed"


def test_cli_formats(tmp_path: Path, password_file: Callable[[str], Path]) -> None:
    from casework.synthetic.demo import DEMO_PASSWORD

    db = str(tmp_path / "r.db")
    assert (
        subprocess.run(
            [sys.executable, "-m", "casework", "demo", "--people", "60", "--db", db],
            capture_output=True,
        ).returncode
        == 0
    )
    # A caseload names persons: a supervisor's report (an administrator is refused).
    signed = ["--user", "supervisora", "--password-file", str(password_file(DEMO_PASSWORD))]
    run = [sys.executable, "-m", "casework", "report", "caseload", "--db", db, *signed]
    table = subprocess.run(run, capture_output=True, text=True)
    assert table.returncode == 0 and "open_cases" in table.stdout and "Total" in table.stdout
    data = json.loads(
        subprocess.run([*run, "--format", "json"], capture_output=True, text=True).stdout
    )
    assert data["total"]["open_cases"] > 0
    assert sum(r["open_cases"] for r in data["workers"]) == data["total"]["open_cases"]
    csv_out = subprocess.run([*run, "--format", "csv"], capture_output=True, text=True).stdout
    assert csv_out.splitlines()[0].startswith("programme,worker,open_cases")
    bad = subprocess.run([*run, "--from", "31-31-2026"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
