"""The person file at 80x24 (issue #14 points 1, 7 and 10): a dialog's error shows inside the
dialog with the cursor on the field to fix; every entry of the timeline can be read whole;
guidance questions wrap; after a save the file stays on the tab and row the worker was on."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent

from casework import clock
from casework.app import make_app
from casework.db import Database
from casework.screens.forms import CloseFollowUpModal, OwnPasswordModal
from casework.screens.person import PersonScreen
from casework.services import persons
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import RecordTable

from .factories import intake_data, schedule_follow_up
from .test_desk import settle, sign_in_as

pytestmark = pytest.mark.usefixtures("frozen_clock")
DESK = (80, 24)


@pytest.fixture
def database(desk_database: Database) -> Database:
    return desk_database


def assert_shown_in_dialog(dialog: Widget, error: Widget) -> None:
    """The message is drawn inside the dialog's box, inside the terminal, above the last
    line (the footer's)."""
    width, height = DESK
    box = dialog.query_one(".modal-box").region
    assert error.display and error.region.height > 0
    assert box.contains_region(error.region), (box, error.region)
    assert Region(0, 0, width, height - 1).contains_region(error.region), error.region


async def open_file(pilot, person_id: uuid.UUID) -> PersonScreen:  # type: ignore[no-untyped-def]
    await sign_in_as(pilot, "Daniela Fuentes")
    pilot.app.open_person(person_id)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PersonScreen)
    return screen


async def test_a_follow_up_closed_without_outcome_says_so_inside_its_dialog(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    for days, what in ((3, "Llamar por la hora en el CESFAM"), (9, "Pedir el certificado")):
        schedule_follow_up(
            ctx, person_id, {"due_on": clock.today() + dt.timedelta(days=days), "what": what}
        )
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await open_file(pilot, person_id)
        await pilot.press("d")  # the follow-ups tab first
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CloseFollowUpModal)
        await pilot.press("shift+tab")  # the cursor away from the outcome
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        error = dialog.query_one("#error-outcome", Static)
        assert "Anote qué resultó" in str(error.render())
        assert_shown_in_dialog(dialog, error)
        assert app.focused is dialog.query_one("#outcome", Input)
        assert_shown_in_dialog(dialog, dialog.query_one("#form-error", Static))
