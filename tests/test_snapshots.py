"""What the main screens look like at 80x24, on synthetic demo data with a frozen clock.

Review changes with `pytest tests/test_snapshots.py --snapshot-update` and look at the
report before committing new pictures.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from casework import clock, instance
from casework.app import make_app
from casework.db import Database, open_database
from casework.services import staff
from casework.services.context import Context
from casework.synthetic import demo

FROZEN = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)
SIZE = (80, 24)


@pytest.fixture
def demo_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    clock.freeze(FROZEN)
    path = tmp_path / "demo.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    with db.engine.begin() as conn:
        instance.stamp(conn)  # the office's own file, as one made by casework init or demo
    demo.generate(Context(db), 80, seed=11)
    yield db
    db.dispose()
    clock.freeze(None)


def _app(db: Database):  # type: ignore[no-untyped-def]
    return make_app(db, demo=True)


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Data arrives from a worker, then tables lay themselves out: wait for both."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    for field in pilot.app.screen.query(Input):  # a blinking cursor is a coin toss under load
        field.cursor_blink = False
    for _ in range(3):
        await pilot.pause(0.05)
    await pilot.wait_for_scheduled_animations()


def test_today(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=_settle)


def test_search(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await pilot.press("ctrl+f", *"quispe")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_intake_with_duplicate_warning(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await pilot.press("ctrl+n")
        await _settle(pilot)  # else, under load, "R" can reach Today before the form has focus
        await pilot.press(*"Rosa", "tab", *"Quispe")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_person_file(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        desk = staff.find_worker(Context(demo_db), "demo")
        assert desk is not None
        from casework.services import persons

        [first] = persons.recent_persons(Context(demo_db, desk.id), 1)
        pilot.app.open_person(first.id)
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)
