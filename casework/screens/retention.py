"""Supervisor's retention review: closed cases past their period, kept for a reason or
anonymised (the person's data erased for real)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Input, Label, Static

from casework.i18n import t
from casework.screens.base import CaseworkScreen
from casework.screens.forms import FormModal
from casework.services import desk, permissions, retention
from casework.services.desk import RetentionReview
from casework.services.retention import QueueItem
from casework.widgets import (
    PAGING_BINDINGS,
    ConfirmModal,
    PagedTable,
    RecordTable,
    error_slot,
    error_text,
    fmt_count,
    fmt_date,
    parse_date,
)


class KeepModal(FormModal):
    """Keep: the reason is required; the date defaults to a year from today."""

    TITLE_KEY = "protection.retention.keep_title"

    def __init__(self, item: QueueItem) -> None:
        super().__init__()
        self.item = item

    def draft_key(self) -> tuple[str, str]:
        return type(self).__name__, str(self.item.case_id)

    def fields(self) -> ComposeResult:
        yield Static(f"{self.item.person_name} · {self.item.programme_name}", classes="help-text")
        yield Label(t("protection.retention.keep_reason"))
        yield Input(id="reason", compact=True)
        yield error_slot("reason")
        yield Label(t("protection.retention.keep_until"))
        yield Input(id="keep_until", placeholder=t("ui.date_hint"), compact=True)
        yield error_slot("keep_until")

    def action_save(self) -> None:
        try:
            until = parse_date(self.query_one("#keep_until", Input).value)
        except ValueError:
            slot = self.query_one("#error-keep_until", Static)
            slot.update(t("error.bad_date"))
            slot.display = True
            return
        reason = self.query_one("#reason", Input).value
        self.submit(retention.keep, self.ctx, self.item.case_id, reason, until)


class PeriodModal(FormModal):
    """An admin sets how many months closed cases are kept."""

    TITLE_KEY = "protection.retention.period_title"

    def __init__(self, months: int) -> None:
        super().__init__()
        self.months = months

    def fields(self) -> ComposeResult:
        yield Label(t("protection.retention.period_months"))
        yield Input(str(self.months), id="months", compact=True)
        yield error_slot("months")

    def action_save(self) -> None:
        self.submit(
            retention.set_policy,
            self.ctx,
            {
                "record_type": retention.CLOSED_CASE,
                "months": self.query_one("#months", Input).value,
            },
        )


class RetentionScreen(CaseworkScreen):
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("k", "keep", "key.keep", id="keep"),
        Binding("a", "anonymise", "key.anonymise", id="anonymise"),
        Binding("enter", "open", "key.open_person", id="open"),
        Binding("p", "period", "key.set_period", id="period"),
        Binding("r", "refresh", "key.refresh", id="refresh"),
        *PAGING_BINDINGS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[QueueItem] = []
        self.months = retention.DEFAULT_MONTHS[retention.CLOSED_CASE]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("protection.retention.title"), classes="title")
        yield Static("", id="status", classes="help-text")
        # The whole queue is read (no cap); a PagedTable for Home/End on rows.
        yield PagedTable(id="queue")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RecordTable).add_columns(
            t("protection.retention.col_closed"),
            t("protection.retention.col_since"),
            t("ui.col.person"),
            t("protection.retention.col_programme"),
            t("protection.retention.col_note"),
        )
        self.action_refresh()

    def action_refresh(self) -> None:
        self.call_service(
            desk.retention_review, self.ctx, on_done=self._show, group="retention", exclusive=True
        )

    def _show(self, review: RetentionReview) -> None:
        self.items, self.months = review.queue, review.months
        table = self.query_one(RecordTable)
        rows: list[tuple[str, tuple[str | Text, ...]]] = []
        for item in self.items:
            notes = []
            if item.blocked_by:
                notes.append(Text(t("protection.retention.blocked", count=item.blocked_by)))
            if item.kept_until:
                notes.append(
                    Text(t("protection.retention.kept_until", date=fmt_date(item.kept_until)))
                )
            rows.append(
                (
                    str(item.case_id),
                    (
                        fmt_date(item.closed_on),
                        fmt_date(item.review_since),
                        item.person_name,
                        item.programme_name,
                        Text(" · ").join(notes) if notes else "",
                    ),
                )
            )
        table.refill(rows)
        if not review.reads_queue:
            status = t("protection.retention.periods_only", months=self.months)
        elif self.items:
            status = t(
                "protection.retention.count", count=fmt_count(len(self.items)), months=self.months
            )
        else:
            status = t("protection.retention.empty")
        self.query_one("#status", Static).update(status)
        table.focus()

    def selected(self) -> QueueItem | None:
        key = self.query_one(RecordTable).cursor_key
        return next((item for item in self.items if str(item.case_id) == key), None)

    @on(RecordTable.RowSelected)
    def _chosen(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        item = self.selected()
        if item is not None:
            self.casework.open_person(item.person_id)

    def action_keep(self) -> None:
        item = self.selected()
        if item is not None:
            self.app.push_screen(KeepModal(item), self._after_keep)

    def _after_keep(self, saved: bool | None) -> None:
        if saved:
            self.notify(t("ui.saved"))
            self.action_refresh()

    def action_anonymise(self) -> None:
        item = self.selected()
        if item is None:
            return
        question = t("protection.retention.anonymise_confirm", name=item.person_name)
        modal = ConfirmModal(t("protection.retention.anonymise_title"), question)
        self.app.push_screen(modal, lambda yes: self._anonymise(item) if yes else None)

    def _anonymise(self, item: QueueItem) -> None:
        def done(_report: object) -> None:
            self.notify(t("protection.retention.anonymised"))
            self.action_refresh()

        self.call_service(
            retention.anonymise,
            self.ctx,
            item.case_id,
            on_done=done,
            on_error=lambda exc: self.notify(error_text(exc), severity="error", timeout=8),
        )

    def action_period(self) -> None:
        if not permissions.may_set_retention_periods(self.casework.worker):
            self.notify(t("error.role_required", role=t("role.admin")), severity="warning")
            return

        def saved(ok: bool | None) -> None:
            if ok:
                self.notify(t("ui.saved"))
                self.action_refresh()

        self.app.push_screen(PeriodModal(self.months), saved)

    def action_back(self) -> None:
        self.app.pop_screen()
