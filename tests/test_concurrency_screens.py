"""The desk when another desk changed the record while a dialog was open, at 80x24: the
dialog keeps what the worker typed and says, inside itself, what is on record now."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Input, SelectionList, Static

from casework.app import make_app
from casework.db import Database
from casework.models import Case, FollowUp, Referral, ReferralEvent
from casework.screens.forms import CloseFollowUpModal, MoveReferralModal
from casework.screens.person import PersonScreen
from casework.screens.person_modals import CaseFlagsModal
from casework.services import cases, followups, persons, referrals
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, schedule_follow_up

pytestmark = pytest.mark.usefixtures("frozen_clock")

SIZE = (80, 24)


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the races under it run on both backends
    (tests/test_concurrency_edits.py)."""
    return desk_database


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def start_as(pilot, worker_id: uuid.UUID) -> None:  # type: ignore[no-untyped-def]
    from casework.services import staff

    await pilot.pause()
    pilot.app.start_session(staff.sign_in(Context(pilot.app.database), worker_id))
    await settle(pilot)


def text_of(widget: Static) -> str:
    return str(widget.render())


def in_view(widget: Widget, *covering: Widget) -> bool:
    """Drawn whole inside the 80x24 terminal and inside its dialog box, with nothing of
    ``covering`` drawn over it."""
    region = widget.region
    box = widget.screen.query_one(".modal-box").region
    return (
        region.height > 0
        and Region(0, 0, *SIZE).contains_region(region)
        and box.contains_region(region)
        and not any(region.overlaps(other.region) for other in covering)
    )


async def test_a_flag_set_at_another_desk_while_the_dialog_was_open_survives_the_save(
    database: Database, ctx: Context, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    result = persons.register_intake(ctx, intake_data())
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await start_as(pilot, worker.id)
        app.open_person(result.person_id)
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, CaseFlagsModal)
        assert app.screen.query_one("#flags", SelectionList).selected == []
        # Meanwhile the supervisor records violence on the same case.
        sup = Context(database, supervisor.id)
        assert cases.set_flags(sup, result.case_id, ["violence"], base=[])
        await pilot.press("down", "space", "ctrl+s")  # pregnancy
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        with database.read() as s:
            case = s.get(Case, result.case_id)
            assert case is not None and case.flags == ["pregnancy", "violence"]
        identity = text_of(app.screen.query_one("#identity", Static))
        assert "Embarazo" in identity and "Violencia" in identity


async def test_a_follow_up_closed_meanwhile_keeps_the_outcome_typed_and_says_who_closed_it(
    database: Database, ctx: Context, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    import datetime as dt

    pid = persons.register_intake(ctx, intake_data()).person_id
    fu = schedule_follow_up(ctx, pid, {"due_on": dt.date(2026, 11, 23), "what": "Llamar CESFAM"})
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await start_as(pilot, worker.id)
        app.screen.query_one("#due", DataTable).focus()
        await pilot.press("d")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, CloseFollowUpModal)
        await pilot.press(*"No contesta")
        # Meanwhile the supervisor closes it from her own desk.
        followups.close(
            Context(database, supervisor.id), fu, {"status": "done", "outcome": "Tiene hora"}
        )
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert app.screen is modal  # still open, with what she typed
        assert modal.query_one("#outcome", Input).value == "No contesta"
        error = modal.query_one("#form-error", Static)
        message = text_of(error)
        assert "Carolina Reyes ya cerró este seguimiento el 23-11-2026" in message
        assert "«Tiene hora»" in message and "«No contesta»" in message
        assert in_view(error, modal.query_one(".form-keys"))
        with database.read() as s:
            row = s.get(FollowUp, fu)
            assert row is not None and (row.status, row.outcome) == ("done", "Tiene hora")

        await pilot.press("ctrl+s")  # again: still refused, nothing doubled
        await settle(pilot)
        assert app.screen is modal and "Carolina Reyes" in text_of(error)


async def test_a_referral_moved_meanwhile_says_its_status_and_a_second_save_moves_on(
    database: Database, ctx: Context, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    rid = referrals.create(
        ctx, pid, {"destination": "cesfam", "reason": "Inscripción", "consent_given": True}
    )
    app = make_app(database)
    async with app.run_test(size=SIZE) as pilot:
        await start_as(pilot, worker.id)
        app.open_person(pid)
        await settle(pilot)
        await pilot.press("m")  # shows the referrals tab
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, MoveReferralModal)
        modal.query_one("#to").value = "cancelled"  # type: ignore[attr-defined]
        modal.query_one("#note", Input).value = "Se mudó a Antofagasta"
        # Meanwhile the supervisor records that the CESFAM accepted it.
        referrals.move(
            Context(database, supervisor.id), rid, {"to": "accepted", "from_status": "requested"}
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        error = modal.query_one("#form-error", Static)
        message = text_of(error)
        assert "Estado: ahora registrado «Aceptada», usted escribió «Cancelada»" in message
        assert in_view(error, modal.query_one(".form-keys"))
        assert modal.query_one("#note", Input).value == "Se mudó a Antofagasta"
        with database.read() as s:
            assert s.get(Referral, rid).status == "accepted"  # type: ignore[union-attr]

        # She has read it: a second Ctrl+S moves it on from where it is now.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        with database.read() as s:
            ref = s.get(Referral, rid)
            assert ref is not None and ref.status == "cancelled"
            moves = s.execute(
                sa.select(ReferralEvent.to_status, ReferralEvent.note)
                .where(ReferralEvent.referral_id == rid)
                .order_by(ReferralEvent.id)  # uuid7: in the order written
            ).all()
        assert [tuple(m) for m in moves] == [
            ("draft", None),
            ("requested", None),
            ("accepted", None),
            ("cancelled", "Se mudó a Antofagasta"),
        ]
