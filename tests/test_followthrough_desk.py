"""Follow-through at the desk: the background duplicate scan once idle (strip, typing goes
on), the route already open resumed, a deadline planned from its own date and moved, and a
finished referral gone from the day list."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from textual.widgets import Input, Static

from casework import clock
from casework.app import make_app
from casework.db import Database
from casework.models import DedupeScan, FollowUp, MatchPair
from casework.screens import background
from casework.screens.guidance import ChecklistScreen, DeadlineModal, GuidanceScreen
from casework.screens.search import SearchScreen
from casework.screens.today import TodayScreen
from casework.services import duplicate_queue, guidance, person_file, persons, referrals, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut, local_today
from casework.widgets import RecordTable, fmt_date
from casework.widgets.scan_strip import ScanStrip

from .factories import intake_data, person_data


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends
    (tests/test_followthrough.py)."""
    return desk_database


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def start_as(pilot: Any, worker_id: uuid.UUID) -> None:
    await pilot.pause()
    pilot.app.start_session(staff.sign_in(Context(pilot.app.database), worker_id))
    await pilot.pause()


def _persons(ctx: Context, n: int) -> list[uuid.UUID]:
    out = []
    for i in range(n):
        data = person_data(
            given_names="Yesenia" if i % 2 else "Yessenia",
            first_surname="Rondón",
            documents=[{"type": "passport", "number": f"VE{i:07d}"}],
        )
        out.append(persons.register_intake(ctx, intake_data(data), allow_likely=True).person_id)
    return out


def _scans(db: Database) -> list[DedupeScan]:
    with db.read() as s:
        return list(s.scalars(sa.select(DedupeScan)))


@pytest.fixture
def scanning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "AUTOMATIC", True)


async def test_a_stale_desk_scans_in_the_background_and_typing_goes_on(
    desk_database: Database, worker: WorkerOut, monkeypatch: pytest.MonkeyPatch, scanning: None
) -> None:
    db = desk_database
    ctx = Context(db, worker.id)
    _persons(ctx, 6)
    # The scan waits before saving until the test has typed: its strip stays on screen.
    release = threading.Event()
    save = duplicate_queue._save

    def held_save(*args: Any) -> int:
        assert release.wait(30)
        return save(*args)

    monkeypatch.setattr(duplicate_queue, "_save", held_save)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, worker.id)
        app.last_activity -= background.SCAN_AFTER_IDLE  # left idle: the scan due starts
        app.scan_if_idle()
        for _ in range(100):
            await pilot.pause(0.05)
            if app.screen.query(ScanStrip):
                break
        strip = app.screen.query_one(ScanStrip)
        assert "Buscando duplicados…" in str(strip.query_one("#scan-strip-label", Static).render())
        assert strip.region.bottom <= 23  # above the footer, inside 80x24

        await pilot.press("ctrl+f")
        await pilot.press(*"rondon")
        await pilot.pause(0.3)
        assert isinstance(app.screen, SearchScreen)
        assert app.screen.query_one(Input).value == "rondon"
        assert app.background_scan.running
        assert app.screen.query(ScanStrip)  # the strip follows to the screen in front

        release.set()
        await settle(pilot)
        assert not app.screen.query(ScanStrip)
        assert any("Búsqueda de duplicados terminada" in str(n.message) for n in app._notifications)
    [run] = _scans(db)
    assert (run.status, run.trigger, run.worker_id, run.persons_scanned) == (
        "done",
        "startup",
        worker.id,
        6,
    )
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(MatchPair)) == run.new_pairs > 0


async def test_a_fresh_scan_is_not_run_again_on_start(
    desk_database: Database, worker: WorkerOut, supervisor: WorkerOut, scanning: None
) -> None:
    db = desk_database
    _persons(Context(db, worker.id), 2)
    duplicate_queue.scan(Context(db, supervisor.id))
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, worker.id)
        app.last_activity -= background.SCAN_AFTER_IDLE
        app.scan_if_idle()
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert not app.screen.query(ScanStrip)
    assert [r.trigger for r in _scans(db)] == ["manual"]


async def test_starting_an_open_route_again_says_it_was_resumed(
    desk_database: Database, worker: WorkerOut
) -> None:
    db = desk_database
    ctx = Context(db, worker.id)
    [pid] = _persons(ctx, 1)
    detail = person_file.get_person(ctx, pid)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, worker.id)
        await settle(pilot)
        app.push_screen(GuidanceScreen(detail))
        await settle(pilot)
        await pilot.click("#q-pregnant")
        await settle(pilot)
        route = app.screen.routes[0]
        assert route.id == "humanitarian_pregnancy"
        first = guidance.open_route(ctx, pid, {"route_id": route.id})  # another desk, earlier
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChecklistScreen)
        assert app.screen.guidance_id == first.id
        since = fmt_date(first.since.astimezone().date())
        messages = [str(n.message) for n in app._notifications]
        assert f"Esta ruta ya está abierta desde el {since}: se retomó." in messages
    assert len(guidance.for_person(ctx, pid)) == 1


async def test_a_deadline_is_planned_from_its_own_date_and_moved_when_corrected(
    desk_database: Database, worker: WorkerOut
) -> None:
    db = desk_database
    ctx = Context(db, worker.id)
    [pid] = _persons(ctx, 1)
    gid = guidance.start(ctx, pid, {"route_id": "permanent_residence"})
    submitted = local_today() - dt.timedelta(days=20)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, worker.id)
        await settle(pilot)
        app.push_screen(ChecklistScreen(gid, pid))
        await settle(pilot)
        table = app.screen.query_one("#deadlines", RecordTable)
        table.focus()
        table.move_cursor(row=[k for k, _ in table.rows.items()].index("additional_documents"))
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, DeadlineModal)
        field = app.screen.query_one("#deadline_from", Input)
        assert field.value == fmt_date(local_today())
        field.value = ""
        field.focus()
        await pilot.press(*fmt_date(submitted), "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChecklistScreen)
        due = submitted + dt.timedelta(days=60)
        assert f"Plazo agendado: vence el {fmt_date(due)}." in [
            str(n.message) for n in app._notifications
        ]
        assert fmt_date(due) in " ".join(str(c) for c in table.get_row("additional_documents"))

        # The date was wrong by two days: corrected, the same follow-up moves.
        await pilot.press("p")
        await settle(pilot)
        field = app.screen.query_one("#deadline_from", Input)
        assert field.value == fmt_date(submitted)
        field.value = ""
        field.focus()
        corrected = submitted + dt.timedelta(days=2)
        await pilot.press(*fmt_date(corrected), "ctrl+s")
        await settle(pilot)
        moved = corrected + dt.timedelta(days=60)
        assert f"Fecha corregida: el plazo ahora vence el {fmt_date(moved)}." in [
            str(n.message) for n in app._notifications
        ]
    with db.read() as s:
        dues = s.scalars(sa.select(FollowUp.due_on).where(FollowUp.guidance_id == gid)).all()
    assert dues == [moved]


async def test_a_completed_referral_leaves_the_day_list(
    desk_database: Database, worker: WorkerOut
) -> None:
    db = desk_database
    ctx = Context(db, worker.id)
    [pid] = _persons(ctx, 1)
    clock.freeze(dt.datetime.now(dt.UTC) - dt.timedelta(days=20))
    try:
        rid = referrals.create(
            ctx, pid, {"destination": "cesfam", "reason": "Inscripción", "consent_given": True}
        )
    finally:
        clock.freeze(None)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, worker.id)
        await settle(pilot)
        today = app.screen
        assert isinstance(today, TodayScreen)
        due = today.query_one("#late", RecordTable)  # its day has passed: overdue
        assert due.row_count == 1
        referrals.move(ctx, rid, {"to": "accepted"})
        referrals.move(ctx, rid, {"to": "completed", "outcome": "resolved"})
        await pilot.press("r")
        await settle(pilot)
        assert due.row_count == 0
