"""Lists tell the truth (issue #15 points 1 and 9): every count is the COUNT of the whole
list, every list reaches its last row page by page, and the day shows today's follow-ups
and the overdue ones, each with its own count, on the first screen at 80x24."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.widgets import Static

from casework import clock
from casework.app import make_app
from casework.db import Database, open_database
from casework.models import AuditEvent, FollowUp, MatchPair
from casework.screens.audit import AuditScreen
from casework.screens.dedupe import DedupeQueueScreen
from casework.screens.today import TodayScreen
from casework.services import audit_log, desk, duplicate_queue, followups, persons, reports, staff
from casework.services.context import Context
from casework.widgets import PagedTable

from .conftest import DESK_NOW
from .factories import intake_data, person_data

GIVEN = ["Yesenia", "Wilmer", "Mirlande", "Jian", "Flor", "Edwin", "Sonia", "Luis"]
SURNAMES = ["Rondón", "Quispe", "Charles", "Wang", "Mamani", "Rojas", "Vera", "Huamán"]
SECOND = ["Briceño", "Apaza", "Toussaint", "Chen", "Layme", "Torres", "Loja", "Chávez", "Sosa"]

LATE = 620
"""Overdue follow-ups of the desk worker: more than the 500 every list stopped at."""
TODAY = 37
"""Follow-ups due today: they must not hide behind the overdue ones."""
EVENTS = 1234
"""Audit events written in bulk (the setup adds its own)."""


@dataclass(frozen=True)
class World:
    worker: uuid.UUID
    supervisor: uuid.UUID
    persons: list[uuid.UUID]
    today: dt.date


def build_world(db: Database, today: dt.date) -> World:
    """A worker with LATE overdue and TODAY due follow-ups, EVENTS more audit events and a
    duplicate queue of more than 500 pairs, written in bulk (not one service call a row)."""
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    ctx_admin = Context(db, admin.id)
    worker = staff.create_worker(
        ctx_admin,
        {"username": "dfuentes", "full_name": "Daniela Fuentes", "programme_code": "OFMIG"},
    )
    supervisor = staff.create_worker(
        ctx_admin,
        {
            "username": "creyes",
            "full_name": "Carolina Reyes",
            "role": "supervisor",
            "programme_code": "OFMIG",
        },
    )
    ctx = Context(db, worker.id)
    rng = random.Random(15)  # the same ids every time: rows tied on a day keep their order

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    ids: list[uuid.UUID] = []
    for i in range(40):
        person = person_data(
            given_names=GIVEN[i % 8],
            first_surname=SURNAMES[i // 8 % 8],
            second_surname=SECOND[i % len(SECOND)],
            birth_date=dt.date(1950 + i, 1 + i % 12, 1 + i % 28),
            phone=f"9{i:02d}765432",
            documents=[{"type": "passport", "number": f"VE9{i:06d}"}],
        )
        ids.append(persons.register_intake(ctx, intake_data(person), allow_likely=True).person_id)
    follow_ups = [
        {
            "id": new_id(),
            "person_id": ids[i % len(ids)],
            "worker_id": worker.id,
            "due_on": today - dt.timedelta(days=1 + i // 3),
            "what": f"Llamar por el trámite {i + 1}",
            "status": "pending",
        }
        for i in range(LATE)
    ] + [
        {
            "id": new_id(),
            "person_id": ids[i % len(ids)],
            "worker_id": worker.id,
            "due_on": today,
            "what": f"Hoy: revisar documentos {i + 1}",
            "status": "pending",
        }
        for i in range(TODAY)
    ]
    start = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC) - dt.timedelta(days=30)
    events = [
        {
            "id": new_id(),
            "at": start + dt.timedelta(minutes=i),
            "worker_id": worker.id,
            "action": "view",
            "entity": "person",
            "entity_id": ids[i % len(ids)],
            "person_id": ids[i % len(ids)],
            "details": {},
        }
        for i in range(EVENTS)
    ]
    pairs = [
        {
            "id": new_id(),
            "person_a": min(a, b),
            "person_b": max(a, b),
            "score": round(0.5 + (n % 50) / 100, 4),
            "reasons": [],
            "status": "pending",
        }
        for n, (a, b) in enumerate((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    ]
    with db.write() as session:
        session.execute(sa.insert(FollowUp), follow_ups)
        session.execute(sa.insert(AuditEvent), events)
        session.execute(sa.insert(MatchPair), pairs)
    return World(worker.id, supervisor.id, ids, today)


def count(db: Database, stmt: sa.Select[tuple[int]]) -> int:
    with db.read() as session:
        return int(session.scalar(stmt) or 0)


# Services: pages with the true total, on SQLite and PostgreSQL ----------------------------


@pytest.fixture
def world(database: Database) -> World:
    return build_world(database, clock.today())


def test_the_due_list_pages_through_every_follow_up_with_its_true_count(
    database: Database, world: World
) -> None:
    ctx = Context(database, world.worker)
    yesterday = world.today - dt.timedelta(days=1)
    first = followups.due_for_worker(ctx, until=yesterday, limit=100)
    assert len(first) == 100 and first.total == LATE and first.offset == 0
    # Page by page, every row once, oldest first.
    seen = list(first)
    while len(seen) < first.total:
        seen += followups.due_for_worker(ctx, until=yesterday, offset=len(seen), limit=100)
    assert len({f.id for f in seen}) == LATE
    assert [f.due_on for f in seen] == sorted(f.due_on for f in seen)
    # The last page (End), read from the end, is the same as the one reached by paging.
    last = followups.due_for_worker(ctx, until=yesterday, offset=-1, limit=100)
    assert last.offset == LATE - 100 and [f.id for f in last] == [f.id for f in seen[-100:]]
    middle = followups.due_for_worker(ctx, until=yesterday, offset=400, limit=50)
    assert [f.id for f in middle] == [f.id for f in seen[400:450]]
    today = followups.due_for_worker(ctx, since=world.today, until=world.today, limit=10)
    assert today.total == TODAY and all(f.due_on == world.today for f in today)
    assert followups.due_for_worker(ctx).total == LATE + TODAY  # no more 500


def test_the_day_counts_today_and_overdue_apart(database: Database, world: World) -> None:
    day = desk.day(Context(database, world.worker))
    assert day.late.total == LATE and day.overdue_count == LATE
    assert day.due_today.total == TODAY
    assert all(f.due_on == world.today for f in day.due_today)
    assert len(day.late) == desk.DAY_PAGE  # a first page, not the whole list


def test_the_trail_queue_and_drill_count_everything(database: Database, world: World) -> None:
    sup = Context(database, world.supervisor)
    events = count(database, sa.select(sa.func.count()).select_from(AuditEvent))
    assert events > EVENTS
    page = audit_log.events(sup, limit=200)
    assert page.total == events and len(page) == 200
    last = audit_log.events(sup, offset=-1, limit=200)
    with database.read() as session:
        oldest = session.scalar(
            sa.select(AuditEvent.id).order_by(AuditEvent.at, AuditEvent.id).limit(1)
        )
    assert last.offset == events - 200 and last[-1].id == oldest  # newest first: oldest last
    assert desk.trail_page(sup, limit=10).rows.total == events

    pending = count(database, sa.select(sa.func.count()).where(MatchPair.status == "pending"))
    assert pending == 40 * 39 // 2 > 500
    pairs = duplicate_queue.queue(sup, limit=200)
    assert pairs.total == pending and len(pairs) == 200
    assert pairs[0].score >= pairs[-1].score
    tail = duplicate_queue.queue(sup, offset=-1, limit=200)
    assert tail.offset == pending - 200 and len(tail) == 200

    drill = reports.drill(sup, "overdue", world.worker, limit=100)
    assert drill.total == LATE and len(drill) == 100
    whens = [r.when for r in drill]
    assert whens == sorted(w for w in whens if w is not None)


# The desk: Pilot at 80x24 ----------------------------------------------------------------


@pytest.fixture(scope="session")
def lists_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world on the desk's day (DESK_NOW), built once and copied for every desk test."""
    path = tmp_path_factory.mktemp("lists") / "lists.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    clock.freeze(DESK_NOW)
    try:
        build_world(db, clock.today())
    finally:
        clock.freeze(None)
        db.dispose()
    return path


@pytest.fixture
def big(tmp_path: Path, lists_template: Path, frozen_clock: dt.datetime) -> Iterator[Database]:
    path = tmp_path / "lists.db"
    shutil.copy(lists_template, path)
    db = open_database(str(path))
    yield db
    db.dispose()


def text_of(widget: Static) -> str:
    return str(widget.render())


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def start_as(pilot, username: str) -> None:  # type: ignore[no-untyped-def]
    from casework.models import Worker

    with pilot.app.database.read() as s:
        worker_id = s.scalar(sa.select(Worker.id).where(Worker.username == username))
    await pilot.pause()
    pilot.app.start_session(staff.sign_in(Context(pilot.app.database), worker_id))
    await settle(pilot)


def in_screen(widget: Static | PagedTable) -> bool:
    region = widget.region
    return region.height > 0 and region.y >= 0 and region.bottom <= 23  # above the footer


async def test_the_day_shows_hoy_and_atrasados_with_true_counts_at_80x24(big: Database) -> None:
    app = make_app(big)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, "dfuentes")
        screen = app.screen
        assert isinstance(screen, TodayScreen)
        today_title = screen.query_one("#due-title", Static)
        late_title = screen.query_one("#late-title", Static)
        assert text_of(today_title) == f"Hoy: {TODAY}"
        assert text_of(late_title).startswith("Atrasados: 620 · 1–100 de 620")
        due, late = screen.query_one("#due", PagedTable), screen.query_one("#late", PagedTable)
        # Both lists, their titles and rows of each, on the first screen.
        for widget in (today_title, late_title, due, late):
            assert in_screen(widget), widget
        assert due.row_count == TODAY and late.row_count == 100
        assert due.region.height >= 3 and late.region.height >= 3
        # The columns that tell rows apart stay at 80: due date, person, what.
        labels = [str(c.label) for c in due.columns.values()]
        assert labels == ["Vence", "Persona", "Qué"]
        recent = [str(c.label) for c in screen.query_one("#recent", PagedTable).columns.values()]
        assert "Última atención" not in recent


async def test_end_reaches_the_last_overdue_row_and_pgdn_moves(big: Database) -> None:
    app = make_app(big)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, "dfuentes")
        late = app.screen.query_one("#late", PagedTable)
        late.focus()
        await pilot.pause()
        first_key = late.cursor_key
        await pilot.press("pagedown")
        await settle(pilot)
        assert late.cursor_row > 0 and late.cursor_key != first_key
        await pilot.press("end")
        await settle(pilot)
        assert late.absolute_row == LATE - 1
        with big.read() as s:
            newest_late = s.scalar(
                sa.select(FollowUp.id)
                .where(FollowUp.due_on < clock.today())
                .order_by(FollowUp.due_on.desc(), FollowUp.created_at.desc(), FollowUp.id.desc())
                .limit(1)
            )
        assert late.cursor_key == str(newest_late)
        title = text_of(app.screen.query_one("#late-title", Static))
        assert title == "Atrasados: 620 · 521–620 de 620"
        await pilot.press("home")
        await settle(pilot)
        assert late.absolute_row == 0 and late.cursor_key == first_key
        # Going down a screenful at a time reads the next page before the cursor gets
        # to the end of the rows held: it never stops at 100.
        step = late.absolute_row
        await pilot.press("pagedown")
        step = late.absolute_row - step
        assert step >= 2  # a screenful of this table
        for _ in range(120 // step):
            await pilot.press("pagedown")
        await settle(pilot)
        assert late.absolute_row > 100 and late.window_end >= 200


async def test_the_duplicate_queue_and_the_trail_count_all_and_reach_the_end(
    big: Database,
) -> None:
    with big.read() as s:
        pending = int(s.scalar(sa.select(sa.func.count()).select_from(MatchPair)) or 0)
    app = make_app(big)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, "creyes")
        app.push_screen(DedupeQueueScreen())
        await settle(pilot)
        status = text_of(app.screen.query_one("#status", Static))
        assert status.startswith(f"{pending} pares por revisar") and "1–200 de 780" in status
        table = app.screen.query_one(PagedTable)
        await pilot.press("end")
        await settle(pilot)
        assert table.absolute_row == pending - 1 and table.row_count == 200

        app.pop_screen()
        app.push_screen(AuditScreen())
        await settle(pilot)
        with big.read() as s:
            events = int(s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0)
        shown = f"{events // 1000}.{events % 1000:03d}"  # Chilean thousands
        status = text_of(app.screen.query_one("#status", Static))
        assert status.startswith(f"{shown} evento(s)") and f"1–200 de {shown}" in status
        trail = app.screen.query_one(PagedTable)
        trail.focus()
        await pilot.press("end")
        await settle(pilot)
        assert trail.absolute_row == events - 1
        with big.read() as s:
            oldest = s.scalar(
                sa.select(AuditEvent.id).order_by(AuditEvent.at, AuditEvent.id).limit(1)
            )
        assert trail.cursor_key == str(oldest)
