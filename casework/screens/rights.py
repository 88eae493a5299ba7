"""Supervisor's register of rights requests: open ones by legal deadline (overdue ones in
red), a new request, identity checked, the one extension the law allows, and finishing a
request: the access or portability answer written to files, a refusal on a legal exception,
an erasure confirmed by typing a word, a block lifted."""

from __future__ import annotations

import uuid
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import (
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    Select,
    Static,
    TextArea,
)

from casework.i18n import t
from casework.models.security import RefusalGround, RightKind
from casework.screens.base import CaseworkScreen
from casework.screens.forms import FormModal
from casework.services import desk, persons, rights
from casework.services.context import Context
from casework.services.desk import RightsRegister
from casework.services.rights import AnswerFiles, ErasureReport
from casework.services.schemas import RightsRequestOut
from casework.widgets import RecordTable, error_slot, fmt_date
from casework.widgets.rights_text import (
    ground_name,
    left_text,
    records_text,
    right_name,
)


def person_text(data: RightsRegister, request: RightsRequestOut) -> str:
    """Who the request is for; a neutral label once the person's data was erased."""
    return data.names.get(request.person_id) or t("protection.rights.erased_person")


def load_requests(screen: CaseworkScreen) -> RightsRegister:
    return desk.rights_register(screen.ctx)


def register_request(ctx: Context, who: str, kind: str, identity_checked: bool) -> RightsRequestOut:
    """The person by document number, by a name that finds exactly one person, or by the
    record id (filled in when the request is made from the person's file)."""
    person_id = rights.find_person(ctx, who)
    return rights.register(
        ctx, {"person_id": person_id, "kind": kind, "identity_checked": identity_checked}
    )


class NewRequestModal(FormModal):
    """A new request; opened from a person's file it comes with the person filled in."""

    TITLE_KEY = "protection.rights.new_title"

    def __init__(self, person_id: uuid.UUID | None = None) -> None:
        super().__init__()
        self.person_id = person_id
        self.person_named: str | None = None
        """The name shown for ``person_id`` (never its id): while the field holds it, the
        request is for that person."""

    def fields(self) -> ComposeResult:
        yield Label(t("protection.rights.person_id"))
        yield Input(
            "",
            id="person",
            placeholder=t("protection.rights.person_hint"),
            compact=True,
        )
        yield Static("", id="person-name", classes="help-text")
        yield error_slot("person_id")
        yield Label(t("protection.rights.kind"))
        yield Select(
            [(right_name(k.value), k.value) for k in RightKind],
            id="kind",
            compact=True,
            prompt=t("ui.select_prompt"),
        )
        yield error_slot("kind")
        yield Checkbox(t("protection.rights.identity_checked"), id="identity")

    def on_mount(self) -> None:
        super().on_mount()
        person_id = self.person_id
        if person_id is not None:
            self.call_service(
                persons.names, self.ctx, {person_id}, on_done=self._show_name, group="names"
            )

    def _show_name(self, names: dict[uuid.UUID, str]) -> None:
        name = names.get(self.person_id) if self.person_id is not None else None
        if name:
            self.query_one("#person-name", Static).update(
                t("protection.rights.person_named", name=name)
            )
            field = self.query_one("#person", Input)
            if not field.value:
                field.value = self.person_named = name

    def person_typed(self) -> str:
        """The person as the service finds one: the id behind the name shown, else what
        was typed (an id, a document, a name)."""
        value = self.query_one("#person", Input).value
        if self.person_id is not None and value in ("", self.person_named):
            return str(self.person_id)
        return value

    def action_save(self) -> None:
        kind = self.query_one("#kind", Select).value
        self.submit(
            register_request,
            self.ctx,
            self.person_typed(),
            kind if isinstance(kind, str) else "",
            self.query_one("#identity", Checkbox).value,
        )


def _required(modal: FormModal, **values: object) -> bool:
    """Whether every field has a value; "required" beside each one that has none."""
    for widget in modal.query(".field-error"):
        widget.display = False
    ok = True
    for name, value in values.items():
        if isinstance(value, str) and value.strip():
            continue
        slot = modal.query_one(f"#error-{name}", Static)
        slot.update(t("error.required"))
        slot.display = True
        ok = False
    return ok


class RequestModal(FormModal):
    """A form about one request: the request (and its person) stay in view."""

    def __init__(self, request: RightsRequestOut, person_name: str) -> None:
        super().__init__()
        self.request = request
        self.person_name = person_name

    def draft_key(self) -> tuple[str, str]:
        return type(self).__name__, str(self.request.id)

    def title_text(self) -> str:
        kind = right_name(self.request.kind).lower()
        return t(self.TITLE_KEY, kind=kind, name=self.person_name)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(".title", Static).update(self.title_text())


class AnswerAccessModal(RequestModal):
    """Access or portability: the folder to write the JSON file and the readable document
    to; Ctrl+S writes them and marks the request answered."""

    TITLE_KEY = "protection.rights.answer_title"

    def __init__(self, request: RightsRequestOut, person_name: str) -> None:
        super().__init__(request, person_name)
        self.files: AnswerFiles | None = None

    def fields(self) -> ComposeResult:
        yield Static(
            t("protection.rights.answer_files_intro", name=self.person_name), classes="help-text"
        )
        yield Label(t("protection.rights.folder"))
        yield Input(str(rights.default_answer_folder()), id="folder", compact=True)
        yield error_slot("folder")

    def action_save(self) -> None:
        folder = self.query_one("#folder", Input).value
        if _required(self, folder=folder):
            self.submit(
                rights.answer_access_to,
                self.ctx,
                self.request.id,
                Path(folder.strip()).expanduser(),
            )

    def _done(self, result: object) -> None:
        if isinstance(result, AnswerFiles):
            self.files = result
        super()._done(result)


class AnswerNoteModal(RequestModal):
    """Rectification or objection: what was done, kept as the answer."""

    TITLE_KEY = "protection.rights.note_answer_title"
    INTRO_KEY = "protection.rights.note_answer_intro"

    def __init__(self, request: RightsRequestOut, person_name: str, pending: str = "") -> None:
        super().__init__(request, person_name)
        self.pending = pending

    def fields(self) -> ComposeResult:
        yield Static(t(self.INTRO_KEY, name=self.person_name), classes="help-text")
        if self.pending:
            yield Static(
                t("protection.rights.lift_pending", requests=self.pending),
                id="pending",
                classes="error",
            )
        yield Label(t("protection.rights.note"))
        yield TextArea(id="note")
        yield error_slot("note")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#note", TextArea).focus()

    def action_save(self) -> None:
        note = self.query_one("#note", TextArea).text
        if _required(self, note=note):
            self.submit(rights.answer, self.ctx, self.request.id, {"note": note.strip()})


class LiftBlockModal(AnswerNoteModal):
    """Lift a block: why it ends; other open requests of the person are pointed out."""

    TITLE_KEY = "protection.rights.lift_title"
    INTRO_KEY = "protection.rights.lift_intro"

    def action_save(self) -> None:
        note = self.query_one("#note", TextArea).text
        if _required(self, note=note):
            self.submit(rights.lift_block, self.ctx, self.request.id, {"note": note.strip()})


class RefuseModal(RequestModal):
    """A reasoned refusal: one of the exceptions the law allows, and the reasons."""

    TITLE_KEY = "protection.rights.refuse_title"
    ground = ""
    """The exception the refusal was saved with."""

    def fields(self) -> ComposeResult:
        yield Static(
            t("protection.rights.refuse_intro", name=self.person_name), classes="help-text"
        )
        yield Label(t("protection.rights.ground"))
        yield Select(
            [(ground_name(g.value), g.value) for g in RefusalGround],
            id="ground",
            compact=True,
            prompt=t("ui.select_prompt"),
        )
        yield error_slot("ground")
        yield Label(t("protection.rights.refuse_note"))
        yield TextArea(id="note")
        yield error_slot("note")

    def action_save(self) -> None:
        ground = self.query_one("#ground", Select).value
        note = self.query_one("#note", TextArea).text
        if _required(self, ground=ground, note=note):
            self.ground = str(ground)
            self.submit(
                rights.refuse, self.ctx, self.request.id, {"ground": ground, "note": note.strip()}
            )


class EraseModal(RequestModal):
    """Erasure: nothing happens until the word shown is typed; then the report is kept for
    the screen to show."""

    TITLE_KEY = "protection.rights.erase_title"

    def __init__(self, request: RightsRequestOut, person_name: str) -> None:
        super().__init__(request, person_name)
        self.word = t("protection.rights.erase_word")
        self.report: ErasureReport | None = None

    def fields(self) -> ComposeResult:
        yield Static(
            t("protection.rights.erase_warning", name=self.person_name),
            id="warning",
            classes="error",
        )
        yield Label(t("protection.rights.erase_type", word=self.word))
        yield Input(id="word", compact=True)
        yield error_slot("word")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#word", Input).focus()

    @on(Input.Submitted, "#word")
    def _typed(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        typed = self.query_one("#word", Input).value.strip()
        if typed != self.word:  # the exact word, capitals and all: no erasure by accident
            slot = self.query_one("#error-word", Static)
            slot.update(t("error.confirm_word", word=self.word))
            slot.display = True
            return
        self.submit(rights.erase, self.ctx, self.request.id)

    def action_cancel(self) -> None:
        self.dismiss(False)  # a half-typed confirmation word is not a draft worth keeping

    def _done(self, result: object) -> None:
        if isinstance(result, ErasureReport):
            self.report = result
        super()._done(result)


def erasure_text(report: ErasureReport) -> str:
    rows = records_text(report.rows)
    text = t("protection.rights.erased", total=sum(report.rows.values()), rows=rows)
    if report.blocks_lifted:
        text += t("protection.rights.erased_blocks")
    return text


class RightsScreen(CaseworkScreen):
    # The footer has room for the everyday keys at 80 columns; the others are in the key
    # line under the title and in F1.
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("n", "new", "key.new_request", id="new-request"),
        Binding("i", "identity", "key.identity", id="identity"),
        Binding("a", "answer", "key.answer_request", id="answer-request"),
        Binding("e", "extend", "key.extend", id="extend", show=False),
        Binding("x", "refuse", "key.refuse_request", id="refuse-request", show=False),
        Binding("s", "erase", "key.erase", id="erase", show=False),
        Binding("l", "lift", "key.lift_block", id="lift-block", show=False),
        Binding("enter", "open", "key.open_person", id="open", show=False),
        Binding("r", "refresh", "key.refresh", id="refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data = RightsRegister([], {})

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("protection.rights.title"), classes="title")
        yield Static(t("protection.rights.keys"), id="keys", classes="help-text")
        yield Static("", id="status", classes="help-text")
        yield RecordTable(id="requests")
        yield Static("", id="result", classes="help-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RecordTable).add_columns(
            t("protection.rights.col_due"),
            t("protection.rights.col_left"),
            t("ui.col.person"),
            t("protection.rights.col_kind"),
            t("protection.rights.col_received"),
            t("protection.rights.col_identity"),
        )
        self.action_refresh()

    def action_refresh(self) -> None:
        self.call_service(load_requests, self, on_done=self._show, group="rights", exclusive=True)

    def _show(self, data: RightsRegister) -> None:
        self.data = data
        table = self.query_one(RecordTable)
        table.refill(
            (
                (
                    str(r.id),
                    (
                        Text(fmt_date(r.due_on), style="bold red" if r.overdue else ""),
                        left_text(r.days_left),
                        person_text(data, r),
                        right_name(r.kind),
                        fmt_date(r.received_on),
                        t("ui.yes") if r.identity_checked else t("ui.no"),
                    ),
                )
                for r in data.requests
            ),
        )
        overdue = sum(r.overdue for r in data.requests)
        status = (
            t("protection.rights.count", count=len(data.requests), overdue=overdue)
            if data.requests
            else t("protection.rights.empty")
        )
        self.query_one("#status", Static).update(status)
        table.focus()

    def selected(self) -> RightsRequestOut | None:
        """The request under the cursor, by the row's key (the request id): never another
        person's request because the list was reloaded or reordered."""
        key = self.query_one(RecordTable).cursor_key
        return next((r for r in self.data.requests if str(r.id) == key), None)

    @on(RecordTable.RowSelected)
    def _chosen(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        request = self.selected()
        if request is not None and request.person_id in self.data.names:
            self.casework.open_person(request.person_id)

    def action_new(self) -> None:
        def saved(ok: bool | None) -> None:
            if ok:
                self.notify(t("ui.saved"))
                self.action_refresh()

        self.app.push_screen(NewRequestModal(), saved)

    def action_identity(self) -> None:
        request = self.selected()
        if request is None:
            return

        def done(_result: object) -> None:
            self.notify(t("protection.rights.identity_done"))
            self.action_refresh()

        self.call_service(rights.confirm_identity, self.ctx, request.id, on_done=done)

    def action_extend(self) -> None:
        request = self.selected()
        if request is None:
            return

        def done(result: RightsRequestOut) -> None:
            self.notify(t("protection.rights.extended", date=fmt_date(result.due_on)))
            self.action_refresh()

        self.call_service(rights.extend, self.ctx, request.id, on_done=done)

    # Finishing a request -----------------------------------------------------------------

    def _person_name(self, request: RightsRequestOut) -> str:
        return person_text(self.data, request)

    def _may_finish(self, request: RightsRequestOut, action: str) -> bool:
        """Whether ``action`` finishes this request; if not, the worker is told why."""
        refusal = rights.finish_refusal(request, action)
        if refusal is not None:
            self.notify(t(refusal), severity="warning")
        return refusal is None

    def _finished(self, text: str) -> None:
        """Show what was done under the table (it stays until the next action) and reload."""
        self.query_one("#result", Static).update(text)
        self.notify(text, timeout=8)
        self.action_refresh()

    def action_answer(self) -> None:
        request = self.selected()
        if request is None:
            return
        if not self._may_finish(request, "answer"):
            return
        name = self._person_name(request)
        if rights.answered_with_edit(request.kind):
            from casework.screens.person_edit import open_edit_form

            def rectified(ok: bool | None) -> None:
                if ok:
                    self._finished(t("protection.rights.answered"))

            open_edit_form(
                self, request.person_id, rights_request_id=request.id, on_saved=rectified
            )
            return
        if rights.answered_with_files(request.kind):
            access = AnswerAccessModal(request, name)

            def written(ok: bool | None) -> None:
                if ok and access.files is not None:
                    files = access.files
                    self._finished(
                        t(
                            "protection.rights.answered_to",
                            folder=str(files.json_path.parent),
                            json=files.json_path.name,
                            text=files.text_path.name,
                        )
                    )

            self.app.push_screen(access, written)
            return

        def answered(ok: bool | None) -> None:
            if ok:
                self._finished(t("protection.rights.answered"))

        self.app.push_screen(AnswerNoteModal(request, name), answered)

    def action_refuse(self) -> None:
        request = self.selected()
        if request is None:
            return
        modal = RefuseModal(request, self._person_name(request))

        def refused(ok: bool | None) -> None:
            if ok:
                self._finished(t("protection.rights.refused", ground=ground_name(modal.ground)))

        self.app.push_screen(modal, refused)

    def action_erase(self) -> None:
        request = self.selected()
        if request is None:
            return
        if not self._may_finish(request, "erase"):
            return
        modal = EraseModal(request, self._person_name(request))

        def erased(ok: bool | None) -> None:
            if ok and modal.report is not None:
                self._finished(erasure_text(modal.report))

        self.app.push_screen(modal, erased)

    def action_lift(self) -> None:
        request = self.selected()
        if request is None:
            return
        if not self._may_finish(request, "lift"):
            return
        name = self._person_name(request)
        pending = ", ".join(
            f"{right_name(r.kind)} ({fmt_date(r.due_on)})"
            for r in self.data.requests
            if r.person_id == request.person_id and r.id != request.id
        )

        def lifted(ok: bool | None) -> None:
            if ok:
                self._finished(t("protection.rights.lifted", name=name))

        self.app.push_screen(LiftBlockModal(request, name, pending), lifted)

    def action_back(self) -> None:
        self.app.pop_screen()
