"""The new worker form at 80x24 after a Ctrl+S with the programme missing: title, every
field, the programme's message and the summary in view. Review changes with
`--snapshot-update` and look at the report before committing new pictures."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from casework.app import make_app
from casework.db import Database
from casework.screens.admin import NewWorkerModal
from casework.services.schemas import WorkerOut

from .test_desk import sign_in_as
from .test_snapshots import _settle

SIZE = (80, 24)

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def database(desk_database: Database) -> Database:
    return desk_database


def test_new_worker_form_with_its_error(snap_compare, database: Database, admin: WorkerOut) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await _settle(pilot)
        await pilot.press("a")
        await _settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, NewWorkerModal)
        form.query_one("#username", Input).value = "csoto"
        form.query_one("#full_name", Input).value = "Carla Soto"
        form.query_one("#password", Input).value = "clave temporal 2026"
        form.query_one("#password_repeat", Input).value = "clave temporal 2026"
        await pilot.press("ctrl+s")
        await _settle(pilot)

    assert snap_compare(make_app(database), terminal_size=SIZE, run_before=run_before)
