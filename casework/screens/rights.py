"""Supervisor's register of rights requests: open ones by legal deadline (overdue ones in
red), a new request, identity checked, and the one extension the law allows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, Select, Static

from casework import clock
from casework.errors import FieldError, InvalidInput
from casework.i18n import t
from casework.models.security import RightKind
from casework.screens.common import CaseworkScreen, fmt_date
from casework.screens.forms import FormModal, error_slot
from casework.services import persons, rights
from casework.services.context import Context
from casework.services.rights import RightsRequestOut


def right_name(kind: str) -> str:
    return t(f"protection.right.{kind}")


def left_text(request: RightsRequestOut) -> Text:
    """Days left, or how late; overdue in bold red, the last two days in yellow."""
    days = (request.due_on - clock.today()).days
    if days < 0:
        return Text(t("protection.rights.overdue", days=-days), style="bold red")
    return Text(t("protection.rights.days_left", days=days), style="yellow" if days <= 2 else "")


@dataclass(frozen=True)
class RightsData:
    requests: list[RightsRequestOut]
    names: dict[uuid.UUID, str]


def load_requests(screen: CaseworkScreen) -> RightsData:
    requests = rights.due(screen.ctx)
    return RightsData(requests, persons.names(screen.ctx, {r.person_id for r in requests}))


def register_request(ctx: Context, who: str, kind: str, identity_checked: bool) -> RightsRequestOut:
    """The person by record id, or by a search that finds exactly one person."""
    try:
        person_id = uuid.UUID(who.strip())
    except ValueError:
        found = persons.search_persons(ctx, who, limit=2) if who.strip() else []
        if len(found) != 1:
            raise InvalidInput([FieldError("person_id", "not_found", {"what": who})]) from None
        person_id = found[0].id
    return rights.register(
        ctx, {"person_id": person_id, "kind": kind, "identity_checked": identity_checked}
    )


class NewRequestModal(FormModal):
    """A new request; opened from a person's file it comes with the person filled in."""

    TITLE_KEY = "protection.rights.new_title"

    def __init__(self, person_id: uuid.UUID | None = None) -> None:
        super().__init__()
        self.person_id = person_id

    def fields(self) -> ComposeResult:
        yield Label(t("protection.rights.person_id"))
        yield Input(str(self.person_id or ""), id="person", compact=True)
        yield error_slot("person_id")
        yield Label(t("protection.rights.kind"))
        yield Select(
            [(right_name(k.value), k.value) for k in RightKind],
            id="kind",
            compact=True,
        )
        yield error_slot("kind")
        yield Checkbox(t("protection.rights.identity_checked"), id="identity")

    def action_save(self) -> None:
        kind = self.query_one("#kind", Select).value
        self.submit(
            register_request,
            self.ctx,
            self.query_one("#person", Input).value,
            kind if isinstance(kind, str) else "",
            self.query_one("#identity", Checkbox).value,
        )


class RightsScreen(CaseworkScreen):
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("n", "new", "key.new_request", id="new-request"),
        Binding("i", "identity", "key.identity", id="identity"),
        Binding("e", "extend", "key.extend", id="extend"),
        Binding("enter", "open", "key.open_person", id="open"),
        Binding("r", "refresh", "key.refresh", id="refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data = RightsData([], {})

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("protection.rights.title"), classes="title")
        yield Static("", id="status", classes="help-text")
        yield DataTable(id="requests", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(
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

    def _show(self, data: RightsData) -> None:
        self.data = data
        table = self.query_one(DataTable)
        table.clear()
        for r in data.requests:
            table.add_row(
                Text(fmt_date(r.due_on), style="bold red" if r.overdue else ""),
                left_text(r),
                data.names.get(r.person_id, str(r.person_id)),
                right_name(r.kind),
                fmt_date(r.received_on),
                t("ui.yes") if r.identity_checked else t("ui.no"),
                key=str(r.id),
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
        table = self.query_one(DataTable)
        if table.row_count == 0 or not self.data.requests:
            return None
        return self.data.requests[table.cursor_row]

    @on(DataTable.RowSelected)
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

    def action_back(self) -> None:
        self.app.pop_screen()
