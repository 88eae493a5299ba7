"""The case-status dialog at 80x24 (issue #15 point 2): closing a case with pending
follow-ups and open referrals, its message inside the dialog when no outcome was chosen;
and reopening a closed case. Same fixtures as tests/test_snapshots.py; review with
--snapshot-update and look."""

from __future__ import annotations

import uuid

from casework.db import Database
from casework.services import case_lifecycle, persons, staff
from casework.services.context import Context

from .test_snapshots import SIZE, _app, _settle, demo_db

__all__ = ["demo_db"]


def _desk(db: Database) -> Context:
    desk = staff.find_worker(Context(db), "demo")
    assert desk is not None
    return Context(db, desk.id)


def _open_case_with_work(db: Database) -> uuid.UUID:
    """A recent person whose case has a pending follow-up (the demo worker's)."""
    ctx = _desk(db)
    for person in persons.recent_persons(ctx, 30):
        case = case_lifecycle.current(ctx, person.id)
        if case and case.status == "open" and case.may_change and case.pending_follow_ups:
            return person.id
    raise AssertionError("the demo has no open case with a pending follow-up")


def test_close_case_without_outcome(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    person_id = _open_case_with_work(demo_db)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        pilot.app.open_person(person_id)
        await _settle(pilot)
        await pilot.press("k")
        await _settle(pilot)
        await pilot.press("ctrl+s")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_reopen_closed_case(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    person_id = _open_case_with_work(demo_db)
    ctx = _desk(demo_db)
    case = case_lifecycle.current(ctx, person_id)
    assert case is not None
    case_lifecycle.close(
        ctx, case.case_id, {"outcome": "other", "note": "Se trasladó a otra región"}
    )

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        pilot.app.open_person(person_id)
        await _settle(pilot)
        await pilot.press("k")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)
