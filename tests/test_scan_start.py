"""When a desk runs the office's duplicate scan (issue #19): never at start-up, where the
first searches of the day come first, but once the desk has been left idle, and once per
sign-in."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from casework.app import make_app
from casework.db import Database
from casework.models import DedupeScan
from casework.screens import background
from casework.screens.search import SearchScreen
from casework.services import persons, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets.scan_strip import ScanStrip

from .factories import intake_data, person_data


@pytest.fixture
def database(desk_database: Database) -> Database:
    return desk_database


@pytest.fixture(autouse=True)
def scanning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "AUTOMATIC", True)


async def _settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _scans(db: Database) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(r.trigger, r.status) for r in s.scalars(sa.select(DedupeScan))]


def _stale_office(ctx: Context) -> None:
    """Two records of one person and no scan yet: a scan is due."""
    for given in ("Yesenia", "Yessenia"):
        data = person_data(given_names=given, first_surname="Rondón", documents=[])
        persons.register_intake(ctx, intake_data(data), allow_likely=True)


async def test_a_desk_scans_once_idle_not_at_start_up(
    desk_database: Database, worker: WorkerOut
) -> None:
    db = desk_database
    _stale_office(Context(db, worker.id))
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.start_session(staff.sign_in(Context(db, worker.id), worker.id))
        await _settle(pilot)
        app.scan_if_idle()  # the idle timer's check, with the desk just opened
        await _settle(pilot)
        assert not app.background_scan.running and not app.screen.query(ScanStrip)
        assert _scans(db) == []

        await pilot.press("ctrl+f")
        await pilot.press(*"rondon")
        await _settle(pilot)
        assert isinstance(app.screen, SearchScreen) and app.screen.results
        app.scan_if_idle()  # typing a moment ago: still not idle
        await _settle(pilot)
        assert _scans(db) == []

        app.last_activity -= background.SCAN_AFTER_IDLE
        app.scan_if_idle()
        await _settle(pilot)
        assert _scans(db) == [("startup", "done")]
        app.last_activity -= background.SCAN_AFTER_IDLE
        app.scan_if_idle()  # once per sign-in
        await _settle(pilot)
        assert _scans(db) == [("startup", "done")]


async def test_a_signed_out_desk_does_not_scan(desk_database: Database, worker: WorkerOut) -> None:
    db = desk_database
    _stale_office(Context(db, worker.id))
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.last_activity -= background.SCAN_AFTER_IDLE
        app.scan_if_idle()
        await _settle(pilot)
        assert _scans(db) == []  # nobody signed in: no scan, however long it waits
