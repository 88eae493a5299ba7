"""Follow-through at 80x24 (issue #15 points 4-5): the background scan's strip above the
footer of the day, and the form asking the day a route deadline counts from. Synthetic demo
data with a frozen clock (fixtures of tests/test_snapshots.py). Review changes with
`--snapshot-update` and look at the report before committing new pictures."""

from __future__ import annotations

from casework.app import make_app
from casework.db import Database
from casework.screens.guidance import ChecklistScreen, DeadlineModal
from casework.services import guidance, persons, staff
from casework.services.context import Context
from casework.widgets import RecordTable

from .factories import intake_data, person_data
from .test_snapshots import _settle, demo_db  # noqa: F401  (the fixture)

SIZE = (80, 24)


def test_scan_strip_on_the_day(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        # The strip as a running scan leaves it at 42 % (set here, not raced against a
        # real scan, so the picture does not depend on the machine's speed).
        scan = pilot.app.background_scan
        scan.fraction = 0.42
        scan._refresh()
        await _settle(pilot)

    assert snap_compare(make_app(demo_db, demo=True), terminal_size=SIZE, run_before=run_before)


def test_deadline_form(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    demo = staff.find_worker(Context(demo_db), "demo")
    assert demo is not None
    ctx = Context(demo_db, demo.id)
    data = person_data(documents=[{"type": "passport", "number": "VE7654321"}])
    pid = persons.register_intake(ctx, intake_data(data), allow_likely=True).person_id
    gid = guidance.start(ctx, pid, {"route_id": "permanent_residence"})

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        pilot.app.push_screen(ChecklistScreen(gid, pid))
        await _settle(pilot)
        pilot.app.screen.query_one("#deadlines", RecordTable).focus()
        await pilot.press("p")
        await _settle(pilot)
        assert isinstance(pilot.app.screen, DeadlineModal)

    assert snap_compare(make_app(demo_db, demo=True), terminal_size=SIZE, run_before=run_before)
