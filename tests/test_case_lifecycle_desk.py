"""The case's status driven from the person file at 80x24 (k): close with an outcome and see
the status and the timeline change; a message inside the dialog when something is missing
or another desk closed the case first; reopen and hold."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from textual.widgets import Select, Static

from casework import clock
from casework.app import make_app
from casework.db import Database
from casework.models import Case, FollowUp, Referral
from casework.screens.case_close import CaseLifecycleModal
from casework.screens.person import PersonScreen
from casework.services import case_lifecycle, persons, referrals, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import RecordTable

from .factories import intake_data

SIZE = (80, 24)


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_file(pilot, worker_id: uuid.UUID, person_id: uuid.UUID) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    pilot.app.start_session(staff.sign_in(Context(pilot.app.database), worker_id))
    await settle(pilot)
    pilot.app.open_person(person_id)
    await settle(pilot)


def later(frozen: dt.datetime, minutes: int) -> None:
    """The desk's clock moved on: what is done now shows above the intake."""
    clock.freeze(frozen + dt.timedelta(minutes=minutes))


def text_of(widget: Static) -> str:
    return str(widget.render())


def notices(app) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(n.message) for n in app._notifications)


def in_view(modal: CaseLifecycleModal, widget: Static) -> bool:
    """Drawn inside the dialog's box and inside the 80x24 screen: the worker can read it."""
    box = modal.query_one(".modal-box").region
    r = widget.region
    return (
        widget.display
        and r.height > 0
        and box.contains_region(r)
        and r.bottom <= SIZE[1]
        and r.right <= SIZE[0]
    )


def first_timeline_row(screen: PersonScreen) -> list[str]:
    table = screen.query_one("#timeline", RecordTable)
    return [str(c) for c in table.get_row_at(0)]


async def test_closing_from_the_file_with_an_outcome_changes_status_and_timeline(
    database: Database, ctx: Context, worker: WorkerOut, frozen_clock: dt.datetime
) -> None:
    r = persons.register_intake(ctx, intake_data())
    referrals.create(
        ctx, r.person_id, {"destination": "cesfam", "reason": "Salud", "consent_given": True}
    )
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await open_file(pilot, worker.id, r.person_id)
        await pilot.press("k")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, CaseLifecycleModal)
        labels = " ".join(str(w.render()) for w in modal.query("Label"))
        assert "Seguimientos pendientes: 1" in labels
        assert "Derivaciones abiertas: 1" in labels
        assert modal.query_one("#follow_ups", Select).value == "cancel"

        # Nothing chosen: the message is beside the outcome, inside the dialog, in view.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        error = modal.query_one("#error-outcome", Static)
        assert "Elija uno de los valores" in text_of(error)
        assert in_view(modal, error)
        assert in_view(modal, modal.query_one("#form-error", Static))

        await pilot.press("enter", "down", "enter")  # Objetivo logrado
        await settle(pilot)
        assert modal.query_one("#outcome", Select).value == "goal_reached"
        later(frozen_clock, 5)
        await pilot.press("ctrl+s")
        await settle(pilot)

        screen = app.screen
        assert isinstance(screen, PersonScreen)
        assert "Caso cerrado. 1 seguimiento(s) y 1 derivación(es) cancelados." in notices(app)
        assert "Oficina de Migrantes: cerrado" in text_of(screen.query_one("#identity", Static))
        row = first_timeline_row(screen)
        assert row[1] == "Caso cerrado" and row[2].startswith("Objetivo logrado")
    with database.read() as s:
        case = s.get(Case, r.case_id)
        assert case is not None and case.closing_outcome == "goal_reached"
        assert {f.status for f in s.query(FollowUp)} == {"cancelled"}
        assert {x.status for x in s.query(Referral)} == {"cancelled"}


async def test_other_without_a_note_is_told_inside_the_dialog(
    database: Database, ctx: Context, worker: WorkerOut, frozen_clock: dt.datetime
) -> None:
    r = persons.register_intake(ctx, intake_data())
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await open_file(pilot, worker.id, r.person_id)
        await pilot.press("k")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, CaseLifecycleModal)
        await pilot.press("enter", *["down"] * 5, "enter")  # Otro
        await settle(pilot)
        assert modal.query_one("#outcome", Select).value == "other"
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = modal.query_one("#error-note", Static)
        assert "la nota dice cuál" in text_of(error)
        assert in_view(modal, error)
        assert app.focused is modal.query_one("#note")
        await pilot.press(*"Vuelve a su país", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
    with database.read() as s:
        case = s.get(Case, r.case_id)
        assert case is not None and case.closing_note == "Vuelve a su país"


async def test_a_case_another_desk_closed_meanwhile_is_told_inside_the_dialog(
    database: Database,
    ctx: Context,
    worker: WorkerOut,
    supervisor: WorkerOut,
    frozen_clock: dt.datetime,
) -> None:
    r = persons.register_intake(ctx, intake_data())
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await open_file(pilot, worker.id, r.person_id)
        await pilot.press("k")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, CaseLifecycleModal)
        await pilot.press("enter", "down", "down", "down", "down", "enter")  # contact lost
        # Meanwhile the supervisor closes it at her desk.
        case_lifecycle.close(
            Context(database, supervisor.id), r.case_id, {"outcome": "moved_commune"}
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        message = modal.query_one("#form-error", Static)
        assert "Carolina Reyes ya cerró este caso el 23-11-2026" in text_of(message)
        assert in_view(modal, message)
    with database.read() as s:
        case = s.get(Case, r.case_id)
        assert case is not None and case.closing_outcome == "moved_commune"


async def test_hold_then_reopen_a_closed_case_from_the_file(
    database: Database, ctx: Context, worker: WorkerOut, frozen_clock: dt.datetime
) -> None:
    r = persons.register_intake(ctx, intake_data())
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await open_file(pilot, worker.id, r.person_id)
        await pilot.press("k")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, CaseLifecycleModal)
        modal.query_one("#lc-action", Select).value = "hold"
        await settle(pilot)
        assert not modal.query_one("#lc-close").display
        modal.query_one("#reason").focus()
        later(frozen_clock, 5)
        await pilot.press(*"Viaja al norte", "tab", *"15-01-2027", "ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PersonScreen)
        assert "Caso en pausa." in notices(app)
        assert first_timeline_row(screen)[1] == "Caso en pausa"
        with database.read() as s:
            held = s.get(Case, r.case_id)
            assert held is not None and held.hold_until == dt.date(2027, 1, 15)

        later(frozen_clock, 10)
        case_lifecycle.close(ctx, r.case_id, {"outcome": "lost_contact"})
        later(frozen_clock, 15)
        screen.reload()
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, CaseLifecycleModal)
        assert "Se perdió el contacto" in text_of(modal.query_one("#lc-summary", Static))
        await pilot.press("ctrl+s")  # a reason is needed
        await settle(pilot)
        assert in_view(modal, modal.query_one("#error-reason", Static))
        await pilot.press(*"Volvió a la oficina", "ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PersonScreen)
        assert first_timeline_row(screen)[1] == "Caso reabierto"
        assert "Oficina de Migrantes: abierto" in text_of(screen.query_one("#identity", Static))


async def test_a_colleague_is_told_the_case_is_not_hers(
    database: Database, ctx: Context, admin: WorkerOut, frozen_clock: dt.datetime
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    other = staff.create_worker(
        Context(database, admin.id),
        {"username": "otra", "full_name": "Otra Persona", "programme_code": "OFMIG"},
    )
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await open_file(pilot, other.id, pid)
        await pilot.press("1")  # the reason the file is opened: a desk visit
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "pueden cerrarlo, reabrirlo o pausarlo" in notices(app)


def test_the_audit_trail_reads_a_closing_in_words(database: Database, ctx: Context) -> None:
    from casework.models import AuditEvent
    from casework.screens.audit import action_label, details_text
    from casework.services.audit_log import AuditRow

    r = persons.register_intake(ctx, intake_data())
    referrals.create(
        ctx, r.person_id, {"destination": "cesfam", "reason": "Salud", "consent_given": True}
    )
    case_lifecycle.close(ctx, r.case_id, {"outcome": "goal_reached"})
    with database.read() as s:
        row = s.query(AuditEvent).filter(AuditEvent.action == "case_close").one()
        assert row.details == {"follow_up": 1, "referral": 1}
    assert action_label("case_close") == "Cerró el caso"
    shown = details_text(AuditRow.model_validate(row, from_attributes=True), {})
    assert shown == "1 derivación, 1 seguimiento"


async def test_a_case_closed_at_the_desk_reaches_the_retention_review_and_reopening_removes_it(
    database: Database,
    ctx: Context,
    worker: WorkerOut,
    supervisor: WorkerOut,
    frozen_clock: dt.datetime,
) -> None:
    from casework.screens.retention import RetentionScreen

    r = persons.register_intake(ctx, intake_data())
    name = persons.names(ctx, {r.person_id})[r.person_id]
    case_lifecycle.close(ctx, r.case_id, {"outcome": "goal_reached"})
    later(frozen_clock, 60 * 24 * (5 * 365 + 10))  # five years and ten days on
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.start_session(staff.sign_in(Context(database), supervisor.id))
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RetentionScreen)
        table = screen.query_one(RecordTable)
        assert table.row_count == 1
        assert name in " ".join(str(c) for c in table.get_row_at(0))

        case_lifecycle.reopen(ctx, r.case_id, {"reason": "Volvió a la oficina"})
        await pilot.press("r")
        await settle(pilot)
        assert table.row_count == 0
