"""What a desk worker notices at 80x24: where the cursor is when a dialog opens, whether the
fields look like fields, English words in the Spanish interface, an intake that fits, keys
that ask before throwing work away, and a footer that always shows F1."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, Select, Static, TextArea

from casework.app import CaseworkApp, make_app
from casework.db import Database
from casework.i18n import set_language
from casework.screens.admin import AdminScreen, DestinationModal, NewWorkerModal
from casework.screens.forms import (
    ContactModal,
    FollowUpModal,
    FormModal,
    NoteModal,
    ReferralModal,
    StatusModal,
)
from casework.screens.help import HelpScreen
from casework.screens.intake import IntakeScreen
from casework.screens.person import PersonScreen
from casework.screens.today import TodayScreen
from casework.services import persons
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import ConfirmModal

from .factories import intake_data
from .test_desk import settle, sign_in_as

FROZEN = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)
DESK = (80, 24)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


@pytest.fixture
def person_id(ctx: Context) -> uuid.UUID:
    return persons.register_intake(ctx, intake_data()).person_id


def screen_lines(app: CaseworkApp) -> list[str]:
    """The text on the terminal, line by line, as the worker sees it."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def footer(app: CaseworkApp) -> str:
    return screen_lines(app)[-1]


def help_text(app: CaseworkApp) -> str:
    assert isinstance(app.screen, HelpScreen)
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


# 1. Dialogs: typing starts in the first field; fields look like fields ------------------------


@pytest.mark.parametrize(
    ("make", "first"),
    [
        (lambda pid, _w: FollowUpModal(pid), "#due_on"),
        (lambda pid, _w: StatusModal(pid, None), "#status"),
        (lambda pid, _w: ReferralModal(pid), "#area"),
        (lambda pid, _w: ContactModal(pid), "#reasons"),
        (lambda _pid, _w: NewWorkerModal([]), "#username"),
    ],
)
async def test_a_dialog_opens_with_its_first_field_focused(
    database: Database,
    person_id: uuid.UUID,
    worker: WorkerOut,
    make: Callable[[uuid.UUID, WorkerOut], FormModal],
    first: str,
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        form = make(person_id, worker)
        app.push_screen(form)
        await settle(pilot)
        assert app.focused is form.query_one(first)


async def test_typing_straight_away_lands_in_the_dialog(
    database: Database, person_id: uuid.UUID, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.open_person(person_id)
        await settle(pilot)
        await pilot.press("f")  # a follow-up: the date is first, already filled in
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FollowUpModal)
        await pilot.press("tab", *"Llamar")
        assert form.query_one("#what", Input).value == "Llamar"
        await pilot.press("escape")
        await settle(pilot)

        # A dialog that focuses its own field keeps it: the note's text.
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteModal)
        await pilot.press(*"Trajo")
        assert app.screen.query_one("#text", TextArea).text == "Trajo"


async def test_fields_in_a_dialog_stand_out_from_the_box_and_the_focused_one_more(
    database: Database, person_id: uuid.UUID, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.push_screen(StatusModal(person_id, None))
        await settle(pilot)
        form = app.screen
        box = form.query_one(".modal-box").styles.background
        focused = form.query_one("#subcategory", Input)
        focused.focus()
        await pilot.pause()
        other = form.query_one("#note", Input)
        assert other.styles.background != box
        assert focused.styles.background not in (box, other.styles.background)
        # Still as tall as before: every line of the form fits at 80x24.
        assert form.query_one(".modal-box").max_scroll_y == 0


# 2. Administration: the cursor stays on the record; the dialogs fit -----------------------------


async def test_after_adding_a_worker_the_cursor_is_on_them_and_d_asks_about_them(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AdminScreen)
        table = screen.query_one("#workers-table", DataTable)
        table.move_cursor(row=1)  # Daniela
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, NewWorkerModal)
        await pilot.press(*"bsoto", "tab", *"Bruno Soto")
        app.screen.query_one("#programme", Select).value = "OFMIG"  # a desk worker needs one
        app.screen.query_one("#password", Input).value = "clave temporal 2026"
        app.screen.query_one("#password_repeat", Input).value = "clave temporal 2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen) and app.screen is screen
        usernames = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert usernames == ["admin", "bsoto", "dfuentes"]
        assert usernames[table.cursor_row] == "bsoto"
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "Bruno Soto" in str(app.screen.query_one("#question", Static).render())
        await pilot.press("escape")
        await settle(pilot)

        # A reload keeps the cursor on the same person.
        table.move_cursor(row=usernames.index("dfuentes"))
        await pilot.press("r")
        await settle(pilot)
        assert str(table.get_row_at(table.cursor_row)[0]) == "dfuentes"
        selected = screen.selected_worker()
        assert selected is not None and selected.username == "dfuentes"


async def test_a_worker_without_a_password_is_shown_as_such_not_as_a_sign_in(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=(140, 30)) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await settle(pilot)
        table = app.screen.query_one("#workers-table", DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        row = [str(c) for c in table.get_row(str(worker.id))]
        assert row[headers.index("Acceso")] == "sin contraseña"
        assert row[headers.index("Último ingreso")] == "nunca"


async def test_the_new_destination_dialog_fits_at_80x24_with_its_keys_in_view(
    database: Database, admin: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10", "3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DestinationModal)
        assert form.query_one(".modal-box").max_scroll_y == 0
        assert any("Ctrl+S guarda" in line for line in screen_lines(app))
        # Refused with every message showing: the form scrolls, the keys stay in view.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Ctrl+S guarda" in line for line in screen_lines(app))


# 3. Spanish throughout -------------------------------------------------------------------------


async def test_lists_keys_and_help_speak_spanish(
    database: Database, person_id: uuid.UUID, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("f1")
        await settle(pilot)
        shown = help_text(app)
        for english in ("Focus Next", "Focus Previous", "Copy selected text", "palette"):
            assert english not in shown
        assert "Campo siguiente" in shown and "Comandos" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert "palette" not in footer(app)

        app.open_person(person_id)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReferralModal)
        text = "\n".join(screen_lines(app))
        assert "Elija…" in text and "Select" not in text
        await pilot.press("tab")  # Textual's keys still work
        assert app.focused is not None and app.focused.id != "area"
        await pilot.press("escape")
        await settle(pilot)

        # An open list's own key, in the footer of the intake.
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.screen.query_one("#language", Select).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "Cerrar la lista" in footer(app) and "Dismiss" not in footer(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)


async def test_lists_say_choose_in_english(
    database: Database, person_id: uuid.UUID, worker: WorkerOut
) -> None:
    set_language("en")
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.push_screen(ReferralModal(person_id))
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        assert "Choose…" in text and "Select" not in text


# 4. Intake -------------------------------------------------------------------------------------


async def test_the_document_row_is_readable_at_80_columns(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+n")
        await settle(pilot)
        intake = app.screen
        assert isinstance(intake, IntakeScreen)
        doc_type = intake.query_one("#doc_type", Select)
        number = intake.query_one("#doc_number", Input)
        intake.query_one("#intake-form").scroll_to_widget(number, animate=False)
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        assert "Número de documento" in text
        assert number.region.width >= 20
        doc_type.focus()
        await pilot.press("enter")
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        # Every type on one line of the open list, nothing written over the labels.
        for label, _key in doc_type._options:
            assert len(str(label)) < doc_type.region.width - 2
            assert str(label) in text
        await pilot.press("down", "enter")
        assert doc_type.value == "national_id"


async def test_clearing_the_intake_asks_first(database: Database, worker: WorkerOut) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+n")
        await settle(pilot)
        intake = app.screen
        await pilot.press(*"Rosa")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen) and app.screen is intake
        assert intake.query_one("#given_names", Input).value == "Rosa"
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen) and app.screen is not intake
        assert app.screen.query_one("#given_names", Input).value == ""
        # A blank form has nothing to lose: no question.
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)


async def test_quitting_with_an_unsaved_intake_asks_first(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+n")
        await settle(pilot)
        intake = app.screen
        await pilot.press(*"Rosa")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one("#question", Static).render())
        assert "Hay 1 ficha(s) sin terminar" in question and "¿Salir igual?" in question
        await pilot.press("escape")
        await settle(pilot)
        assert app.return_code is None
        assert app.screen is intake
        assert intake.query_one("#given_names", Input).value == "Rosa"

        # Kept as a draft (Esc) it is still unsaved: Ctrl+Q from the day asks too.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert app.return_code == 0


async def test_quitting_without_a_typed_intake_does_not_ask(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app.return_code == 0


# 5. Footers and help at 80 columns ----------------------------------------------------------


async def test_f1_is_always_in_the_footer_and_sign_in_shows_no_desk_keys(
    database: Database, person_id: uuid.UUID, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await pilot.pause()
        line = footer(app)
        assert "f1 Ayuda" in line
        for desk_key in ("Hoy", "Buscar", "Nueva ficha", "Resumen"):
            assert desk_key not in line
        await sign_in_as(pilot, "Daniela Fuentes")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert "f1 Ayuda" in footer(app)
        assert "Seguimiento hecho" in footer(app)  # the screen's own keys come first
        app.open_person(person_id)
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "f1 Ayuda" in footer(app)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "f1 Ayuda" in footer(app) and "Guardar" in footer(app)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_first_run_shows_no_desk_keys(database: Database) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await pilot.pause()
        line = footer(app)
        assert "f1 Ayuda" in line and "Guardar" in line
        for desk_key in ("Hoy", "Buscar", "Nueva ficha", "Resumen"):
            assert desk_key not in line


@pytest.mark.parametrize(
    ("name", "listed", "left_out"),
    [
        ("Daniela Fuentes", [], ["Resumen", "Duplicados", "Estadísticas", "Administración"]),
        ("Carolina Reyes", ["Resumen", "Duplicados", "Estadísticas"], ["Administración"]),
        # Administrators: not the screens that list persons (caseload, duplicates).
        ("Ana Admin", ["Estadísticas", "Administración"], ["Resumen", "Duplicados"]),
    ],
)
async def test_help_lists_the_supervisors_keys_only_for_those_who_can_use_them(
    database: Database,
    worker: WorkerOut,
    supervisor: WorkerOut,
    name: str,
    listed: list[str],
    left_out: list[str],
) -> None:
    app = make_app(database)
    async with app.run_test(size=(100, 60)) as pilot:
        await sign_in_as(pilot, name)
        await pilot.press("f1")
        await settle(pilot)
        shown = help_text(app)
        assert "Buscar" in shown and "Salir" in shown
        for key in listed:
            assert key in shown, key
        for key in left_out:
            assert key not in shown, key
        await pilot.press("escape")
        await settle(pilot)
        if name == "Daniela Fuentes":  # the key still answers, saying who it is for
            await pilot.press("f5")
            await settle(pilot)
            assert isinstance(app.screen, TodayScreen)
