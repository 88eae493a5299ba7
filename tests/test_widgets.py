"""The desk's reusable widgets on their own: fields, the person picker, the confirm dialog,
and the one handler for failed background work."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from types import SimpleNamespace

import pytest
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget

from casework.errors import NotAllowed
from casework.screens.base import CaseworkScreen, background_failed
from casework.widgets import (
    ConfirmModal,
    DateInput,
    DocumentInput,
    FieldError,
    PersonPicker,
    RecordTable,
    labelled,
)


class Harness(App[None]):
    """A bare app around the widgets ``make`` builds (inside the app, as Textual wants)."""

    def __init__(self, make: Callable[[], Iterable[Widget]] = tuple) -> None:
        super().__init__()
        self.make = make
        self.seen: list[Message] = []

    def compose(self) -> ComposeResult:
        yield from self.make()

    def on_person_picker_picked(self, event: PersonPicker.Picked) -> None:
        self.seen.append(event)


async def test_a_date_field_reads_dd_mm_yyyy_and_refuses_nonsense() -> None:
    app = Harness(lambda: (DateInput(id="when"), FieldError("when")))
    async with app.run_test():
        field = app.query_one("#when", DateInput)
        assert field.placeholder  # the dd-mm-aaaa hint
        assert field.date is None
        field.value = "07-12-2026"
        assert field.date == dt.date(2026, 12, 7)
        field.value = "31-02"
        with pytest.raises(ValueError):
            _ = field.date
        slot = app.query_one("#error-when", FieldError)
        assert not slot.display
        slot.show("fecha ilegible")
        assert slot.display


async def test_a_document_field_compares_without_punctuation() -> None:
    app = Harness(lambda: [DocumentInput(" 12.345.678-5 ", id="doc")])
    async with app.run_test():
        field = app.query_one("#doc", DocumentInput)
        assert field.number == "12.345.678-5"
        assert field.comparable == "123456785"


async def test_labelled_yields_label_widget_and_error_line() -> None:
    app = Harness(lambda: labelled("Nombre", DateInput(id="x"), error="x"))
    async with app.run_test():
        assert [type(w).__name__ for w in app.screen.children] == [
            "Label",
            "DateInput",
            "FieldError",
        ]


async def test_the_person_picker_posts_picked_with_the_person_id() -> None:
    person = SimpleNamespace(
        id=uuid.uuid4(),
        full_name="Persona Sintética",
        birth_date=dt.date(1990, 1, 2),
        nationality="VEN",
        document=None,
        last_contact=None,
    )
    app = Harness(lambda: [PersonPicker(id="results")])
    async with app.run_test() as pilot:
        picker = app.query_one(PersonPicker)
        picker.show([person])
        assert picker.row_count == 1
        picker.focus()
        await pilot.press("enter")
        await pilot.pause()
    assert [m.person_id for m in app.seen] == [person.id]  # type: ignore[attr-defined]
    assert app.seen[0].control is picker  # type: ignore[attr-defined]


async def test_a_record_table_keeps_the_cursor_on_the_same_record() -> None:
    app = Harness(lambda: [RecordTable(id="records")])
    async with app.run_test() as pilot:
        table = app.query_one(RecordTable)
        table.add_columns("Nombre")
        assert table.cursor_key is None
        table.refill((key, (key.upper(),)) for key in ("a", "b", "c", "d"))
        table.focus()
        await pilot.press("down", "down")
        assert table.cursor_key == "c"
        # Reloaded with a new record on top: still on "c".
        table.refill((key, (key.upper(),)) for key in ("z", "a", "b", "c", "d"))
        assert table.cursor_key == "c" and table.cursor_row == 3
        # "c" left the list: the cursor stays where it was, on the next record.
        table.refill((key, (key.upper(),)) for key in ("z", "a", "b", "d"))
        assert table.cursor_key == "d"
        # Fewer rows than the cursor's place: the last one.
        table.refill([("a", ("A",))])
        assert table.cursor_key == "a"
        table.refill([])
        assert table.cursor_key is None and table.row_count == 0
        # Paging is DataTable's (Home/End scroll sideways, Ctrl+Home/End go to the ends).
        table.refill((str(n), (str(n),)) for n in range(100))
        await pilot.pause()
        await pilot.press("ctrl+end")
        assert table.cursor_key == "99"
        await pilot.press("ctrl+home")
        assert table.cursor_key == "0"
        await pilot.press("pagedown")
        assert table.cursor_row > 1


async def test_the_confirm_dialog_answers_yes_and_no() -> None:
    answers: list[bool | None] = []
    app = Harness()
    async with app.run_test() as pilot:
        app.push_screen(ConfirmModal("¿Seguro?", "Pregunta"), answers.append)
        await pilot.pause()
        await pilot.press("enter")
        app.push_screen(ConfirmModal("¿Seguro?", "Pregunta"), answers.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert answers == [True, False]


def test_background_failures_log_a_traceback_without_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="casework.screens.base")
    try:
        raise RuntimeError("Persona Sintética 12.345.678-5")
    except RuntimeError as exc:
        background_failed("casework.services.persons.search_persons", exc)
    background_failed("casework.services.staff.sign_in", NotAllowed("x"))
    unexpected, refused = caplog.records
    assert unexpected.levelno == logging.ERROR and unexpected.exc_info is not None
    assert "Persona" not in unexpected.getMessage()
    assert "RuntimeError" in unexpected.getMessage()
    assert refused.levelno == logging.INFO and refused.exc_info is None


class Failing(CaseworkScreen):
    def on_mount(self) -> None:
        self.call_service(self.boom)

    @staticmethod
    def boom() -> None:
        raise RuntimeError("Persona Sintética")


async def test_a_failed_service_call_is_logged_and_shown_as_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="casework.screens.base")
    app = Harness()
    async with app.run_test() as pilot:
        app.push_screen(Failing())
        await app.workers.wait_for_complete()
        await pilot.pause()
        notes = [n.message for n in app._notifications]
    assert any("RuntimeError" in note for note in notes)
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert "Failing.boom" in caplog.records[0].getMessage()
