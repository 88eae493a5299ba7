"""The desk, driven with keys as a social worker would: a whole visit, end to end."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.widgets import DataTable, Input, Select, Static

from casework.app import make_app
from casework.db import Database
from casework.models import FollowUp, GuidanceItem, Person, Referral
from casework.screens.guidance import ChecklistScreen, GuidanceScreen
from casework.screens.intake import DuplicateGate, IntakeScreen
from casework.screens.person import PersonScreen
from casework.screens.search import SearchScreen
from casework.screens.today import TodayScreen
from casework.services import persons
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data, schedule_follow_up

FROZEN = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


@pytest.fixture
def sqlite_only(database: Database) -> Database:
    return database


def text_of(widget: Static) -> str:
    return str(widget.render())


PASSWORD = "una frase de prueba"


async def sign_in_as(pilot, name: str) -> None:  # type: ignore[no-untyped-def]
    """Give the worker a password, then type their username and password at the desk."""
    from casework.models import Worker
    from casework.services import auth

    with pilot.app.database.write() as session:
        row = session.scalar(sa.select(Worker).where(Worker.full_name == name))
        row.password_hash = auth.hash_password(PASSWORD)
        username = row.username
    screen = pilot.app.screen
    screen.query_one("#username", Input).value = username
    screen.query_one("#password", Input).value = PASSWORD
    screen.query_one("#password", Input).focus()
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_whole_visit(sqlite_only: Database, ctx: Context, worker: WorkerOut) -> None:
    db = sqlite_only
    existing = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        assert isinstance(app.screen, TodayScreen)
        assert "lunes 23-11-2026" in text_of(app.screen.query_one("#day-title", Static))

        # Search: the worker types the name as the person spells it; nobody matches.
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"llesenia rondon")  # two letters off: search does not find her
        await settle(pilot)
        assert "Nadie registrado" in text_of(app.screen.query_one("#status", Static))

        # New intake from the search text: the panel warns while typing the birth date.
        await pilot.press("ctrl+n")
        await settle(pilot)
        intake = app.screen
        assert isinstance(intake, IntakeScreen)
        assert intake.query_one("#given_names", Input).value == "Llesenia"
        assert intake.query_one("#first_surname", Input).value == "Rondon"
        intake.query_one("#birth_date", Input).focus()
        await pilot.press(*"17-04-1991")
        await settle(pilot)
        assert intake.candidates, "the duplicate panel shows nobody"
        assert intake.candidates[0].person.id == existing
        panel = text_of(intake.query_one("#dupes-status", Static))
        assert "podrían ser la misma" in panel

        # Ctrl+S over a likely match asks first (a dialog); F2 opens the existing person.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DuplicateGate)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is intake
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert app.screen.person_id == existing
        with db.read() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 1

        # Guidance: the screener proposes the pregnancy route once it is ticked.
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, GuidanceScreen)
        await pilot.click("#q-pregnant")
        await settle(pilot)
        assert app.screen.routes[0].id == "humanitarian_pregnancy"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChecklistScreen)
        app.screen.query_one("#items", DataTable).focus()
        await pilot.press("space")
        await settle(pilot)
        with db.read() as s:
            states = list(s.scalars(sa.select(GuidanceItem.state)))
        assert states.count("explained") == 1
        await pilot.press("escape")
        await settle(pilot)

        # Referral to the CESFAM with the person's consent: requested, follow-up scheduled.
        assert isinstance(app.screen, PersonScreen)
        await pilot.press("r")
        await settle(pilot)
        modal = app.screen
        modal.query_one("#area", Select).value = "health"
        await pilot.pause()
        modal.query_one("#destination", Select).value = "cesfam"
        modal.query_one("#reason", Input).focus()
        await pilot.press(*"Control prenatal")
        await pilot.click("#consent")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        with db.read() as s:
            ref = s.scalars(sa.select(Referral)).one()
            follow = s.scalars(sa.select(FollowUp).where(FollowUp.referral_id == ref.id)).one()
        assert (ref.status, ref.destination_key) == ("requested", "cesfam")
        assert follow.status == "pending"

        # The follow-up is done: outcome recorded, gone from the day.
        await pilot.press("d")  # first press shows the follow-ups tab
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        app.screen.query_one("#outcome", Input).focus()
        await pilot.press(*"Tiene hora el lunes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        with db.read() as s:
            follow = s.get(FollowUp, follow.id)
            assert follow is not None
            assert (follow.status, follow.outcome) == ("done", "Tiene hora el lunes")
        timeline = app.screen.query_one("#timeline", DataTable)
        cells = [str(timeline.get_row_at(i)) for i in range(timeline.row_count)]
        assert any("Derivación" in c and "CESFAM" in c for c in cells)


async def test_intake_errors_show_beside_the_field_and_keep_what_was_typed(
    sqlite_only: Database, worker: WorkerOut
) -> None:
    app = make_app(sqlite_only)
    async with app.run_test(size=(100, 40)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+n")
        await settle(pilot)
        intake = app.screen
        await pilot.press(*"Marie")
        await pilot.press("tab")
        await pilot.press(*"Joseph")
        intake.query_one("#doc_type", Select).value = "run"
        intake.query_one("#doc_number", Input).focus()
        await pilot.press(*"12.345.678-9")
        intake.query_one("#birth_date", Input).focus()
        await pilot.press(*"31-02-1990")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = intake.query_one("#error-birth_date", Static)
        assert error.display and "Fecha no válida" in text_of(error)
        intake.query_one("#birth_date", Input).value = "03-05-1990"
        await pilot.press("ctrl+s")
        await settle(pilot)
        doc_error = intake.query_one("#error-documents", Static)
        assert doc_error.display and "debería ser 5" in text_of(doc_error)
        assert intake.query_one("#given_names", Input).value == "Marie"
        # Escape keeps the draft; the day lists it (B) and Enter resumes it as it was.
        await pilot.press("escape")
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is intake
        assert intake.query_one("#doc_number", Input).value == "12.345.678-9"
        intake.query_one("#doc_number", Input).value = "12.345.678-5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        with sqlite_only.read() as s:
            assert s.scalar(sa.select(Person.given_names)) == "Marie"


async def test_first_run_creates_the_first_worker(sqlite_only: Database) -> None:
    app = make_app(sqlite_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"Ana Pizarro Soto")
        app.screen.query_one("#username", Input).value = "apizarro"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # The first admin chooses a password before anything else.
        app.screen.query_one("#password", Input).value = PASSWORD
        app.screen.query_one("#repeat", Input).value = PASSWORD
        app.screen.query_one("#repeat", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert app.worker is not None and app.worker.role == "admin"


async def test_english_interface(sqlite_only: Database, worker: WorkerOut) -> None:
    from casework.i18n import set_language

    set_language("en")
    app = make_app(sqlite_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        title = text_of(app.screen.query_one("#day-title", Static))
        assert "Today, Monday 2026-11-23" in title
        await pilot.press("f1")
        await pilot.pause()
        assert "Follow-up done" in str(
            app.screen.query_one(".modal-box Static:last-of-type", Static).render()
        )
        await pilot.press("escape")


async def test_every_screen_action_is_in_the_command_palette(
    sqlite_only: Database, ctx: Context, worker: WorkerOut
) -> None:
    from casework.commands import ScreenActions

    pid = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(sqlite_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.open_person(pid)
        await settle(pilot)
        provider = ScreenActions(app.screen)
        titles = [text for text, _, _ in provider._actions()]
        for expected in ("Derivar", "Orientar", "Nota", "Buscar", "Nueva ficha"):
            assert any(expected in title for title in titles), expected


async def test_supervisor_drills_from_a_number_to_the_person(
    sqlite_only: Database, ctx: Context, supervisor: WorkerOut
) -> None:
    from casework.screens.caseload import CaseloadScreen, DrillScreen

    pid = persons.register_intake(ctx, intake_data()).person_id
    schedule_follow_up(ctx, pid, {"due_on": dt.date(2026, 11, 1), "what": "Llamar"})
    app = make_app(sqlite_only)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)
        table = app.screen.query_one("#table", DataTable)
        overdue_column = 1 + list(
            __import__("casework.services.reports").services.reports.METRICS
        ).index("overdue")
        table.move_cursor(row=0, column=overdue_column)
        assert str(table.get_cell_at(table.cursor_coordinate)) == "1"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DrillScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen) and app.screen.person_id == pid


async def test_supervisor_previews_and_exports_the_panel_statistics(
    sqlite_only: Database, ctx: Context, supervisor: WorkerOut, admin: WorkerOut, tmp_path: Path
) -> None:
    from casework.screens.panel import PanelScreen
    from casework.services import settings

    settings.set_municipality(Context(sqlite_only, admin.id), {"code": "13101", "version": 0})

    for i in range(40):
        data = intake_data(
            person_data(
                given_names=f"Persona{i}", documents=[], nationality="VEN" if i % 3 else "PER"
            )
        )
        data["contact"] = {
            "reasons": ["health"],
            "occurred_at": dt.datetime(2026, 8, 1 + i % 28, tzinfo=dt.UTC),
        }
        persons.register_intake(ctx, data, allow_likely=True)
    app = make_app(sqlite_only)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PanelScreen)
        assert "2026-Q3" in text_of(screen.query_one("#panel-status", Static))
        preview = text_of(screen.query_one("#preview", Static))
        # Tables by their title (issue #15: no codes on the desk), and no person's name.
        assert (
            "Personas atendidas según nacionalidad" in preview and "t1_nacionalidad" not in preview
        )
        assert not any(f"Persona{i}" in preview for i in range(40))
        screen.query_one("#folder", Input).value = str(tmp_path)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (tmp_path / "2026-Q3" / "panel-2026-Q3.json").exists()


async def test_supervisor_merges_a_duplicate_side_by_side(
    sqlite_only: Database, ctx: Context, supervisor: WorkerOut
) -> None:
    from casework.screens.dedupe import CompareScreen, DedupeQueueScreen

    keep = persons.register_intake(ctx, intake_data()).person_id
    other = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="YESENIA",
                first_surname="RONDON",
                second_surname=None,
                phone="+51987654321",
                documents=[],
            )
        ),
        allow_likely=True,
    ).person_id
    app = make_app(sqlite_only)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, DedupeQueueScreen)
        await pilot.press("s")
        await settle(pilot)
        assert len(app.screen.pairs) == 1
        await pilot.press("enter")
        await settle(pilot)
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        if compare.left is not None and compare.left.id != keep:
            await pilot.press("x")
        table = compare.query_one(DataTable)
        table.move_cursor(
            row=list(__import__("casework.services.merge").services.merge.MERGE_FIELDS).index(
                "phone"
            )
        )
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # the merge confirmation (tests/test_merge_screens.py)
        await settle(pilot)
        assert isinstance(app.screen, DedupeQueueScreen)
        with sqlite_only.read() as s:
            merged = s.get(Person, other)
            kept = s.get(Person, keep)
            assert merged is not None and merged.merged_into_id == keep
            assert kept is not None and kept.phone == "+51987654321"


async def test_escape_from_a_form_keeps_what_was_typed(
    sqlite_only: Database, ctx: Context, worker: WorkerOut
) -> None:
    from textual.widgets import TextArea

    from casework.models import Note

    pid = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(sqlite_only)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.open_person(pid)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Trae el certificado")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#text", TextArea).text == "Trae el certificado"
        await pilot.press("ctrl+s")
        await settle(pilot)
        with sqlite_only.read() as s:
            assert s.scalar(sa.select(Note.text)) == "Trae el certificado"
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#text", TextArea).text == ""
