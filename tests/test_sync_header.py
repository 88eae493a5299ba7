"""An offline desk says so in its header (issue #17), visibly at 80x24: "Puesto sin
conexión · N cambios por enviar", with its open conflicts and the changes on hold behind
them, re-counted after each save; a database that is not a desk shows none of it. On a
desk, the supervisors' screens only the office server serves refuse at once."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.widgets import Input

from casework.app import make_app
from casework.db import Database, open_database
from casework.models import SyncConflict, Worker
from casework.services import auth, outbox
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

PASSWORD = "una frase de prueba"


@pytest.fixture
def database(desk_database: Database) -> Database:
    return desk_database


def header_text(app: object) -> str:
    """What the top line of the screen shows (the Header's title and subtitle)."""
    from textual.widgets._header import HeaderTitle

    screen = app.screen  # type: ignore[attr-defined]
    return str(screen.query_one(HeaderTitle).render())


async def sign_in(pilot, username: str) -> None:  # type: ignore[no-untyped-def]
    with pilot.app.database.write() as session:
        row = session.scalar(sa.select(Worker).where(Worker.username == username))
        row.password_hash = auth.hash_password(PASSWORD)
    screen = pilot.app.screen
    screen.query_one("#username", Input).value = username
    screen.query_one("#password", Input).value = PASSWORD
    screen.query_one("#password", Input).focus()
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def a_desk(database: Database, worker: WorkerOut) -> Path:
    """The test database turned into a desk, with one offline change already made."""
    outbox.make_desk(database, name="Operativo", server="postgresql://oficina/casework")
    path = database.file_path
    assert path is not None
    database.dispose()
    desk = open_database(str(path))
    from casework.services import persons

    persons.register_intake(Context(desk, worker.id), intake_data())
    desk.dispose()
    return path


async def test_a_desk_shows_its_changes_waiting_and_counts_each_save(
    database: Database, worker: WorkerOut
) -> None:
    path = a_desk(database, worker)
    desk = open_database(str(path))
    app = make_app(desk)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "Puesto sin conexión · 1 cambio por enviar" in header_text(app)
            await sign_in(pilot, worker.username)
            text = header_text(app)
            assert text.startswith("Puesto sin conexión · 1 cambio por enviar"), text
            # A save on the desk (another intake) is one more change waiting.
            from casework.services import persons

            persons.register_intake(
                Context(desk, worker.id),
                intake_data(person_data(given_names="Yelitza", documents=[])),
            )
            await pilot.pause(1.3)
            assert "Puesto sin conexión · 2 cambios por enviar" in header_text(app)
            # An open sync conflict in the copy is shown beside it.
            status = outbox.desk_status(desk)
            assert status is not None
            with desk.write() as session:
                session.add(
                    SyncConflict(
                        id=uuid.uuid4(),
                        command_id=uuid.uuid4(),
                        seq=1,
                        desk_id=status.desk_id,
                        desk_name="Operativo",
                        command="persons.update_person",
                        payload={},
                        kind="conflict",
                        code="edit_conflict",
                        occurred_at=dt.datetime.now(dt.UTC),
                    )
                )
            await pilot.pause(1.3)
            text = header_text(app)
            assert "2 cambios por enviar · 1 conflicto" in text
            # Visible at 80 columns: the desk's status comes first on the header's line and
            # fits in it whole (what is cut with an ellipsis is the worker's name after it).
            from textual.widgets._header import HeaderTitle

            shown = app.screen.query_one(HeaderTitle)
            assert text.startswith(app.title)
            assert len(app.title) <= shown.size.width, (app.title, shown.size.width)
    finally:
        desk.dispose()


async def test_a_database_that_is_not_a_desk_shows_no_desk_status(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, worker.username)
        assert app.title == "casework"
        assert "sin conexión" not in header_text(app)


async def test_the_english_desk_says_offline_desk(database: Database, worker: WorkerOut) -> None:
    from casework.i18n import set_language

    path = a_desk(database, worker)
    desk = open_database(str(path))
    set_language("en")
    try:
        app = make_app(desk)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "Offline desk · 1 change waiting" in header_text(app)
    finally:
        set_language("es")
        desk.dispose()


async def test_a_sync_is_refused_while_the_desk_is_open_in_the_app(
    database: Database, worker: WorkerOut
) -> None:
    from casework.db import DatabaseProblem, not_open_elsewhere

    path = a_desk(database, worker)
    desk = open_database(str(path))
    app = make_app(desk)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            with pytest.raises(DatabaseProblem) as refused, not_open_elsewhere(path):
                pass
            assert refused.value.code == "desk_in_use"
        with not_open_elsewhere(path):  # the app is closed: a sync may replace the file
            pass
    finally:
        desk.dispose()


def add_conflicts(desk: Database, conflicts: int, held: int) -> None:
    """``conflicts`` refused commands of this desk, and ``held`` waiting behind the first."""
    status = outbox.desk_status(desk)
    assert status is not None
    first = uuid.uuid4()
    with desk.write() as session:
        for seq in range(1, conflicts + held + 1):
            kind = "conflict" if seq <= conflicts else "waiting"
            session.add(
                SyncConflict(
                    id=first if seq == 1 else uuid.uuid4(),
                    command_id=uuid.uuid4(),
                    seq=seq,
                    desk_id=status.desk_id,
                    desk_name="Operativo",
                    command="persons.update_person",
                    payload={},
                    kind=kind,
                    code="edit_conflict" if kind == "conflict" else "waits_behind",
                    blocked_by=None if kind == "conflict" else first,
                    occurred_at=dt.datetime.now(dt.UTC),
                )
            )
            session.flush()


async def test_the_header_counts_conflicts_and_those_on_hold_apart_within_80_columns(
    database: Database, worker: WorkerOut
) -> None:
    from textual.widgets._header import HeaderTitle

    path = a_desk(database, worker)
    desk = open_database(str(path))
    add_conflicts(desk, 1, 2)
    app = make_app(desk)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, worker.username)
            assert header_text(app).startswith(
                "Sin conexión · 1 cambio por enviar · 1 conflicto (2 en espera)"
            ), header_text(app)
            width = app.screen.query_one(HeaderTitle).size.width
            assert len(app.title) <= width, (app.title, width)

            # Larger counts: said shorter, still whole at 80 columns.
            add_conflicts(desk, 12, 140)
            await pilot.pause(1.3)
            assert app.title.startswith("Sin conexión · 1 por enviar · 13 conflictos"), app.title
            assert app.title.endswith("(142 en espera)")
            assert len(app.title) <= width, (app.title, width)
    finally:
        desk.dispose()


async def test_a_wide_desk_keeps_the_whole_wording(database: Database, worker: WorkerOut) -> None:
    path = a_desk(database, worker)
    desk = open_database(str(path))
    add_conflicts(desk, 12, 140)
    app = make_app(desk)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            assert app.title == (
                "Puesto sin conexión · 1 cambio por enviar · 12 conflictos (140 en espera)"
            )
    finally:
        desk.dispose()
