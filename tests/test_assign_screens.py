"""Reassigning and transferring at the desk (screens/assign.py), driven with Pilot on
SQLite: a supervisor reassigns a case from the person file, the staff list's deactivation
asks who takes the open work, and a transfer is requested, then accepted or declined."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from textual.widgets import Input, OptionList, Static

from casework.app import make_app
from casework.db import Database
from casework.models import Case, CaseTransfer, FollowUp, Referral
from casework.screens.admin import AdminScreen
from casework.screens.assign import (
    AcceptTransferModal,
    DeclineTransferModal,
    MoveWorkModal,
    ReassignCaseModal,
    TransferRequestModal,
    TransfersScreen,
)
from casework.screens.caseload import CaseloadScreen
from casework.screens.person import PersonScreen
from casework.services import persons, staff
from casework.services.context import Context
from casework.widgets import ConfirmModal

from .factories import intake_data, schedule_follow_up
from .test_admin import notices, rows
from .test_desk import settle, sign_in_as

SIZE = (80, 24)


@dataclass
class Desk:
    db: Database
    person_id: uuid.UUID
    case_id: uuid.UUID
    desk_id: uuid.UUID
    other_id: uuid.UUID
    omil_desk_id: uuid.UUID
    omil_id: uuid.UUID


@pytest.fixture
def office(desk_database: Database, frozen_clock: dt.datetime) -> Desk:
    db = desk_database
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    a = Context(db, admin.id)
    omil = staff.create_programme(a, {"code": "OMIL", "name": "Intermediación Laboral"})

    def make(username: str, name: str, programme: str, role: str = "worker") -> uuid.UUID:
        return staff.create_worker(
            a,
            {"username": username, "full_name": name, "programme_code": programme, "role": role},
        ).id

    desk_id = make("dfuentes", "Daniela Fuentes", "OFMIG")
    make("creyes", "Carolina Reyes", "OFMIG", "supervisor")
    other_id = make("jmunoz", "Javier Muñoz", "OFMIG")
    make("psoto", "Patricia Soto", "OMIL", "supervisor")
    omil_desk_id = make("lrios", "Luis Ríos", "OMIL")
    made = persons.register_intake(Context(db, desk_id), intake_data())
    schedule_follow_up(
        Context(db, desk_id),
        made.person_id,
        {"due_on": dt.date(2026, 11, 30), "what": "Llamar por la hora", "case_id": made.case_id},
    )
    return Desk(db, made.person_id, made.case_id, desk_id, other_id, omil_desk_id, omil.id)


def _holder(db: Database, case_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    with db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.worker_id, case.programme_id


async def _pick(pilot, list_id: str, label: str) -> None:  # type: ignore[no-untyped-def]
    options = pilot.app.screen.query_one(f"#{list_id}", OptionList)
    for i in range(options.option_count):
        if str(options.get_option_at_index(i).prompt) == label:
            options.highlighted = i
            return
    raise AssertionError(f"{label} not offered")


async def test_a_supervisor_reassigns_a_case_and_sees_it_on_the_receivers_line(
    office: Desk,
) -> None:
    app = make_app(office.db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        app.open_person(office.person_id)
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        await pilot.press("w")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ReassignCaseModal)
        offered = modal.query_one("#receivers", OptionList)
        names = [str(offered.get_option_at_index(i).prompt) for i in range(offered.option_count)]
        assert "Javier Muñoz" in names and "Daniela Fuentes" not in names  # has it already
        assert "Luis Ríos" not in names  # another programme's
        await _pick(pilot, "receivers", "Javier Muñoz")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert any("Javier Muñoz" in n and "1 seguimiento" in n for n in notices(app))
        assert _holder(office.db, office.case_id)[0] == office.other_id
        # The caseload: Javier's line now counts the case, Daniela's none.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)
        lines = rows(app.screen.query_one("#table"))  # type: ignore[arg-type]
        javier = next(r for r in lines if r.startswith("Javier Muñoz"))
        daniela = next(r for r in lines if r.startswith("Daniela Fuentes"))
        assert javier.split()[2] == "1" and daniela.split()[2] == "0"
    with office.db.read() as s:
        assert s.scalars(sa.select(FollowUp.worker_id)).all() == [office.other_id]


async def test_a_desk_worker_is_not_offered_the_reassignment(office: Desk) -> None:
    app = make_app(office.db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.open_person(office.person_id)
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert any("supervisora" in n for n in notices(app))
    assert _holder(office.db, office.case_id)[0] == office.desk_id


async def test_deactivation_asks_who_takes_the_open_work(office: Desk) -> None:
    with office.db.write() as s:
        s.add(
            Referral(
                person_id=office.person_id,
                worker_id=office.desk_id,
                service_area="health",
                destination_key="cesfam",
                reason="Control de salud",
                status="requested",
                requested_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
            )
        )
    app = make_app(office.db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AdminScreen)
        table = screen.query_one("#workers-table")
        keys = [r.split()[0] for r in rows(table)]  # type: ignore[arg-type]
        table.move_cursor(row=keys.index("dfuentes"))  # type: ignore[attr-defined]
        await pilot.press("d")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, MoveWorkModal)
        counts = str(modal.query_one("#work-counts", Static).render())
        assert "Se moverán 1 caso(s), 1 seguimiento(s) y 1 derivación(es)." in counts
        # Escape: nothing happens, she stays active with her work.
        await pilot.press("escape")
        await settle(pilot)
        assert staff.find_worker(Context(office.db), "dfuentes").active  # type: ignore[union-attr]
        await pilot.press("d")
        await settle(pilot)
        await _pick(pilot, "receivers", "Javier Muñoz")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
        # The message names who took the work.
        assert any("dfuentes" in n and "pasó a Javier Muñoz" in n for n in notices(app))
    found = staff.find_worker(Context(office.db), "dfuentes")
    assert found is not None and not found.active
    assert _holder(office.db, office.case_id)[0] == office.other_id
    with office.db.read() as s:  # her open referral went with the rest
        assert s.scalars(sa.select(Referral.worker_id)).all() == [office.other_id]


async def test_a_transfer_is_requested_then_accepted(office: Desk) -> None:
    app = make_app(office.db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.open_person(office.person_id)
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TransferRequestModal)
        await _pick(pilot, "programmes", "Intermediación Laboral")
        app.screen.query_one("#reason", Input).value = "Busca empleo formal"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        # A second request waits for the first: t says so and offers to withdraw it; Esc
        # leaves it waiting.
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one("#question", Static).render())
        assert "Ya hay un traspaso pedido a Intermediación Laboral" in question
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)

    app = make_app(office.db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Patricia Soto")
        await settle(pilot)
        # The day tells the receiving supervisor, and T opens the list from there.
        line = app.screen.query_one("#assign-transfers-line", Static)
        assert line.display and "esperando su respuesta: 1" in str(line.render())
        assert "· t los muestra" in str(line.render())  # the key as it works: lowercase
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TransfersScreen)
        assert "1" in str(screen.query_one("#transfers-count", Static).render())
        listed = rows(screen.query_one("#transfers"))  # type: ignore[arg-type]
        assert len(listed) == 1 and "Busca empleo formal" in listed[0]
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AcceptTransferModal)
        await _pick(pilot, "receivers", "Luis Ríos")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TransfersScreen)
        assert rows(app.screen.query_one("#transfers")) == []  # type: ignore[arg-type]
    assert _holder(office.db, office.case_id) == (office.omil_desk_id, office.omil_id)
    with office.db.read() as s:
        assert s.scalars(sa.select(FollowUp.worker_id)).all() == [office.omil_desk_id]
    # Nothing waits any more: the day's line is gone.
    app = make_app(office.db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Patricia Soto")
        await settle(pilot)
        assert not app.screen.query_one("#assign-transfers-line", Static).display


async def test_a_declined_transfer_shows_why_on_the_file(office: Desk) -> None:
    from casework.services import assignment

    assignment.request_transfer(
        Context(office.db, office.desk_id),
        office.case_id,
        {"to_programme_id": office.omil_id, "reason": "Busca empleo"},
    )
    app = make_app(office.db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Patricia Soto")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, DeclineTransferModal)
        await pilot.press("ctrl+s")  # no reason: refused, said in Spanish, nothing written
        await settle(pilot)
        assert isinstance(app.screen, DeclineTransferModal)
        error = str(app.screen.query_one("#form-error", Static).render())
        assert error and "reason" not in error
        await pilot.press(*"Ya tiene empleo")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TransfersScreen)
    assert _holder(office.db, office.case_id)[0] == office.desk_id
    with office.db.read() as s:
        assert s.scalars(sa.select(CaseTransfer.state)).all() == ["declined"]

    app = make_app(office.db)
    async with app.run_test(size=(120, 30)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.open_person(office.person_id)
        await settle(pilot)
        lines = rows(app.screen.query_one("#timeline"))  # type: ignore[arg-type]
        assert any("Traspaso rechazado" in r and "Ya tiene empleo" in r for r in lines), lines


async def test_the_requester_withdraws_a_waiting_transfer(office: Desk) -> None:
    from casework.services import assignment

    assignment.request_transfer(
        Context(office.db, office.desk_id),
        office.case_id,
        {"to_programme_id": office.omil_id, "reason": "Busca empleo"},
    )
    app = make_app(office.db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.open_person(office.person_id)
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "Traspaso retirado." in notices(app)
    with office.db.read() as s:
        assert s.scalars(sa.select(CaseTransfer.state)).all() == ["withdrawn"]
    assert assignment.pending_transfers(Context(office.db, office.omil_desk_id)) == []
