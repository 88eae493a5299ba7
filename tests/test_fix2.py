"""Defects a fresh-eyes tester found at 80x24 after issue #15: the new-worker form fits, the
person file opens on its timeline, the day's message names the lists that act, and a form's
summary line goes once its fields are fixed."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.widgets import Input, Select, Static

from casework.app import make_app
from casework.db import Database
from casework.screens import person as person_module
from casework.screens.admin import AdminScreen, NewWorkerModal, OfficeSettingsModal
from casework.screens.person import EntryViewerModal, PersonScreen, load_person
from casework.screens.search import SearchScreen
from casework.screens.today import TodayScreen
from casework.services import persons, referrals
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import RecordTable

from .factories import intake_data
from .test_desk import settle, sign_in_as

DESK = (80, 24)


def screen_text(app: Any) -> str:
    """What the terminal shows, line by line."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


async def test_the_new_worker_form_fits_at_80x24_and_shows_its_first_error(
    database: Database, admin: WorkerOut, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewWorkerModal)
        shown = screen_text(app)
        for text in (
            "Nuevo funcionario/a",
            "Usuario",
            "Nombre completo",
            "Programa",
            "Repita la contraseña",
            "Ctrl+S",
        ):
            assert text in shown, text

        # Everything typed but the programme: Ctrl+S says so beside it, the cursor on it.
        form.query_one("#username", Input).value = "csoto"
        form.query_one("#full_name", Input).value = "Carla Soto"
        form.query_one("#password", Input).value = "clave temporal 2026"
        form.query_one("#password_repeat", Input).value = "clave temporal 2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        shown = screen_text(app)
        slot = form.query_one("#error-programme_code", Static)
        assert slot.display
        message = str(slot.render())
        assert message.startswith("Este rol necesita un programa:")
        assert "Este rol necesita un programa:" in shown and "tenerlo)." in shown
        assert form.focused is form.query_one("#programme", Select)
        assert "Revise los campos marcados" in shown

        # The programme chosen from the list: its message and the summary go; Ctrl+S saves.
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert form.query_one("#programme", Select).value == "OFMIG"
        assert not slot.display
        assert "Revise los campos marcados" not in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form


async def test_the_person_file_opens_with_the_cursor_on_its_timeline(
    database: Database, ctx: Context, worker: WorkerOut, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    for text in ("Primera nota", "Segunda nota", "Tercera nota"):
        persons.add_note(ctx, pid, {"text": text})
    # A file that takes its time to read (a busy office server): the keys pressed meanwhile
    # go to the timeline, not to the identity panel beside it.
    read = threading.Event()

    def slow_load(screen: PersonScreen) -> Any:
        read.wait(5)
        return load_person(screen)

    monkeypatch.setattr(person_module, "load_person", slow_load)
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"Yesenia")
        await settle(pilot)
        await pilot.press("enter")  # to the results
        await pilot.press("enter")  # opens the file
        await pilot.pause()
        person = app.screen
        assert isinstance(person, PersonScreen)
        timeline = person.query_one("#timeline", RecordTable)
        assert person.focused is timeline  # while the file is still being read
        read.set()
        await settle(pilot)
        assert person.focused is timeline
        assert timeline.row_count >= 4

        # Down Down Enter reads the third entry at once.
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryViewerModal)
        assert timeline.cursor_row == 2


async def test_the_day_says_which_lists_a_follow_up_key_acts_on(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    referrals.create(ctx, pid, {"destination": "cesfam", "reason": "Salud", "consent_given": True})
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        waiting = app.screen.query_one("#waiting", RecordTable)
        assert waiting.row_count == 1
        waiting.focus()
        await pilot.press("x")
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert said == ["Elija un seguimiento de las listas Hoy o Atrasados."]


async def test_the_summary_line_goes_once_the_marked_field_is_fixed(
    database: Database, admin: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficeSettingsModal)
        minutes = form.query_one("#minutes", Input)
        assert form.focused is minutes
        await pilot.press("end", "backspace", "backspace", "backspace", "9", "9", "9")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        shown = screen_text(app)
        assert "Revise los campos marcados; nada se perdió." in shown
        assert form.query_one("#error-minutes", Static).display

        # The worker types a good number: the field's message and the summary both go.
        await pilot.press("backspace", "backspace", "backspace", "1", "5")
        await pilot.pause()
        assert not form.query_one("#error-minutes", Static).display
        assert "Revise los campos marcados" not in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        assert app.idle_minutes == 15
