"""Spanish all through, at 80x24 (issue #15 points 8 and 9): what the worker reads where
the desk used to show English or an internal code."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from textual.command import CommandInput, CommandList
from textual.geometry import Region
from textual.widgets import Input, Static

from casework.app import make_app
from casework.db import Database
from casework.services import persons, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

SIZE = (80, 24)


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite (the services under it run on both backends)."""
    return desk_database


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_palette_speaks_spanish_and_says_when_nothing_matches(
    database: Database, supervisor: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.start_session(supervisor)
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        palette = app.screen
        assert palette.query_one(CommandInput).placeholder == "Buscar una acción…"
        await pilot.press(*"teclas")
        await pilot.pause(0.6)
        await settle(pilot)
        found = palette.query_one(CommandList)
        prompts = [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]
        assert any("Teclas" in p for p in prompts), prompts  # Textual's "Keys", translated
        for _ in "teclas":
            await pilot.press("backspace")
        await pilot.press(*"zzzz")
        await pilot.pause(0.8)
        await settle(pilot)
        lines = [found.get_option_at_index(i).prompt for i in range(found.option_count)]
        text = " ".join(getattr(p, "renderable", p).__str__() for p in lines)
        assert "Ninguna acción coincide" in text
        assert "No matches" not in text


async def test_first_run_tabs_through_visible_fields_and_names_them_in_errors(
    database: Database,
) -> None:
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        visited = []
        for _ in range(5):
            focused = screen.focused
            assert focused is not None
            visited.append(focused.id)
            # Drawn whole inside the 80x24 terminal: what is typed is seen.
            assert Region(0, 0, *SIZE).contains_region(focused.region), focused.id
            await pilot.press("tab")
            await pilot.pause()
        assert set(visited) == {
            "full-name",
            "username",
            "start",
            "programme-name",
            "programme-code",
        }
        screen.query_one("#programme-name", Input).value = ""
        screen.query_one("#full-name", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = str(screen.query_one("#error", Static).render())
        assert "Programa:" in error
        for raw in ("name:", "full_name", "username:", "code:"):
            assert raw not in error
        assert Region(0, 0, *SIZE).contains_region(screen.query_one("#error").region)


async def test_the_audit_of_a_person_filters_by_the_name_shown_not_an_id(
    database: Database, supervisor: WorkerOut, worker: WorkerOut
) -> None:
    ctx = Context(database, worker.id)
    person = persons.register_intake(ctx, intake_data()).person_id
    other_data = person_data(
        given_names="Ximena",
        first_surname="Quispe",
        second_surname="Mamani",
        birth_date=dt.date(1980, 1, 2),
        nationality="PER",
        phone="912345678",
        documents=[{"type": "passport", "number": "PE7654321"}],
    )
    other = persons.register_intake(ctx, intake_data(other_data)).person_id
    from casework.screens.audit import AuditScreen

    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.start_session(supervisor)
        await settle(pilot)
        app.push_screen(AuditScreen(person))
        await settle(pilot)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        shown = screen.query_one("#person", Input).value
        assert shown and not _is_uuid(shown)
        assert {row.person_id for row in screen.rows} == {person}
        assert other not in {row.person_id for row in screen.rows}
        await pilot.press("ctrl+r")  # the filter as shown still means that person
        await settle(pilot)
        assert {row.person_id for row in screen.rows} == {person}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def test_first_run_service_error_is_labelled(database: Database) -> None:
    from casework.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        staff.first_run(
            Context(database),
            {"code": "OFMIG", "name": "Oficina"},
            {"username": "", "full_name": ""},
        )
    assert "full_name" not in refused.value.message("es")
