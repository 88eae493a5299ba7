"""The reassign and transfer dialogs at 80x24 (screens/assign.py), on the synthetic office
of tests/test_assign_screens.py with a frozen clock. Review changes with
`--snapshot-update` and look at the report before committing new pictures."""

from __future__ import annotations

import pytest

from casework.app import make_app
from casework.screens.admin import AdminScreen
from casework.screens.assign import (
    AcceptTransferModal,
    MoveWorkModal,
    ReassignCaseModal,
    TransferRequestModal,
    TransfersScreen,
)
from casework.services import assignment
from casework.services.context import Context

from .test_assign_screens import Desk, office  # noqa: F401  (the fixture)
from .test_desk import sign_in_as
from .test_snapshots import _settle

SIZE = (80, 24)


def test_reassign_case(snap_compare, office: Desk) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await sign_in_as(pilot, "Carolina Reyes")
        pilot.app.open_person(office.person_id)
        await _settle(pilot)
        await pilot.press("w")
        await _settle(pilot)
        assert isinstance(pilot.app.screen, ReassignCaseModal)

    assert snap_compare(make_app(office.db), terminal_size=SIZE, run_before=run_before)


def test_deactivation_asks_who_takes_the_work(snap_compare, office: Desk) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await _settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AdminScreen)
        table = screen.query_one("#workers-table")
        keys = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=next(i for i, k in enumerate(keys) if "dfuentes" in k))
        await pilot.press("d")
        await _settle(pilot)
        assert isinstance(pilot.app.screen, MoveWorkModal)

    assert snap_compare(make_app(office.db), terminal_size=SIZE, run_before=run_before)


def test_transfer_request(snap_compare, office: Desk) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await sign_in_as(pilot, "Daniela Fuentes")
        pilot.app.open_person(office.person_id)
        await _settle(pilot)
        await pilot.press("t")
        await _settle(pilot)
        assert isinstance(pilot.app.screen, TransferRequestModal)

    assert snap_compare(make_app(office.db), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("accept", [False, True], ids=["list", "accept"])
def test_transfers_waiting(snap_compare, office: Desk, accept: bool) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    assignment.request_transfer(
        Context(office.db, office.desk_id),
        office.case_id,
        {"to_programme_id": office.omil_id, "reason": "Busca empleo formal"},
    )

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await sign_in_as(pilot, "Patricia Soto")
        await pilot.press("f5")
        await _settle(pilot)
        await pilot.press("t")
        await _settle(pilot)
        assert isinstance(pilot.app.screen, TransfersScreen)
        if accept:
            await pilot.press("a")
            await _settle(pilot)
            assert isinstance(pilot.app.screen, AcceptTransferModal)

    assert snap_compare(make_app(office.db), terminal_size=SIZE, run_before=run_before)
