"""What the person edit form looks like (#14 point 4), at 80x24 and 120x36, on synthetic
demo data with a frozen clock: as it opens, and with another desk's change of the same
field shown beside it.

Review changes with `pytest tests/test_snapshots_edit.py --snapshot-update` and look at
the report before committing new pictures.
"""

from __future__ import annotations

from typing import Any

import pytest

from casework.db import Database
from casework.services import person_edit, persons, staff
from casework.services.context import Context

from .test_snapshots import _app, _settle, demo_db

__all__ = ["demo_db"]

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


def _first_person(db: Database) -> tuple[Context, Any]:
    desk = staff.find_worker(Context(db), "demo")
    assert desk is not None
    ctx = Context(db, desk.id)
    [first] = persons.recent_persons(ctx, 1)
    return ctx, first.id


@pytest.mark.parametrize("size", SIZES)
def test_person_edit_form(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        _, pid = _first_person(demo_db)
        pilot.app.open_person(pid)
        await _settle(pilot)
        await pilot.press("i")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_person_edit_form_with_a_conflict(
    snap_compare, demo_db: Database, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        ctx, pid = _first_person(demo_db)
        pilot.app.open_person(pid)
        await _settle(pilot)
        await pilot.press("i")
        await _settle(pilot)
        modal = pilot.app.screen
        phone = modal.query_one("#phone")
        phone.focus()
        await pilot.press("end", "ctrl+u", *"922222222")
        form = person_edit.form(ctx, pid)
        person_edit.save(
            ctx, pid, {"person": {"phone": {"base": form.values["phone"], "new": "933333333"}}}
        )
        await pilot.press("ctrl+s")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=run_before)
