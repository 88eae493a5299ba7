"""The person edit form driven with keys at 80x24 (#14 points 4-5): correct and complete
a person from their file, a reason for identity corrections, documents, a household member
linked to a person on record, a rectification carried out through the form, and another
desk's change of the same field shown beside it with nothing typed lost."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from textual.widgets import Input, Select, Static

from casework import rut
from casework.app import make_app
from casework.db import Database
from casework.models import AuditEvent, Person, PersonCorrection, RightsRequest
from casework.screens.person import PersonScreen
from casework.screens.person_edit import PersonEditModal
from casework.screens.person_modals import EntryViewerModal
from casework.services import person_edit, persons, rights
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import PersonPicker

from .factories import intake_data, person_data
from .test_desk import sign_in_as
from .test_person_screen import notices, settle, start_as, text_of

pytestmark = pytest.mark.usefixtures("frozen_clock")

SIZE = (80, 24)


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


@pytest.fixture
def person_id(ctx: Context) -> uuid.UUID:
    return persons.register_intake(ctx, intake_data()).person_id


def _run(number: int) -> str:
    return f"{number}-{rut.check_digit(str(number))}"


async def type_into(pilot: Any, modal: PersonEditModal, widget_id: str, text: str) -> None:
    """Put the cursor in a field (scrolled into view), clear it and type ``text``."""
    field = modal.query_one(f"#{widget_id}", Input)
    field.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u")
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def open_form(pilot: Any, app: Any, worker: WorkerOut, pid: uuid.UUID) -> PersonEditModal:
    await start_as(pilot, worker.id)
    app.open_person(pid)
    await settle(pilot)
    assert isinstance(app.screen, PersonScreen)
    await pilot.press("i")
    await settle(pilot)
    modal = app.screen
    assert isinstance(modal, PersonEditModal)
    return modal


def identity(app: Any) -> str:
    return text_of(app.screen.query_one("#identity", Static))


def error_beside(modal: PersonEditModal, name: str) -> str:
    slot = modal.query_one(f"#error-{name}", Static)
    return text_of(slot) if slot.display else ""


def _person(database: Database, pid: uuid.UUID) -> Person:
    with database.read() as s:
        row = s.get(Person, pid)
        assert row is not None
        s.expunge(row)
        return row


async def test_phone_commune_email_address_and_social_name_corrected_from_the_file(
    database: Database, ctx: Context, worker: WorkerOut, person_id: uuid.UUID
) -> None:
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_form(pilot, app, worker, person_id)
        assert "Yesenia" in text_of(modal.query_one(".title", Static))
        assert modal.query_one("#phone", Input).value == "+56987654321"
        await type_into(pilot, modal, "phone", "922222222")
        await type_into(pilot, modal, "commune_code", "Valparaíso")
        await type_into(pilot, modal, "email", "yesenia@example.org")
        await type_into(pilot, modal, "address", "Pasaje Los Aromos 123")
        await type_into(pilot, modal, "social_name", "Yesi")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "Datos corregidos" in notices(app)
        assert "«Yesi»" in text_of(app.screen.query_one("#person-title", Static))
        shown = identity(app)
        for text in ("+56922222222", "Valparaíso", "yesenia@example.org", "Los Aromos", "Yesi"):
            assert text in shown
        table: Any = app.screen.query_one("#timeline")
        rows = [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        [line] = [r for r in rows if "Datos corregidos" in r]
        assert "teléfono" in line and "comuna" in line and "nombre social" in line
        # Enter on it reads each change, before and after.
        table.focus()
        table.move_cursor(row=next(i for i, r in enumerate(rows) if "Datos corregidos" in r))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryViewerModal)
        whole = text_of(app.screen.query_one("#entry-text", Static))
        assert "+56987654321 → +56922222222" in whole
        assert "nombre social: — → Yesi" in whole
        assert "comuna: Santiago → Valparaíso" in whole  # names, not codes
    with database.read() as s:
        [corr] = s.scalars(sa.select(PersonCorrection)).all()
        changes = {c["field"]: (c["before"], c["after"]) for c in corr.changes}
        assert changes["phone"] == ("+56987654321", "+56922222222")
        assert changes["social_name"] == (None, "Yesi")
        [event] = s.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "update", AuditEvent.entity == "person"
            )
        ).all()
        assert event.details["correction"] == str(corr.id)


async def test_an_identity_correction_without_a_reason_is_refused_beside_the_reason(
    database: Database, ctx: Context, worker: WorkerOut, person_id: uuid.UUID
) -> None:
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_form(pilot, app, worker, person_id)
        await type_into(pilot, modal, "first_surname", "Rondon")
        await type_into(pilot, modal, "phone", "922222222")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "requiere un motivo" in error_beside(modal, "correction_reason")
        reason_box = modal.query_one("#error-correction_reason", Static)
        assert modal.query_one("#person-edit").region.contains_region(reason_box.region)
        # Nothing typed is lost, nothing written.
        assert modal.query_one("#first_surname", Input).value == "Rondon"
        assert modal.query_one("#phone", Input).value == "922222222"
        assert _person(database, person_id).first_surname == "Rondón"
        await type_into(pilot, modal, "correction_reason", "Cedula a la vista")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        # The reason given is read with the correction, on the file.
        table: Any = app.screen.query_one("#timeline")
        table.focus()
        rows = [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        table.move_cursor(row=next(i for i, r in enumerate(rows) if "Datos corregidos" in r))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryViewerModal)
        whole = text_of(app.screen.query_one("#entry-text", Static))
        assert "Rondón → Rondon" in whole and "Motivo: Cedula a la vista" in whole
    assert _person(database, person_id).first_surname == "Rondon"


async def test_a_run_obtained_later_and_a_passport_marked_expired(
    database: Database, ctx: Context, worker: WorkerOut, person_id: uuid.UUID
) -> None:
    run = _run(26123456)
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_form(pilot, app, worker, person_id)
        assert modal.query_one("#doc_type_new", Select).value == "run"
        await type_into(pilot, modal, "doc_number_new", run)
        await type_into(pilot, modal, "doc_expires_0", "31-01-2025")
        await type_into(pilot, modal, "correction_reason", "RUN otorgado")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        shown = identity(app)
        assert "RUN 26.123.456" in shown
        assert "vencido el 31-01-2025" in shown


async def test_a_document_another_person_holds_is_refused_by_name_beside_it(
    database: Database, ctx: Context, worker: WorkerOut, person_id: uuid.UUID
) -> None:
    run = _run(26123456)
    other = person_data(
        given_names="Wilmer", first_surname="Castillo", documents=[{"type": "run", "number": run}]
    )
    persons.register_intake(ctx, intake_data(other))
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_form(pilot, app, worker, person_id)
        await type_into(pilot, modal, "doc_number_new", run)
        await type_into(pilot, modal, "correction_reason", "RUN otorgado")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "Wilmer Castillo" in error_beside(modal, "doc_new")
        assert modal.query_one("#doc_number_new", Input).value == run


async def test_a_household_member_linked_to_a_person_on_record_shows_on_both_files(
    database: Database, ctx: Context, worker: WorkerOut, person_id: uuid.UUID
) -> None:
    child = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Sofía",
                first_surname="Mendoza",
                documents=[{"type": "passport", "number": "VE7654321"}],
            )
        ),
    ).person_id
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_form(pilot, app, worker, person_id)
        await type_into(pilot, modal, "household_find", "Sofia Mendoza")
        await settle(pilot)
        picker = modal.query_one("#household_picker", PersonPicker)
        assert picker.display and picker.row_count == 1
        await pilot.press("enter")  # to the list
        await pilot.press("enter")  # pick her
        await settle(pilot)
        assert "Sofía Mendoza" in text_of(modal.query_one("#hh_link_new", Static))
        assert modal.focused is modal.query_one("#hh_rel_new", Select)
        modal.query_one("#hh_rel_new", Select).value = "child"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "Sofía Mendoza (Hijo/a" in identity(app)
        await pilot.press("escape")
        await settle(pilot)
        app.open_person(child)
        await settle(pilot)
        assert "Yesenia Carolina Rondón (Padre / madre)" in identity(app)
    with database.read() as s:
        linked = s.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.action == "link", AuditEvent.entity == "household_member"
            )
        )
        assert linked == 1


async def test_a_rectification_is_carried_out_through_the_edit_form(
    database: Database,
    ctx: Context,
    supervisor: WorkerOut,
    person_id: uuid.UUID,
) -> None:
    sup = Context(database, supervisor.id)
    request = rights.register(
        sup, {"person_id": person_id, "kind": "rectification", "identity_checked": True}
    )
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, PersonEditModal)
        assert "Rectificación" in text_of(modal.query_one(".title", Static))
        await type_into(pilot, modal, "phone", "922222222")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, PersonEditModal)
        assert "Rectificación hecha" in notices(app)
    with database.read() as s:
        row = s.get(RightsRequest, request.id)
        assert row is not None and row.status == "answered"
        assert row.answer_note is not None and "teléfono" in row.answer_note
    assert _person(database, person_id).phone == "+56922222222"


async def test_another_desk_changed_the_same_field_the_form_says_what_is_on_record(
    database: Database, ctx: Context, worker: WorkerOut, supervisor: WorkerOut, person_id: uuid.UUID
) -> None:
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_form(pilot, app, worker, person_id)
        await type_into(pilot, modal, "phone", "922222222")
        await type_into(pilot, modal, "email", "mine@example.org")
        # Meanwhile, another desk corrects the phone.
        other = Context(database, supervisor.id)
        form = person_edit.form(other, person_id)
        person_edit.save(
            other,
            person_id,
            {"person": {"phone": {"base": form.values["phone"], "new": "933333333"}}},
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        beside = error_beside(modal, "phone")
        assert "+56933333333" in beside and "922222222" in beside
        assert "teléfono" in text_of(modal.query_one("#form-error", Static))
        assert modal.query_one("#phone", Input).value == "922222222"  # kept
        assert modal.query_one("#email", Input).value == "mine@example.org"
        assert _person(database, person_id).email is None  # nothing of the save written
        # A second Ctrl+S saves what was typed over what is on record now.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
    saved = _person(database, person_id)
    assert (saved.phone, saved.email) == ("+56922222222", "mine@example.org")


async def test_a_household_member_added_with_a_bad_year_then_removed(
    database: Database, ctx: Context, worker: WorkerOut, person_id: uuid.UUID
) -> None:
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        modal = await open_form(pilot, app, worker, person_id)
        modal.query_one("#hh_rel_new", Select).value = "child"
        await type_into(pilot, modal, "hh_name_new", "Matias")
        await type_into(pilot, modal, "hh_year_new", "15")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "cuatro dígitos" in error_beside(modal, "household_new")
        assert modal.query_one("#hh_name_new", Input).value == "Matias"
        await type_into(pilot, modal, "hh_year_new", "2015")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "Matias (Hijo/a, 2015)" in identity(app)
        await pilot.press("i")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, PersonEditModal)
        modal.query_one("#hh_remove_0").focus()
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "Matias" not in identity(app)
