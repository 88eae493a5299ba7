"""Regularization guidance: a screener over the person's situation proposes the routes open
from inside Chile and says why; the chosen route becomes a checklist with its deadlines."""

from __future__ import annotations

import datetime as dt
import uuid

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from casework import refdata
from casework.errors import EditConflict
from casework.i18n import current_language, t
from casework.screens.base import CaseworkScreen
from casework.screens.forms import FormModal
from casework.services import guidance
from casework.services.guidance import GuidanceOut, RouteOpened
from casework.services.person_file import PersonDetail
from casework.services.schemas import local_today
from casework.widgets import (
    DateInput,
    RecordTable,
    error_text,
    fmt_date,
    item_text,
    labelled,
    route_name,
)
from casework.widgets.wrapping import WrappingCheckbox


def _lang(es: str, en: str) -> str:
    return es if current_language() == "es" else en


def rights_text() -> Text:
    text = Text()
    text.append(t("ui.guidance.rights") + "\n", style="bold")
    for right in refdata.rights():
        title = _lang(right.title_es, right.title_en)
        body = _lang(right.text_es, right.text_en)
        text.append(f"• {title}: " if title else "• ", style="bold")
        text.append(f"{body}\n")
    text.append("\n" + t("ui.guidance.notice"), style="italic")
    return text


def _state_style(state: str) -> str:
    """Done items green, those that do not apply dimmed."""
    if state in ("resolved", "submitted"):
        return "green"
    return "dim" if state == "not_applicable" else ""


class GuidanceScreen(CaseworkScreen):
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("ctrl+s", "start", "key.start_route", id="start-route"),
    ]

    def __init__(self, person: PersonDetail, reason: str | None = None) -> None:
        super().__init__()
        self.person = person
        self.reason = reason
        """Why the file was opened, if outside the caseload: the checklist reads it again."""
        self.routes: list[refdata.Route] = []
        self.request_id = uuid.uuid4()

    def compose(self) -> ComposeResult:
        answers = guidance.initial_answers(self.person)
        yield Header()
        yield Static(t("ui.guidance.title", name=self.person.full_name), classes="title")
        with Horizontal(id="guidance"):
            with VerticalScroll(id="screener"):
                yield Static(t("ui.guidance.questions"), classes="section")
                for q in refdata.screening_questions():
                    yield WrappingCheckbox(
                        _lang(q.text_es, q.text_en),
                        value=answers.get(q.key, False),
                        id=f"q-{q.key}",
                        compact=True,
                    )
            with Vertical(id="routes-box"):
                yield Static(t("ui.guidance.routes"), classes="section")
                yield OptionList(id="routes")
                yield VerticalScroll(Static(rights_text(), id="rights"), id="rights-box")
        yield Footer()

    def on_mount(self) -> None:
        self._screen()

    def answers(self) -> dict[str, bool | None]:
        return {
            q.key: self.query_one(f"#q-{q.key}", Checkbox).value
            for q in refdata.screening_questions()
        }

    @on(Checkbox.Changed)
    def _changed(self) -> None:
        self._screen()

    def _screen(self) -> None:
        proposed = guidance.propose_routes(self.answers())
        self.routes = [route for route, _ in proposed]
        options = self.query_one("#routes", OptionList)
        options.clear_options()
        for route, reasons in proposed:
            why = "; ".join(reasons)
            caveat = f"\n[yellow]{route.caveat_es}[/yellow]" if route.caveat_es else ""
            options.add_option(
                Option(f"[b]{_lang(route.name_es, route.name_en)}[/b]\n[i]{why}[/i]{caveat}")
            )
        if not proposed:
            options.add_option(Option(t("ui.guidance.no_routes"), disabled=True))
        else:
            options.highlighted = 0

    @on(OptionList.OptionSelected, "#routes")
    def _picked(self) -> None:
        self.action_start()

    def action_start(self) -> None:
        index = self.query_one("#routes", OptionList).highlighted
        if index is None or index >= len(self.routes):
            self.notify(t("ui.guidance.pick_route"), severity="warning")
            return
        route = self.routes[index]

        def started(opened: RouteOpened) -> None:
            self.app.pop_screen()
            self.app.push_screen(ChecklistScreen(opened.id, self.person.id, self.reason))
            if opened.resumed:
                since = fmt_date(opened.since.astimezone().date())
                self.app.notify(t("followthrough.guidance.resumed", date=since), timeout=10)

        self.call_service(
            guidance.open_route,
            self.ctx,
            self.person.id,
            {"route_id": route.id},
            request_id=self.request_id,
            reason=self.reason,
            on_done=started,
        )

    def action_back(self) -> None:
        self.app.pop_screen()


class ChecklistScreen(CaseworkScreen):
    """One route's steps and documents; space moves an item on; deadlines become follow-ups."""

    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("space", "advance", "key.advance_item", id="advance-item"),
        Binding("shift+space", "back_item", "key.back_item", show=False),
        Binding("a", "application", "key.application", id="application"),
        Binding("p", "plan_deadline", "key.plan_deadline", id="plan-deadline"),
    ]

    def __init__(
        self, guidance_id: uuid.UUID, person_id: uuid.UUID, reason: str | None = None
    ) -> None:
        super().__init__()
        self.guidance_id = guidance_id
        self.person_id = person_id
        self.reason = reason
        """Why the file was opened, if outside the caseload (services/gate.py)."""
        self.current: GuidanceOut | None = None
        self.application_base: str | None = None
        """The application number the field started from (services/edits.py)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="route-title", classes="title")
        with Horizontal(id="checklist-box"):
            with Vertical(id="checklist-left"):
                yield RecordTable(id="items")
                yield Static(t("ui.guidance.application"), classes="section")
                yield Input(
                    id="application", placeholder=t("ui.guidance.application_hint"), compact=True
                )
                yield Static(t("ui.guidance.deadlines"), classes="section")
                yield RecordTable(id="deadlines", zebra_stripes=False)
            yield VerticalScroll(Static(rights_text()), id="rights-box")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.call_service(
            guidance.get,
            self.ctx,
            self.guidance_id,
            reason=self.reason,
            on_done=self._show,
            group="checklist",
            exclusive=True,
        )

    def _show(self, current: GuidanceOut | None) -> None:
        if current is None:
            return
        self.current = current
        self.query_one("#route-title", Static).update(
            f"{route_name(current.route_id)} · {fmt_date(current.created_at.date())}"
        )
        self._show_items()
        self.query_one("#application", Input).value = current.sermig_application or ""
        self.application_base = current.sermig_application

    def _show_items(self) -> None:
        """The route's items; an item's text wraps in its column instead of being cut, so
        the whole of it reads at any width."""
        current = self.current
        if current is None:
            return
        rows = [
            (
                item.item_key,
                (
                    t(f"ui.guidance.kind_{item.kind}"),
                    Text(item_text(current.route_id, item.item_key)),
                    Text(t(f"state.{item.state}"), style=_state_style(item.state)),
                ),
            )
            for item in current.items
        ]
        heads = (t("ui.col.kind"), t("ui.col.item"), t("ui.col.state"))
        self.query_one("#items", RecordTable).fill_wrapped(heads, rows, wrap=1)
        route = refdata.route(current.route_id)
        planned = current.planned
        self.query_one("#deadlines", RecordTable).fill_wrapped(
            (t("ui.col.days"), t("ui.col.what"), t("followthrough.guidance.col_due")),
            [
                (
                    d.key,
                    (
                        str(d.days),
                        Text(_lang(d.text_es, d.text_en)),
                        fmt_date(planned[d.key][1]) if d.key in planned else "",
                    ),
                )
                for d in (route.deadlines if route else ())
            ],
            wrap=1,
        )

    def on_resize(self) -> None:
        self.call_after_refresh(self._show_items)

    def _move_item(self, step: int) -> None:
        if self.current is None:
            return
        key = self.query_one("#items", RecordTable).cursor_key
        if key is None:
            return
        item = next(i for i in self.current.items if i.item_key == key)
        state = guidance.next_item_state(item.state, step)
        self.call_service(
            guidance.set_item,
            self.ctx,
            self.guidance_id,
            {"item_key": key, "state": state, "from_state": item.state},
            reason=self.reason,
            on_done=lambda _: self.reload(),
            on_error=self._not_saved,
        )

    def _not_saved(self, exc: BaseException) -> None:
        """Another desk moved the item meanwhile (or any other refusal): say so, and show
        the checklist as it is now."""
        self.notify(error_text(exc), severity="error", timeout=12)
        self.reload()

    def action_advance(self) -> None:
        self._move_item(1)

    def action_back_item(self) -> None:
        self._move_item(-1)

    def action_application(self) -> None:
        self.query_one("#application", Input).focus()

    @on(Input.Submitted, "#application")
    def _save_application(self, event: Input.Submitted) -> None:
        def saved(_: None) -> None:
            self.application_base = event.value.strip() or None
            self.notify(t("ui.saved"))

        def refused(exc: BaseException) -> None:
            # What was typed stays in the field; the message says what is on record now,
            # which becomes the base of a second Enter.
            if isinstance(exc, EditConflict) and exc.conflicts:
                self.application_base = exc.conflicts[0].current
                self.notify(f"{error_text(exc)} {t('concurrency.ui.retry_enter')}", timeout=15)
            else:
                self.notify(error_text(exc), severity="error", timeout=12)

        self.call_service(
            guidance.set_application,
            self.ctx,
            self.guidance_id,
            event.value,
            base=self.application_base,
            reason=self.reason,
            on_done=saved,
            on_error=refused,
        )
        self.query_one("#items", RecordTable).focus()

    def action_plan_deadline(self) -> None:
        table = self.query_one("#deadlines", RecordTable)
        if table.row_count == 0:
            return
        if self.focused is not table:
            table.focus()
            return
        key = table.cursor_key or ""
        if self.current is None:
            return
        route = refdata.route(self.current.route_id)
        deadline = route.deadline(key) if route else None
        if deadline is None:
            return
        planned = self.current.planned.get(key)

        def closed(saved: bool | None) -> None:
            if not saved or not isinstance(modal.saved, dt.date):
                return
            message = "deadline_moved" if planned else "deadline_planned"
            self.notify(t(f"followthrough.guidance.{message}", due=fmt_date(modal.saved)))
            self.reload()

        modal = DeadlineModal(self.guidance_id, deadline, planned, self.reason)
        self.app.push_screen(modal, closed)

    @on(RecordTable.RowSelected, "#deadlines")
    def _deadline_chosen(self) -> None:
        self.action_plan_deadline()

    def action_back(self) -> None:
        self.app.pop_screen()


class DeadlineModal(FormModal):
    """The day a route deadline counts from (the application submitted, the resolution
    notified, the permit's expiry): saving plans it, or -- already planned and pending --
    moves it to the corrected date. ``saved`` is the day it is now due."""

    TITLE_KEY = "followthrough.guidance.deadline_title"

    def __init__(
        self,
        guidance_id: uuid.UUID,
        deadline: refdata.RouteDeadline,
        planned: tuple[dt.date, dt.date] | None,
        reason: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.guidance_id = guidance_id
        self.deadline = deadline
        self.planned = planned

    def draft_key(self) -> tuple[str, str]:
        return type(self).__name__, f"{self.guidance_id}:{self.deadline.key}"

    def fields(self) -> ComposeResult:
        yield Static(_lang(self.deadline.text_es, self.deadline.text_en), classes="help-text")
        start = self.planned[0] if self.planned else local_today()
        yield from labelled(
            t("followthrough.guidance.deadline_from"),
            DateInput(fmt_date(start), id="deadline_from"),
            error="deadline_from",
        )
        yield Static(t("followthrough.guidance.deadline_from_hint"), classes="help-text")

    def action_save(self) -> None:
        start = self.read_date("deadline_from", required=True)
        if not isinstance(start, dt.date):
            return
        due = guidance.deadline_due(self.deadline, start)

        def done(_: uuid.UUID) -> None:
            self._done(due)

        self.call_service(
            guidance.schedule_deadline,
            self.ctx,
            self.guidance_id,
            self.deadline.key,
            start,
            reason=self.reason,
            on_done=done,
            on_error=self.show_error,
        )
