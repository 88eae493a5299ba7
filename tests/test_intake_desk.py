"""The intake at 80x24 as a worker meets it (issue #14 points 1, 2, 3, 8): a failed save
puts the cursor on the field in error with its message and a summary above the footer; a
likely duplicate opens a dialog (Ctrl+S twice creates nothing); drafts never mix between
two Ctrl+N or two workers; names from the search fill only empty fields."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from textual.widgets import Checkbox, Input, Select, SelectionList, Static, TextArea

from casework.app import make_app
from casework.db import Database
from casework.models import Contact, MatchPair, Person
from casework.screens.forms import ContactModal
from casework.screens.intake import DraftsModal, DuplicateGate, IntakeScreen
from casework.screens.person import PersonScreen
from casework.screens.today import TodayScreen
from casework.services import duplicate_queue, persons, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import ConfirmModal
from casework.widgets.feedback import SummaryBar

from .factories import intake_data, person_data
from .test_desk import settle, sign_in_as

pytestmark = pytest.mark.usefixtures("frozen_clock")
DESK = (80, 24)


@pytest.fixture
def database(desk_database: Database) -> Database:
    return desk_database


def text_of(widget: Any) -> str:
    return str(widget.render())


def _lines(app: Any) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def visible(app: Any, widget: Any) -> bool:
    """The widget is drawn inside the terminal (not scrolled out of view)."""
    region = widget.region
    screen = app.screen.region
    return bool(region.height) and screen.contains_region(region)


def _count(db: Database, model: Any) -> int:
    with db.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def _new_intake(app: Any, pilot: Any) -> IntakeScreen:
    """Signed in as the desk's worker, on a new ficha (Ctrl+N)."""
    await sign_in_as(pilot, "Daniela Fuentes")
    await pilot.press("ctrl+n")
    await settle(pilot)
    intake = app.screen
    assert isinstance(intake, IntakeScreen)
    return intake


async def _type_into(pilot: Any, intake: IntakeScreen, widget_id: str, text: str) -> None:
    intake.query_one(f"#{widget_id}").focus()
    await pilot.press(*text)


async def _type_yesenia_again(pilot: Any, intake: IntakeScreen) -> None:
    """The woman of factories.person_data, typed again at a new visit (another passport)."""
    await _type_into(pilot, intake, "given_names", "Yesenia Carolina")
    await _type_into(pilot, intake, "first_surname", "Rondon")
    await _type_into(pilot, intake, "second_surname", "Briceno")
    await _type_into(pilot, intake, "birth_date", "17-04-1991")
    await _type_into(pilot, intake, "doc_number", "VE7654321")
    intake.query_one("#reasons", SelectionList).select("regularization")
    intake.query_one("#note", TextArea).text = "Viene por su hija."
    await settle(pilot)


# 1 and 8: feedback where the worker looks ---------------------------------------------------


async def test_a_failed_save_focuses_the_field_in_error_with_its_message_and_a_summary(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        intake = await _new_intake(app, pilot)
        await _type_into(pilot, intake, "given_names", "Marie")
        await _type_into(pilot, intake, "first_surname", "Joseph")
        await _type_into(pilot, intake, "birth_date", "01-01-2030")  # in the future
        intake.query_one("#note").focus()  # the worker is at the bottom of the form
        await pilot.press(*"Primera visita")
        await pilot.press("ctrl+s")
        await settle(pilot)
        field = intake.query_one("#birth_date", Input)
        error = intake.query_one("#error-birth_date", Static)
        summary = intake.query_one(SummaryBar)
        assert intake.focused is field
        assert "futuro" in text_of(error)
        assert "Revise los campos marcados" in summary.message
        await settle(pilot)
        for widget in (field, error, summary):
            assert visible(app, widget), widget
        assert "futuro" in _lines(app) and "Revise los campos" in _lines(app)
        assert field.value == "01-01-2030"
        assert intake.query_one("#note", TextArea).text == "Primera visita"
    assert _count(database, Person) == 0


async def test_an_arrival_before_birth_is_shown_on_the_arrival_date(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        intake = await _new_intake(app, pilot)
        await _type_into(pilot, intake, "given_names", "Marie")
        await _type_into(pilot, intake, "first_surname", "Joseph")
        await _type_into(pilot, intake, "birth_date", "01-01-1990")
        await _type_into(pilot, intake, "arrival_date", "01-01-1980")
        intake.query_one("#given_names").focus()
        await pilot.press("ctrl+s")
        await settle(pilot)
        field = intake.query_one("#arrival_date", Input)
        error = intake.query_one("#error-arrival_date", Static)
        assert intake.focused is field
        assert "anterior a la de nacimiento" in text_of(error)
        assert visible(app, field) and visible(app, error)
        assert field.value == "01-01-1980"
    assert _count(database, Person) == 0


async def test_tab_visits_every_field_in_view_down_to_the_note_which_keeps_what_is_typed(
    database: Database, worker: WorkerOut
) -> None:
    """Only fields are Tab stops (not the scrolling box, not an empty list of persons on
    record), each one is scrolled into view as it gets the cursor, and the Nota takes
    what is typed; Shift+Tab from the first field goes round to it."""
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        intake = await _new_intake(app, pilot)
        first = intake.query_one("#given_names", Input)
        note = intake.query_one("#note", TextArea)
        assert app.focused is first
        fields = (Input, Select, Checkbox, SelectionList, TextArea)
        visited = []
        for _ in range(40):
            await pilot.press("tab")
            await settle(pilot)
            focused = app.focused
            assert isinstance(focused, fields), focused
            assert visible(app, focused), focused
            visited.append(focused.id)
            if focused is note:
                break
        assert app.focused is note
        assert visited[-3:] == ["stats_opt_out", "reasons", "note"]
        assert len(visited) == len(set(visited))  # no field twice, no wrap round
        await pilot.press(*"Viene por visa temporaria.")
        await settle(pilot)
        assert note.text == "Viene por visa temporaria."
        await pilot.press("tab")  # round to the first field, scrolled back into view
        await settle(pilot)
        assert app.focused is first and visible(app, first)
        await pilot.press("shift+tab")
        await settle(pilot)
        assert app.focused is note and visible(app, note)
        await pilot.press(*" Con su hija.")
        await settle(pilot)
        assert note.text == "Viene por visa temporaria. Con su hija."
        assert intake.visit()["note"] == "Viene por visa temporaria. Con su hija."


# 2: the duplicate gate -----------------------------------------------------------------------


async def test_ctrl_s_twice_on_a_likely_duplicate_creates_nothing(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    existing = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        intake = await _new_intake(app, pilot)
        await _type_yesenia_again(pilot, intake)
        await pilot.press("ctrl+s")
        await settle(pilot)
        gate = app.screen
        assert isinstance(gate, DuplicateGate)
        assert [c.person.id for c in gate.found] == [existing]
        shown = _lines(app)
        assert "Yesenia Carolina" in shown and "Coincide" in shown
        await pilot.press("ctrl+s")  # a second Ctrl+S never goes through the dialog
        await settle(pilot)
        await pilot.press("escape")  # back to the form, as typed
        await settle(pilot)
        assert app.screen is intake
        summary = intake.query_one(SummaryBar)
        assert "Nada se guardó" in summary.message and visible(app, summary)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DuplicateGate)
        assert intake.query_one("#given_names", Input).value == "Yesenia Carolina"
    assert _count(database, Person) == 1


async def test_enter_opens_the_existing_person_with_the_visit_carried_over(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    existing = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        intake = await _new_intake(app, pilot)
        await _type_yesenia_again(pilot, intake)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DuplicateGate)
        assert len(app.intake_drafts()) == 1
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ContactModal) and form.person_id == existing
        # The ficha is done: the visit is in the contact form, not an unfinished intake.
        assert app.intake_drafts() == []
        assert intake not in app.screen_stack
        assert list(form.query_one("#reasons", SelectionList).selected) == ["regularization"]
        assert form.query_one("#note", TextArea).text == "Viene por su hija."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen) and app.screen.person_id == existing
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert not app.screen.query_one("#drafts-line", Static).display
        assert app.intake_drafts() == []
    assert _count(database, Person) == 1
    with database.read() as s:
        notes = list(s.scalars(sa.select(Contact.note).where(Contact.person_id == existing)))
    assert "Viene por su hija." in notes


async def test_someone_else_creates_the_person_and_records_the_pair(
    database: Database, ctx: Context, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    existing = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        intake = await _new_intake(app, pilot)
        await _type_yesenia_again(pilot, intake)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DuplicateGate)
        await pilot.press("o")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen) and app.screen.person_id != existing
        created = app.screen.person_id
    assert _count(database, Person) == 2
    with database.read() as s:
        pair = s.scalars(sa.select(MatchPair)).one()
        assert {pair.person_a, pair.person_b} == {existing, created}
        assert pair.status == "not_same" and pair.decided_by == worker.id
    assert duplicate_queue.scan(Context(database, supervisor.id)).new_pairs == 0


# 3: drafts ------------------------------------------------------------------------------------


async def test_two_ctrl_n_never_mix_and_drafts_are_resumed_on_purpose(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+n")
        await settle(pilot)
        first = app.screen
        assert isinstance(first, IntakeScreen)
        await _type_into(pilot, first, "given_names", "Rosa")
        await _type_into(pilot, first, "birth_date", "02-03-1980")
        await pilot.press("ctrl+n")  # the next person: an empty ficha
        await settle(pilot)
        second = app.screen
        assert isinstance(second, IntakeScreen) and second is not first
        assert second.query_one("#given_names", Input).value == ""
        assert second.query_one("#birth_date", Input).value == ""
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        line = app.screen.query_one("#drafts-line", Static)
        assert "1 ficha(s) sin terminar" in text_of(line) and visible(app, line)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, DraftsModal)
        assert "Rosa" in _lines(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is first
        assert first.query_one("#birth_date", Input).value == "02-03-1980"
        # Discarded on purpose, after a question.
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert app.intake_drafts() == []
        assert not app.screen.query_one("#drafts-line", Static).display


async def test_another_worker_never_sees_the_drafts(
    database: Database, worker: WorkerOut, admin: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press(*"Rosa")
        await pilot.press("escape")
        await settle(pilot)
        assert len(app.intake_drafts()) == 1
        mine = app.intake_drafts()[0].id
        # Another worker signs in at the same desk.
        other = staff.find_worker(Context(database), admin.username)
        assert other is not None
        app.start_session(other)
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert app.intake_drafts() == []
        assert not app.screen.query_one("#drafts-line", Static).display
        app.resume_intake(mine)
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)  # not theirs: nothing opens
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.query_one("#given_names", Input).value == ""


async def test_names_from_the_search_fill_only_empty_fields(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        intake = await _new_intake(app, pilot)
        app.action_new_intake("jesenia rondon")  # a blank ficha takes the names
        await settle(pilot)
        assert app.screen is intake
        assert intake.query_one("#first_surname", Input).value == "Rondon"
        intake.query_one("#given_names", Input).value = "Yesenia"
        intake.prefill("maria gonzalez perez")  # never over what was typed
        assert intake.query_one("#given_names", Input).value == "Yesenia"
        assert intake.query_one("#first_surname", Input).value == "Rondon"
        assert intake.query_one("#second_surname", Input).value == "Perez"
        # From the search with a ficha already typed: a NEW ficha, the draft untouched.
        app.action_new_intake("ana lopez")
        await settle(pilot)
        fresh = app.screen
        assert isinstance(fresh, IntakeScreen) and fresh is not intake
        assert fresh.query_one("#given_names", Input).value == "Ana"
        assert intake.query_one("#given_names", Input).value == "Yesenia"
        assert intake.query_one("#first_surname", Input).value == "Rondon"


async def test_a_phone_typed_at_the_intake_is_offered_to_a_file_without_one(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    existing = persons.register_intake(ctx, intake_data(person_data(phone=None))).person_id
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        intake = await _new_intake(app, pilot)
        await _type_yesenia_again(pilot, intake)
        await _type_into(pilot, intake, "phone", "9 1234 5678")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # the existing file
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, ContactModal)
        await pilot.press("escape")  # the contact form is kept for later, not saved
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmModal)
        assert "9 1234 5678" in _lines(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
    with database.read() as s:
        assert s.get(Person, existing).phone == "+56912345678"
