"""Defects a fresh-eyes tester found at 80x24 after issue #15: the new-worker form fits, the
person file opens on its timeline, the day's message names the lists that act, and a form's
summary line goes once its fields are fixed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from textual.widgets import Input, Select, Static

from casework.app import make_app
from casework.db import Database
from casework.screens.admin import AdminScreen, NewWorkerModal, OfficeSettingsModal
from casework.services import staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .test_desk import settle, sign_in_as

DESK = (80, 24)


def screen_text(app: Any) -> str:
    """What the terminal shows, line by line."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


@pytest.fixture
def desk(desk_database: Database, frozen_clock: dt.datetime) -> Database:
    return desk_database


@pytest.fixture
def office(desk: Database) -> tuple[WorkerOut, WorkerOut]:
    admin = staff.first_run(
        Context(desk),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    desk_worker = staff.create_worker(
        Context(desk, admin.id),
        {"username": "dfuentes", "full_name": "Daniela Fuentes", "programme_code": "OFMIG"},
    )
    return admin, desk_worker


async def test_the_new_worker_form_fits_at_80x24_and_shows_its_first_error(
    desk: Database, office: tuple[WorkerOut, WorkerOut]
) -> None:
    app = make_app(desk)
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
