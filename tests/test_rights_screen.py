"""Finishing a rights request from the F7 screen, driven with keys: the access answer
written to files the supervisor is told about, a refusal on a legal exception, an erasure
that needs the word typed, a block lifted; bad input is pointed out and nothing typed is lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.widgets import DataTable, Input, Select, Static, TextArea
from textual.widgets._footer import FooterKey

from casework.app import CaseworkApp, make_app
from casework.db import Database
from casework.errors import Conflict
from casework.models import Person, RightsRequest
from casework.screens.help import HelpScreen
from casework.screens.rights import (
    AnswerAccessModal,
    EraseModal,
    LiftBlockModal,
    RefuseModal,
    RightsScreen,
)
from casework.services import persons, rights
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data
from .test_desk import settle, sign_in_as

NOW = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


@pytest.fixture
def person_id(ctx: Context) -> uuid.UUID:
    return persons.register_intake(ctx, intake_data()).person_id


def current(app: CaseworkApp) -> object:
    """The screen on top (a call, so a type check on an earlier screen does not stick)."""
    return app.screen


def text_of(widget: Static) -> str:
    return str(widget.render())


def _request(database: Database, request_id: uuid.UUID) -> RightsRequest:
    with database.read() as s:
        row = s.get(RightsRequest, request_id)
        assert row is not None
        return row


async def _rights_screen(pilot, app: CaseworkApp) -> RightsScreen:  # type: ignore[no-untyped-def]
    await sign_in_as(pilot, "Carolina Reyes")
    await pilot.press("f7")
    await settle(pilot)
    assert isinstance(app.screen, RightsScreen)
    return app.screen


async def test_an_access_answer_is_written_to_files_the_supervisor_is_shown(
    ctx: Context, database: Database, supervisor: WorkerOut, person_id: uuid.UUID, tmp_path: Path
) -> None:
    request = rights.register(ctx, {"person_id": person_id, "kind": "access"})
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _rights_screen(pilot, app)
        await pilot.press("a")  # identity not checked yet: no answer
        await settle(pilot)
        assert current(app) is screen
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AnswerAccessModal)
        assert "acceso" in text_of(modal.query_one(".title", Static))
        offered = modal.query_one("#folder", Input).value
        assert offered.endswith("casework-exports")

        # A folder that cannot be made: the message says so, the form and request stay.
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        modal.query_one("#folder", Input).value = str(blocker / "respuestas")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert current(app) is modal
        assert "No se pudo escribir" in text_of(modal.query_one("#form-error", Static))
        assert modal.query_one("#folder", Input).value == str(blocker / "respuestas")
        assert _request(database, request.id).status == "open"

        folder = tmp_path / "respuestas"
        modal.query_one("#folder", Input).value = str(folder)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert current(app) is screen
        shown = text_of(screen.query_one("#result", Static))
        [json_file] = folder.glob("*.json")
        [text_file] = folder.glob("*.txt")
        assert str(folder) in shown and json_file.name in shown and text_file.name in shown
        assert screen.query_one(DataTable).row_count == 0
    answered = _request(database, request.id)
    assert answered.status == "answered"
    assert answered.answer_sha256 == hashlib.sha256(json_file.read_bytes()).hexdigest()
    assert json.loads(json_file.read_text())["person"]["given_names"] == "Yesenia Carolina"
    assert "Yesenia Carolina" in text_file.read_text()
    assert json_file.stat().st_mode & 0o077 == 0  # the owner's eyes only


async def test_a_refusal_needs_a_legal_exception_and_reasons(
    ctx: Context, database: Database, supervisor: WorkerOut, person_id: uuid.UUID
) -> None:
    request = rights.register(ctx, {"person_id": person_id, "kind": "erasure"})
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _rights_screen(pilot, app)
        await pilot.press("x")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, RefuseModal)
        modal.query_one("#note", TextArea).text = "Causa de VIF en curso."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert current(app) is modal  # no exception chosen: nothing refused, the note stays
        assert "obligatorio" in text_of(modal.query_one("#error-ground", Static))
        assert modal.query_one("#note", TextArea).text == "Causa de VIF en curso."
        assert _request(database, request.id).status == "open"
        modal.query_one("#ground", Select).value = "victim_protection"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert current(app) is screen
        assert "Protección de víctimas y testigos" in text_of(screen.query_one("#result", Static))
    refused = _request(database, request.id)
    assert (refused.status, refused.refusal_ground) == ("refused", "victim_protection")
    assert refused.answer_note == "Causa de VIF en curso."


async def test_an_erasure_happens_only_after_typing_the_word_and_reports_what_went(
    ctx: Context, database: Database, supervisor: WorkerOut, person_id: uuid.UUID
) -> None:
    persons.add_note(ctx, person_id, {"text": "Trajo documentos."})
    request = rights.register(
        Context(database, supervisor.id),
        {"person_id": person_id, "kind": "erasure", "identity_checked": True},
    )
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _rights_screen(pilot, app)
        await pilot.press("s")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, EraseModal)
        assert "Yesenia" in text_of(modal.query_one("#warning", Static))
        await pilot.press(*"BORRA", "enter")
        await settle(pilot)
        assert current(app) is modal
        assert "escriba BORRAR" in text_of(modal.query_one("#error-word", Static))
        with database.read() as s:
            assert s.get(Person, person_id) is not None
        modal.query_one("#word", Input).value = "borrar"  # not the word shown: capitals count
        await pilot.press("enter")
        await settle(pilot)
        assert current(app) is modal
        assert "escriba BORRAR" in text_of(modal.query_one("#error-word", Static))
        with database.read() as s:
            assert s.get(Person, person_id) is not None
        modal.query_one("#word", Input).value = "BORRA"
        await pilot.press("R", "enter")
        await settle(pilot)
        assert current(app) is screen
        shown = text_of(screen.query_one("#result", Static))
        # What went, in words, not table names.
        assert "Supresión hecha" in shown and "1 nota" in shown and "1 ficha" in shown
        assert "1 caso" in shown and "1 atención" in shown
        assert not any(raw in shown for raw in ("case_file", "contact 1", "note 1", "person 1"))
    with database.read() as s:
        assert s.get(Person, person_id) is None
    assert _request(database, request.id).status == "answered"


async def test_a_block_is_lifted_with_a_reason_and_the_file_can_change_again(
    ctx: Context, database: Database, supervisor: WorkerOut, person_id: uuid.UUID
) -> None:
    block = rights.register(ctx, {"person_id": person_id, "kind": "blocking"})
    rights.register(ctx, {"person_id": person_id, "kind": "rectification"})
    with pytest.raises(Conflict):
        persons.add_note(ctx, person_id, {"text": "Durante el bloqueo"})
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _rights_screen(pilot, app)
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        await pilot.press("down", "l")  # the rectification is no block
        await settle(pilot)
        assert current(app) is screen
        await pilot.press("up", "s")  # nor an erasure
        await settle(pilot)
        assert current(app) is screen
        await pilot.press("l")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, LiftBlockModal)
        pending = text_of(modal.query_one("#pending", Static))
        assert "Rectificación" in pending  # what the block may still be waiting for
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert current(app) is modal
        assert "obligatorio" in text_of(modal.query_one("#error-note", Static))
        await pilot.press(*"Rectificada")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert current(app) is screen
        assert "Bloqueo levantado" in text_of(screen.query_one("#result", Static))
        assert table.row_count == 1
    lifted = _request(database, block.id)
    assert (lifted.status, lifted.answer_note) == ("answered", "Rectificada")
    persons.add_note(ctx, person_id, {"text": "Después del bloqueo"})
    with database.read() as s:
        assert s.scalar(sa.select(Person.id).where(Person.id == person_id)) == person_id


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _person(ctx: Context, name: str, doc: str) -> uuid.UUID:
    data = person_data(given_names=name, documents=[{"type": "passport", "number": doc}])
    return persons.register_intake(ctx, intake_data(data), allow_likely=True).person_id


def _rows(table: DataTable) -> list[str]:  # type: ignore[type-arg]
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_after_an_action_the_cursor_stays_on_the_same_request(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    names = ["Ángel", "Berta", "Celia"]
    requests = [
        rights.register(ctx, {"person_id": _person(ctx, n, f"CU00000{i}"), "kind": "access"})
        for i, n in enumerate(names)
    ]
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _rights_screen(pilot, app)
        table = screen.query_one(DataTable)
        assert [n in r for n, r in zip(names, _rows(table), strict=True)] == [True] * 3

        # i on the third row, then a: the answer is for the third person, not the first.
        await pilot.press("down", "down", "i")
        await settle(pilot)
        assert table.cursor_row == 2 and "Celia" in _rows(table)[2]
        assert _rows(table)[2].endswith(" sí") and _rows(table)[0].endswith(" no")
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AnswerAccessModal)
        assert "Celia" in " ".join(text_of(w) for w in modal.query(Static))
        await pilot.press("escape")
        await settle(pilot)

        # Extending the first request moves it to the end of the list: the cursor goes with
        # it, and the next key acts on that same request.
        await pilot.press("up", "up", "e")
        await settle(pilot)
        assert "Ángel" in _rows(table)[2] and table.cursor_row == 2
        await pilot.press("i")
        await settle(pilot)
        assert table.cursor_row == 2 and "Ángel" in _rows(table)[2]
    checked = {r.id: _request(database, r.id).identity_checked for r in requests}
    assert checked == {requests[0].id: True, requests[1].id: False, requests[2].id: True}


async def test_an_open_request_of_an_erased_person_shows_no_id(
    ctx: Context, database: Database, supervisor: WorkerOut, person_id: uuid.UUID
) -> None:
    sup = Context(database, supervisor.id)
    erasure = rights.register(
        Context(database, supervisor.id),
        {"person_id": person_id, "kind": "erasure", "identity_checked": True},
    )
    rights.register(ctx, {"person_id": person_id, "kind": "objection"})
    rights.erase(sup, erasure.id)
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _rights_screen(pilot, app)
        [row] = _rows(screen.query_one(DataTable))
        assert "(ficha suprimida)" in row and "Oposición" in row
        assert not UUID.search(row)
        await pilot.press("enter")  # there is no file to open
        await settle(pilot)
        assert current(app) is screen


async def test_every_key_of_the_screen_is_shown_at_80_columns_and_in_the_help(
    database: Database, supervisor: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _rights_screen(pilot, app)
        in_footer = {
            k.action
            for k in screen.query(FooterKey)
            if k.region.width and k.region.right <= 80 and k.region.y < 24
        }
        hint = text_of(screen.query_one("#keys", Static))
        keys = screen.query_one("#keys", Static).region
        assert keys.right <= 80 and keys.height == 1  # one line
        for binding in RightsScreen.BINDINGS:
            assert not isinstance(binding, tuple)
            if binding.show:
                assert binding.action in in_footer, binding.action
            else:
                shown = "Enter" if binding.key == "enter" else binding.key
                assert f"{shown} " in hint, binding.key
        await pilot.press("f1")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        listed = " ".join(text_of(w) for w in help_screen.query(Static))
        for description in (
            "Prorrogar",
            "Rechazar",
            "Suprimir",
            "Levantar bloqueo",
            "Actualizar",
            "Identidad verificada",
            "Responder",
            "Nueva solicitud",
        ):
            assert description in listed
