"""Data protection at the desk, driven with keys: the supervisor's day shows rights
requests falling due, F7 the register, F9 the retention review, F8 the audit trail;
desk workers get none of them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Label, Select, Static

from casework.app import make_app
from casework.cli import main
from casework.db import Database
from casework.models import Case, Person, RightsRequest
from casework.screens.audit import AuditScreen
from casework.screens.retention import KeepModal, RetentionScreen
from casework.screens.rights import NewRequestModal, RightsScreen
from casework.screens.today import TodayScreen
from casework.services import person_file, persons, retention, rights, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import ConfirmModal

from .factories import intake_data, person_data
from .test_desk import settle, sign_in_as

NOW = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


def text_of(widget: Static) -> str:
    return str(widget.render())


def _current(app: object) -> object:
    """The screen on top (a call, so a type check on an earlier screen does not stick)."""
    return app.screen  # type: ignore[attr-defined]


def _rows(table: DataTable) -> list[str]:  # type: ignore[type-arg]
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_supervisor_sees_requests_due_and_registers_a_new_one(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    late = rights.register(
        ctx, {"person_id": person_id, "kind": "blocking", "received_on": dt.date(2026, 11, 16)}
    )
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await settle(pilot)
        today = app.screen
        assert isinstance(today, TodayScreen)
        title = text_of(today.query_one("#rights-title", Static))
        assert "Solicitudes de derechos por vencer: 1 (1 vencidas)" in title
        [row] = _rows(today.query_one("#rights", DataTable))
        assert "Yesenia" in row and "Bloqueo" in row and "vencida hace" in row

        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, RightsScreen)
        assert "1 solicitud(es) abierta(s), 1 vencida(s)" in text_of(
            app.screen.query_one("#status", Static)
        )
        due_cell = app.screen.query_one(DataTable).get_row_at(0)[0]
        assert "red" in str(due_cell.style)  # overdue stands out

        await pilot.press("n")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, NewRequestModal)
        modal.query_one("#person", Input).value = "VE1234567"  # found by document
        modal.query_one("#kind", Select).value = "access"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RightsScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        assert any("Acceso" in r and "23-12-2026" in r for r in _rows(table))
    with database.read() as s:
        kinds = set(s.scalars(sa.select(RightsRequest.kind)))
        assert kinds == {"blocking", "access"}
    assert late.overdue


async def test_a_desk_worker_gets_no_supervisor_screens(ctx: Context, database: Database) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    rights.register(ctx, {"person_id": person_id, "kind": "access"})
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await settle(pilot)
        assert not app.screen.query_one("#rights", DataTable).display
        for key in ("f7", "f8", "f9"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, TodayScreen)


async def test_an_administrator_is_told_before_a_screen_that_lists_persons_opens(
    ctx: Context, database: Database, admin: WorkerOut
) -> None:
    persons.register_intake(ctx, intake_data())
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await settle(pilot)
        start = app.screen
        for key in ("f5", "f6", "f7"):  # caseload, duplicates, rights requests
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is start, key
        shown = [n.message for n in app._notifications]
        assert len(shown) == 3 and all("supervisión" in m for m in shown), shown
        assert not any("requiere el rol" in m for m in shown)
        await pilot.press("f8")  # the trail, by ids: theirs to read
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)


def _closed_case(ctx: Context, database: Database, name: str, doc: str) -> None:
    data = person_data(given_names=name, documents=[{"type": "passport", "number": doc}])
    case_id = persons.register_intake(ctx, intake_data(data), allow_likely=True).case_id
    with database.write() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.opened_at = NOW - dt.timedelta(days=7 * 365)
        case.status, case.closing_reason = "closed", "Objetivos cumplidos"
        case.closed_at = NOW - dt.timedelta(days=6 * 365)


async def test_retention_review_keep_with_a_reason_or_anonymise_after_confirming(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    _closed_case(ctx, database, "Marisol", "RT0000001")
    _closed_case(ctx, database, "Ramona", "RT0000002")
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RetentionScreen)
        assert "2 caso(s) por revisar" in text_of(screen.query_one("#status", Static))
        assert "Marisol" in _rows(screen.query_one(DataTable))[0]

        # Keep: no reason, no keeping.
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, KeepModal)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, KeepModal)
        assert "motivo" in text_of(app.screen.query_one("#form-error", Static))
        app.screen.query_one("#reason", Input).value = "Causa judicial pendiente"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _current(app) is screen
        [left] = _rows(screen.query_one(DataTable))
        assert "Ramona" in left

        # Anonymise: Escape changes nothing; Enter confirms.
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "Ramona" in text_of(app.screen.query_one("#question", Static))
        await pilot.press("escape")
        await settle(pilot)
        with database.read() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 2
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "No hay casos cerrados" in text_of(screen.query_one("#status", Static))
    with database.read() as s:
        assert set(s.scalars(sa.select(Person.given_names))) == {"Marisol"}
    assert retention.review_queue(Context(database, supervisor.id)) == []


async def test_audit_browser_filters_by_action_and_person(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    first = persons.register_intake(ctx, intake_data()).person_id
    persons.add_note(ctx, first, {"text": "Trajo documentos."})
    data = person_data(given_names="Ramona", documents=[{"type": "passport", "number": "X12345"}])
    persons.register_intake(ctx, intake_data(data), allow_likely=True)
    app = make_app(database)
    async with app.run_test(size=(140, 40)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        everything = screen.query_one(DataTable).row_count
        assert everything >= 5
        screen.query_one("#person", Input).value = str(first)
        screen.query_one("#action", Input).value = "create"
        screen.query_one("#action", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        rows = screen.rows
        assert {r.entity for r in rows} == {"person", "contact", "note"}
        assert all(r.person_id == first for r in rows)
        assert all("Trajo" not in str(r.details) for r in rows)  # ids only, no values
        screen.query_one("#person", Input).value = "Nadie Inventado"
        await pilot.press("enter")
        await settle(pilot)
        assert "No se encontró" in text_of(screen.query_one("#status", Static))


def test_cli_registers_and_lists_rights_requests(
    ctx: Context,
    database: Database,
    supervisor: WorkerOut,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[[Database, str], list[str]],
    password_file: Callable[[str], Path],
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    db = str(database.file_path)
    creyes = cli_user(database, "creyes")
    assert main(["rights", "list", "--db", db, *creyes]) == 0
    assert "No hay solicitudes" in capsys.readouterr().out
    args = ["rights", "new", "--db", db, "--person", str(person_id), "--kind", "erasure"]
    nobody = ["--user", "nadie", "--password-file", str(password_file("frase larga de prueba"))]
    assert main([*args, *nobody]) == 2  # an unknown user cannot act
    assert "incorrectos" in capsys.readouterr().err
    assert main([*args, *creyes]) == 0
    assert "vence el 2026-12-23" in capsys.readouterr().out
    assert main(["rights", "list", "--db", db, *creyes]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert str(person_id) in line and "erasure" in line and "Yesenia" not in line


async def test_a_new_request_by_a_name_shared_by_two_persons_says_so(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    for doc in ("RQ0000001", "RQ0000002"):
        data = person_data(given_names="Ramona", documents=[{"type": "passport", "number": doc}])
        persons.register_intake(ctx, intake_data(data), allow_likely=True)
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, NewRequestModal)
        labels = " ".join(str(w.render()) for w in modal.query(Label))
        assert "documento o nombre" in labels and "id de la ficha" not in labels
        modal.query_one("#person", Input).value = "Ramona Rondón"
        modal.query_one("#kind", Select).value = "access"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal  # nothing registered for a guess
        error = text_of(modal.query_one("#error-person_id", Static))
        assert "Hay 2 personas con ese nombre" in error and "No se encontró" not in error
        modal.query_one("#person", Input).value = "RQ0000002"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RightsScreen)
        [row] = _rows(app.screen.query_one(DataTable))
        assert "Ramona" in row and "Acceso" in row


async def test_the_audit_browser_reads_in_words_with_names(
    ctx: Context, database: Database, admin: WorkerOut, supervisor: WorkerOut
) -> None:
    first = persons.register_intake(ctx, intake_data()).person_id
    other = staff.create_worker(
        Context(database, admin.id),
        {"username": "pperez", "full_name": "Pedro Pérez", "programme_code": "OFMIG"},
    )
    person_file.get_person(Context(database, other.id), first, reason="colleague_help")
    data = person_data(given_names="Ramona", documents=[{"type": "passport", "number": "X12345"}])
    gone = persons.register_intake(ctx, intake_data(data), allow_likely=True).person_id
    erasure = rights.register(
        Context(database, supervisor.id),
        {"person_id": gone, "kind": "erasure", "identity_checked": True},
    )
    rights.erase(Context(database, supervisor.id), erasure.id)
    app = make_app(database)
    async with app.run_test(size=(160, 50)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one(DataTable)
        rows = _rows(table)
        [view] = [r for r in rows if "Pedro Pérez" in r]
        assert "Vio" in view and "Ficha" in view and "Yesenia Carolina Rondón Briceño" in view
        assert "fuera de su carga · motivo: colega pidió ayuda" in view
        assert "qué: los datos personales" in view
        [erased] = [r for r in rows if "Suprimió" in r]
        assert "(ficha suprimida)" in erased and "1 ficha" in erased and "1 atención" in erased
        assert any("Solicitud de derechos" in r and "Creó" in r for r in rows)
        assert any("Entró" in r and "Funcionario/a" in r for r in rows)
        everything = " ".join(rows)
        for raw in (
            '{"',
            "rights_request",
            "colleague_help",
            "identity_checked",
            " erase ",
            "what",
        ):
            assert raw not in everything, raw
        # The trail itself still holds ids only.
        assert all("Yesenia" not in str(r.model_dump()) for r in screen.rows)

        # Reading again keeps the cursor on the same event.
        table.move_cursor(row=3)
        chosen = table.coordinate_to_cell_key(Coordinate(3, 0)).row_key.value
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value == chosen

        # Filters take the words shown, and a document for the person.
        screen.query_one("#action", Input).value = "Suprimió"
        screen.query_one("#action", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert {r.action for r in screen.rows} == {"erase"}
        screen.query_one("#action", Input).value = "view"
        screen.query_one("#person", Input).value = "VE1234567"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.rows and all(r.person_id == first for r in screen.rows)
        assert {r.action for r in screen.rows} == {"view"}


def test_the_trail_never_calls_a_person_out_of_view_erased() -> None:
    from casework.screens.audit import person_name

    seen, hidden, erased = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    names = {seen: "Yesenia Rondón", hidden: ""}
    assert person_name(names, seen) == "Yesenia Rondón"
    assert person_name(names, hidden) == "(nombre no visible para usted)"
    assert person_name(names, erased) == "(ficha suprimida)"


async def test_an_administrator_sets_the_period_on_f9_without_a_refusal(
    ctx: Context, database: Database, admin: WorkerOut
) -> None:
    _closed_case(ctx, database, "Marisol", "RT0000003")
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RetentionScreen)
        # The periods are theirs; the queue's names are the supervisors': said, not refused.
        assert "hacen los supervisores" in text_of(screen.query_one("#status", Static))
        assert not any("requiere el rol" in n.message for n in app._notifications)
        await pilot.press("p")
        await settle(pilot)
        app.screen.query_one("#months", Input).value = "12"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        shown = [n.message for n in app._notifications]
        assert "Guardado." in shown and not any("requiere el rol" in m for m in shown), shown
        assert "12 meses" in text_of(screen.query_one("#status", Static))
