"""The search screen at 80x24, driven as a worker would (#14 points 6 and 12): each row
says what matched, beside the name, where the terminal shows it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from textual.widgets import Input, Static

from casework import rut
from casework.app import make_app
from casework.db import Database
from casework.screens.search import SearchScreen
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import PersonPicker

from .test_desk import settle, sign_in_as
from .test_search import new_person

pytestmark = pytest.mark.usefixtures("frozen_clock")
BODY = "21999888"


@pytest.fixture
def database(desk_database: Database) -> Database:
    return desk_database


async def _search(pilot: Any, typed: str) -> tuple[str, list[list[str]]]:
    screen = pilot.app.screen
    screen.query_one("#query", Input).value = ""
    await settle(pilot)
    await pilot.press(*typed)
    await settle(pilot)
    table = screen.query_one("#results", PersonPicker)
    rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
    return str(screen.query_one("#status", Static).render()), rows


async def test_the_search_screen_at_80x24(database: Database, worker: WorkerOut) -> None:
    ctx = Context(database, worker.id)
    gonzalez: dict[str, Any] = {"phone": "+56 9 8765 4321", "birth_date": dt.date(1990, 3, 12)}
    new_person(ctx, "Ana", "González", "Pérez", **gonzalez)
    new_person(ctx, "Ana", "Gonzales", None, phone=None, birth_date=dt.date(1991, 1, 1))
    new_person(ctx, "John", "Smith", None, phone=None, birth_date=dt.date(1985, 1, 2))
    new_person(ctx, "María José", "Pérez", "Soto", phone=None, birth_date=dt.date(1979, 5, 6))
    run = [{"type": "run", "number": f"{BODY}-{rut.check_digit(BODY)}"}]
    new_person(ctx, "Lucía", "Mamani", documents=run, phone=None, birth_date=dt.date(2001, 7, 8))
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        # Exact first, then one letter away, each saying so.
        status, rows = await _search(pilot, "Gonzales")
        assert [r[:2] for r in rows] == [
            ["Ana Gonzales", "apellido"],
            ["Ana González Pérez", "apellido ~1 letra"],
        ]
        assert status == "2 persona(s)."
        _, rows = await _search(pilot, "Jhon")
        assert [r[:2] for r in rows] == [["John Smith", "nombre ~1 letra"]]
        _, rows = await _search(pilot, "perez maria")
        assert [r[:2] for r in rows] == [["María José Pérez Soto", "nombre, apellido"]]
        _, rows = await _search(pilot, "9 8765 4321")
        assert [r[:2] for r in rows] == [["Ana González Pérez", "teléfono"]]
        _, rows = await _search(pilot, "12-03-1990")
        assert [r[:2] for r in rows] == [["Ana González Pérez", "fecha de nacimiento"]]
        dotted = f"{BODY[:2]}.{BODY[2:5]}.{BODY[5:]}-{rut.check_digit(BODY)}"
        for typed in (dotted, BODY):
            _, rows = await _search(pilot, typed)
            assert [r[:2] for r in rows] == [["Lucía Mamani", "documento"]], typed
        status, rows = await _search(pilot, "12-03")
        assert rows == [] and "Fecha incompleta" in status
        # What matched is drawn inside the 80 columns, not cut.
        await _search(pilot, "Gonzales")
        table = app.screen.query_one("#results", PersonPicker)
        shown = list(table.columns.values())[:2]
        assert sum(c.get_render_width(table) for c in shown) <= table.size.width
        assert shown[1].label.plain == "Coincide en"
