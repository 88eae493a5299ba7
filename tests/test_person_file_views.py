"""The person file at 80x24 (issue #14 points 1, 7 and 10): a dialog's error shows inside the
dialog with the cursor on the field to fix; every entry of the timeline can be read whole;
guidance questions wrap; after a save the file stays on the tab and row the worker was on."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select, Static, TabbedContent, TextArea

from casework import clock, refdata
from casework.app import make_app
from casework.db import Database
from casework.models import Note
from casework.screens.forms import (
    CloseFollowUpModal,
    FollowUpModal,
    MoveReferralModal,
    NoteModal,
    OwnPasswordModal,
    ReferralModal,
    RescheduleModal,
    StatusModal,
)
from casework.screens.guidance import ChecklistScreen, GuidanceScreen
from casework.screens.person import PersonScreen
from casework.screens.person_modals import EntryViewerModal
from casework.services import guidance, person_file, persons, referrals
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import FieldError, RecordTable, item_text
from casework.widgets.wrapping import WrappingCheckbox

from .factories import intake_data, schedule_follow_up
from .test_desk import PASSWORD, settle, sign_in_as

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
        await pilot.press(*"Tiene hora")  # typing into it: the message has been read
        await settle(pilot)
        assert not error.display


async def test_the_own_password_dialog_says_beside_each_field_what_is_wrong(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("f12")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, OwnPasswordModal)
        fields = {n: dialog.query_one(f"#{n}", Input) for n in ("current", "new", "repeat")}
        fields["current"].value = PASSWORD
        fields["new"].value = fields["repeat"].value = "corta"
        fields["current"].focus()
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = dialog.query_one("#error-new", Static)
        assert "10 caracteres" in str(error.render())
        assert_shown_in_dialog(dialog, error)
        assert app.focused is fields["new"]
        # Two different new passwords: said under the repetition, where the cursor goes.
        fields["new"].value = "una frase nueva"
        fields["repeat"].value = "una frase distinta"
        fields["current"].focus()
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = dialog.query_one("#error-repeat", Static)
        assert "no coinciden" in str(error.render())
        assert not dialog.query_one("#error-new", Static).display
        assert_shown_in_dialog(dialog, error)
        assert app.focused is fields["repeat"]
        assert fields["current"].value == PASSWORD and fields["new"].value == "una frase nueva"


def rendered(widget: Widget) -> str:
    """The text a widget draws on screen, line by line."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text.rstrip() for line in lines)


LONG_NOTE = (
    "La persona llegó con su hija de 9 años. Trae el pasaporte vencido y el certificado de "
    "nacimiento de la niña apostillado.\n\n"
    + "Pide orientación para la residencia temporal y para matricular a la niña en la escuela "
    "del barrio; se le explicó que la matrícula no depende de la situación migratoria. "
    * 4
    + "\nVolverá el jueves con los documentos del empleador y el contrato firmado ante notario"
)


async def test_a_long_note_is_read_whole_in_the_viewer(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    assert len(LONG_NOTE) > 600
    person_id = persons.register_intake(ctx, intake_data()).person_id
    note_id = persons.add_note(ctx, person_id, {"text": LONG_NOTE})
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        screen = await open_file(pilot, person_id)
        timeline = screen.query_one("#timeline", RecordTable)
        assert timeline.move_to(f"note:{note_id}")
        row = timeline.get_row_at(timeline.cursor_row)
        assert row[2].endswith("…") and len(row[2]) <= 60  # the row says there is more
        await pilot.press("enter")
        await settle(pilot)
        viewer = app.screen
        assert isinstance(viewer, EntryViewerModal)
        text = viewer.query_one("#entry-text", Static)
        shown = rendered(text)
        assert max(map(len, shown.splitlines())) <= DESK[0] - 6  # wrapped inside the box
        assert "el contrato firmado ante notario" in " ".join(shown.split())  # the last words
        assert "apostillado.\n\nPide orientación" in str(text.render())  # line breaks kept
        box = viewer.query_one("#entry-viewer").region
        assert box.contains_region(viewer.query_one("#entry-scroll").region)
        assert Region(0, 0, *DESK).contains_region(box)
        await pilot.press("end")  # scrolls, if the text is longer than the box
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_a_long_guidance_question_wraps(
    database: Database, ctx: Context, worker: WorkerOut, size: tuple[int, int]
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=size) as pilot:
        await open_file(pilot, person_id)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, GuidanceScreen)
        longest = max(refdata.screening_questions(), key=lambda q: len(q.text_es))
        assert len(longest.text_es) > 60
        box = app.screen.query_one(f"#q-{longest.key}", WrappingCheckbox)
        shown = " ".join(rendered(box).split())
        assert " ".join(longest.text_es.split()) in shown  # every word, the last one too
        assert "…" not in shown
        assert Region(0, 0, *size).contains_region(box.region)


async def test_after_closing_a_follow_up_the_file_stays_on_its_tab_and_row(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    for days, what in (
        (2, "Llamar por la hora en el CESFAM"),
        (5, "Pedir el certificado de residencia"),
        (9, "Revisar la respuesta de SERMIG"),
    ):
        schedule_follow_up(
            ctx, person_id, {"due_on": clock.today() + dt.timedelta(days=days), "what": what}
        )
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        screen = await open_file(pilot, person_id)
        await pilot.press("d")  # to the follow-ups tab
        await settle(pilot)
        table = screen.query_one("#follow-ups", RecordTable)
        await pilot.press("down")
        chosen = table.cursor_key
        assert chosen is not None and table.cursor_row == 1
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, CloseFollowUpModal)
        await pilot.press(*"Se confirmó la hora")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one(TabbedContent).active == "tab-follow-ups"
        assert app.focused is table
        assert table.cursor_key == chosen
        assert str(table.get_row_at(table.cursor_row)[2]) == "hecho"


async def test_a_new_note_is_the_row_the_timeline_shows(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        screen = await open_file(pilot, person_id)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Vino a preguntar por la escuela", "ctrl+s")
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "tab-timeline"
        timeline = screen.query_one("#timeline", RecordTable)
        assert app.focused is timeline
        assert (timeline.cursor_key or "").startswith("note:")


def _dialogs(ctx: Context, person_id: uuid.UUID) -> dict[str, Any]:
    referrals.create(
        ctx, person_id, {"destination": "cesfam", "reason": "Inscripción", "consent_given": True}
    )
    schedule_follow_up(
        ctx, person_id, {"due_on": clock.today() + dt.timedelta(days=4), "what": "Llamar"}
    )
    file = person_file.open_file(ctx, person_id)
    referral, follow_up = file.referrals[0], file.follow_ups[0]
    return {
        "note": lambda: NoteModal(person_id),
        "status": lambda: StatusModal(person_id, None),
        "referral": lambda: ReferralModal(person_id),
        "move referral": lambda: MoveReferralModal(referral),
        "follow-up": lambda: FollowUpModal(person_id),
        "close follow-up": lambda: CloseFollowUpModal(follow_up, "done"),
        "postpone follow-up": lambda: RescheduleModal(follow_up),
        "own password": OwnPasswordModal,
    }


async def test_every_dialog_of_the_file_shows_its_errors_inside_itself(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    """Ctrl+S on each dialog of the person file left empty (a contact may be saved empty):
    a message is drawn inside the
    box, above the last line; when it is a field's, the cursor is in that field."""
    person_id = persons.register_intake(ctx, intake_data()).person_id
    dialogs = _dialogs(ctx, person_id)
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        for name, make in dialogs.items():
            dialog = make()
            app.push_screen(dialog)
            await settle(pilot)
            for field in dialog.query(Input):
                field.value = ""
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is dialog, name
            shown = [w for w in dialog.query(FieldError) if w.display]
            foot = dialog.query_one("#form-error", Static)
            assert shown or str(foot.render()), name
            for error in [*shown, foot]:
                assert_shown_in_dialog(dialog, error)
            if shown:
                focused = app.focused
                assert focused is not None and f"error-{focused.id}" == shown[0].id, name
            dialog.dismiss(False)
            await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_a_checklist_step_wraps_in_its_column(
    database: Database, ctx: Context, worker: WorkerOut, size: tuple[int, int]
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    guidance_id = guidance.start(ctx, person_id, {"route_id": "refuge"})
    app = make_app(database)
    async with app.run_test(size=size) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.push_screen(ChecklistScreen(guidance_id, person_id))
        await settle(pilot)
        await pilot.pause(0.1)
        screen = app.screen
        table = screen.query_one("#items", RecordTable)
        assert table.row_count
        current = screen.current
        assert current is not None
        texts = {i.item_key: item_text(current.route_id, i.item_key) for i in current.items}
        key = table.cursor_key
        assert key is not None
        words = texts[key].split()
        shown = rendered(table).split()
        assert all(word in shown for word in words)  # the last word too
        assert table.virtual_size.width <= table.size.width  # nothing off to the right
        for deadlines in screen.query("#deadlines").results(RecordTable):
            assert deadlines.virtual_size.width <= deadlines.size.width


async def test_enter_on_a_follow_up_or_a_referral_reads_it_whole(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    what = "Llamar a la escuela por la matrícula de la niña y " * 3 + "pedir el certificado"
    schedule_follow_up(ctx, person_id, {"due_on": clock.today(), "what": what})
    referrals.create(
        ctx,
        person_id,
        {"destination": "cesfam", "reason": "Inscripción en el CESFAM", "consent_given": True},
    )
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        screen = await open_file(pilot, person_id)
        await pilot.press("d")  # the follow-ups tab
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryViewerModal)
        shown = " ".join(rendered(app.screen.query_one("#entry-text")).split())
        assert what in shown
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("m")  # the referrals tab
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryViewerModal)
        assert "Inscripción en el CESFAM" in rendered(app.screen.query_one("#entry-text"))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_a_new_referral_is_the_row_the_referrals_tab_shows(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    for reason in ("Inscripción en salud", "Control de niño sano"):
        referrals.create(
            ctx, person_id, {"destination": "cesfam", "reason": reason, "consent_given": True}
        )
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        screen = await open_file(pilot, person_id)
        await pilot.press("m")  # the referrals tab; the cursor on the second one
        await settle(pilot)
        table = screen.query_one("#referrals", RecordTable)
        await pilot.press("down")
        before = table.cursor_key
        await pilot.press("r")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReferralModal)
        dialog.query_one("#destination", Select).value = "cesfam"
        dialog.query_one("#reason", Input).value = "Vacunas de la niña"
        dialog.query_one("#consent", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one(TabbedContent).active == "tab-referrals"
        assert table.row_count == 3
        assert table.cursor_key == str(dialog.saved) != before
        assert app.focused is table


async def test_a_note_typed_over_several_lines_keeps_them(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        screen = await open_file(pilot, person_id)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Trae  el pasaporte.", "enter", "enter", "enter", *"Vuelve el jueves.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("enter")  # the new note, under the cursor
        await settle(pilot)
        assert isinstance(app.screen, EntryViewerModal)
        text = str(app.screen.query_one("#entry-text", Static).render())
        assert text == "Trae el pasaporte.\n\nVuelve el jueves."
    with database.read() as s:
        assert s.scalar(sa.select(Note.text)) == "Trae el pasaporte.\n\nVuelve el jueves."


async def test_a_note_longer_than_the_terminal_scrolls_inside_the_viewer(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    text = "\n".join(
        f"Párrafo {n}: la persona cuenta cómo llegó y qué necesita." for n in range(60)
    )
    persons.add_note(ctx, person_id, {"text": text + "\nÚltima línea de la nota."})
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        screen = await open_file(pilot, person_id)
        assert screen.query_one("#timeline", RecordTable).move_to("note:")
        await pilot.press("enter")
        await settle(pilot)
        viewer = app.screen
        assert isinstance(viewer, EntryViewerModal)
        scroll = viewer.query_one("#entry-scroll")
        keys = viewer.query_one(".form-keys")
        box = viewer.query_one("#entry-viewer").region
        assert Region(0, 0, *DESK).contains_region(box)
        assert box.contains_region(keys.region)  # how to scroll and close stays in view
        assert scroll.max_scroll_y > 0
        await pilot.press("end")
        await settle(pilot)
        assert scroll.scroll_y == scroll.max_scroll_y
        assert "Última línea de la nota." in rendered(viewer.query_one("#entry-text"))


async def test_a_form_left_with_esc_comes_back_only_to_the_worker_who_typed_it(
    database: Database, ctx: Context, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=DESK) as pilot:
        await open_file(pilot, person_id)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteModal)
        app.screen.query_one("#text", TextArea).text = "Contó lo de su hija"
        await pilot.press("escape")
        await settle(pilot)
        # Another worker at the same desk opens the same form on the same person.
        app.start_session(supervisor)
        await settle(pilot)
        app.open_person(person_id)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteModal)
        assert app.screen.query_one("#text", TextArea).text == ""
        await pilot.press("escape")
        await settle(pilot)
        # The worker who typed it finds it again.
        app.start_session(worker)
        await settle(pilot)
        app.open_person(person_id)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#text", TextArea).text == "Contó lo de su hija"
