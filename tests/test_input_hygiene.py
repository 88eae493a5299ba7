"""Input hygiene (issue #14 point 8): a phone with letters is refused with a message, never
rewritten; a follow-up is never scheduled or moved into the past. Nothing is written, and
nothing the worker typed is lost."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from textual.widgets import Input, Static

from casework import clock
from casework.app import make_app
from casework.db import Database
from casework.errors import InvalidInput
from casework.models import FollowUp, Person
from casework.screens.forms import FollowUpModal
from casework.screens.intake import IntakeScreen
from casework.services import followups, persons
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import fmt_date

from .factories import intake_data, person_data
from .test_desk import settle, sign_in_as

pytestmark = pytest.mark.usefixtures("frozen_clock")
DESK = (80, 24)


@pytest.fixture
def database(desk_database: Database) -> Database:
    return desk_database


def _codes(exc: InvalidInput) -> dict[str, str]:
    return {e.field: e.code for e in exc.errors}


def test_a_phone_with_letters_is_refused_not_read_as_a_keypad(ctx: Context) -> None:
    # phonenumbers alone reads "9 8765 43A1" as 9 8765 4321: a typo became a number.
    with pytest.raises(InvalidInput) as caught:
        persons.register_intake(ctx, intake_data(person_data(phone="9 8765 43A1")))
    assert _codes(caught.value) == {"person.phone": "phone_letters"}
    message = caught.value.errors[0].message("es")
    assert "letras" in message and "9 8765 43A1" in message
    with ctx.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 0
    # Digits, spaces, + and dashes are still a phone.
    done = persons.register_intake(ctx, intake_data(person_data(phone="+56 9-8765-4321")))
    with ctx.db.read() as s:
        assert s.get(Person, done.person_id).phone == "+56987654321"


def test_every_error_of_an_intake_is_said_at_once(ctx: Context) -> None:
    """An arrival before birth is said with the form's other errors, not on a later save."""
    form = person_data(
        phone="9abc12", birth_date=dt.date(2001, 3, 15), arrival_date=dt.date(2000, 1, 1)
    )
    with pytest.raises(InvalidInput) as caught:
        persons.register_intake(ctx, intake_data(form))
    assert _codes(caught.value) == {
        "person.phone": "phone_letters",
        "person.arrival_date": "arrival_before_birth",
    }
    # A birth date of its own in error is said alone: no guess about the arrival.
    form.update(birth_date="15-03-2030")
    with pytest.raises(InvalidInput) as caught:
        persons.register_intake(ctx, intake_data(form))
    assert "person.arrival_date" not in _codes(caught.value)


def test_a_follow_up_is_not_scheduled_or_moved_into_the_past(ctx: Context) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    today = clock.today()
    with pytest.raises(InvalidInput) as caught:
        followups.schedule(
            ctx, person_id, {"due_on": today - dt.timedelta(days=1), "what": "Llamar"}
        )
    assert _codes(caught.value) == {"due_on": "due_in_past"}
    fu = followups.schedule(ctx, person_id, {"due_on": today, "what": "Llamar hoy"})
    with pytest.raises(InvalidInput):
        followups.reschedule(ctx, fu, today - dt.timedelta(days=3))
    with ctx.db.read() as s:
        rows = s.scalars(sa.select(FollowUp)).all()
        assert [(r.what, r.due_on) for r in rows] == [("Llamar hoy", today)]


async def test_the_intake_says_the_phone_has_letters_and_keeps_it(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+n")
        await settle(pilot)
        intake = app.screen
        assert isinstance(intake, IntakeScreen)
        await pilot.press(*"Marie")
        await pilot.press("tab")
        await pilot.press(*"Joseph")
        intake.query_one("#phone", Input).focus()
        await pilot.press(*"9 8765 43A1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = intake.query_one("#error-phone", Static)
        assert error.display and "lleva letras" in str(error.render())
        assert intake.query_one("#phone", Input).value == "9 8765 43A1"
        assert app.screen is intake  # nothing saved, the form stays
    with database.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


async def test_a_follow_up_dated_yesterday_is_refused_inside_its_dialog(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.push_screen(FollowUpModal(person_id))
        await settle(pilot)
        form = app.screen
        date = form.query_one("#due_on", Input)
        date.value = fmt_date(clock.today() - dt.timedelta(days=1))
        form.query_one("#what", Input).value = "Llamar por la hora en el CESFAM"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        error = form.query_one("#error-due_on", Static)
        assert error.display and "ya pasó" in str(error.render())
        box = form.query_one(".modal-box").region
        assert box.contains_region(error.region)  # the message is inside the dialog
        assert form.query_one("#what", Input).value == "Llamar por la hora en el CESFAM"
    with database.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 0
