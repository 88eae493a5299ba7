"""The worker's day: follow-ups due and overdue, referrals waiting, persons seen recently."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from casework import clock
from casework.i18n import t
from casework.models.enums import Role
from casework.screens.base import CaseworkScreen
from casework.services import assignment, desk
from casework.services.desk import DayView
from casework.services.followups import FollowUpOut
from casework.widgets import (
    RecordTable,
    age_text,
    code_label,
    country_name,
    destination_name,
    doc_text,
    fmt_date,
    fmt_datetime,
)
from casework.widgets.rights_text import left_text, right_name


def load_day(screen: TodayScreen) -> DayView:
    return desk.day(screen.ctx)


class TodayScreen(CaseworkScreen):
    """ "Hoy": what needs doing today, oldest first."""

    BINDINGS = [
        Binding("enter", "open", "key.open_person", id="open"),
        Binding("d", "done", "key.follow_up_done", id="follow-up-done"),
        Binding("x", "missed", "key.follow_up_missed", id="follow-up-missed"),
        Binding("p", "postpone", "key.follow_up_postpone", id="follow-up-postpone"),
        # In F1 help and the palette; its place in the footer is sign-out's (80 columns).
        Binding("r", "refresh", "key.refresh", id="refresh", show=False),
        Binding("b", "drafts", "key.intake_drafts", id="intake-drafts", show=False),
        Binding("ctrl+o", "sign_out", "key.session_sign_out", id="today-sign-out"),
        Binding("t", "transfers", "key.assign_transfers", id="assign-transfers", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: DayView | None = None

    async def action_sign_out(self) -> None:
        """Ctrl+O, shown in the day's footer: the app's sign-out (issue #15, point 6)."""
        await self.app.run_action("app.sign_out")

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="today"):
            yield Static("", id="day-title", classes="title")
            yield Static("", id="drafts-line", classes="warning-banner")
            yield Static("", id="assign-transfers-line", classes="warning-banner")
            yield Static("", id="rights-title", classes="section")
            yield RecordTable(id="rights")
            yield Static(t("ui.today.due"), id="due-title", classes="section")
            yield RecordTable(id="due")
            yield Static(t("ui.today.waiting"), id="waiting-title", classes="section")
            yield RecordTable(id="waiting")
            yield Static(t("ui.today.recent"), id="recent-title", classes="section")
            yield RecordTable(id="recent")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#assign-transfers-line").display = False
        for widget_id in ("#rights-title", "#rights"):
            self.query_one(widget_id).display = False
        self.query_one("#rights", RecordTable).add_columns(
            t("protection.rights.col_due"),
            t("protection.rights.col_left"),
            t("ui.col.person"),
            t("protection.rights.col_kind"),
        )
        # Fixed widths: the day reads the same every time it is drawn, whatever arrives.
        for table_id, columns in (
            ("due", (("ui.col.due", 10), ("ui.col.person", 32), ("ui.col.what", 70))),
            (
                "waiting",
                (
                    ("ui.col.requested", 10),
                    ("ui.col.person", 32),
                    ("ui.col.destination", 44),
                    ("ui.col.status", 14),
                ),
            ),
            (
                "recent",
                (
                    ("ui.col.person", 32),
                    ("ui.col.age", 4),
                    ("ui.col.nationality", 13),
                    ("ui.col.document", 17),
                    ("ui.col.last_contact", 16),
                ),
            ),
        ):
            table = self.query_one(f"#{table_id}", RecordTable)
            for label, width in columns:
                table.add_column(t(label), width=width)
        worker = self.casework.worker
        today = clock.today()
        weekday = t(f"ui.weekday.{today.weekday()}")
        self.query_one("#day-title", Static).update(
            t(
                "ui.today.title",
                day=f"{weekday} {fmt_date(today)}",
                worker=worker.full_name if worker else "",
            )
        )
        self.action_refresh()

    def on_return(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self._show_drafts()
        self.call_service(load_day, self, on_done=self._show, group="today", exclusive=True)

    def _show_drafts(self) -> None:
        """The worker's unfinished fichas: one line saying how many, B lists them."""
        drafts = self.casework.intake_drafts()
        line = self.query_one("#drafts-line", Static)
        line.update(t("intake.drafts.line", count=len(drafts)) if drafts else "")
        line.display = bool(drafts)

    def action_drafts(self) -> None:
        from casework.screens.intake import DraftsModal

        if not self.casework.intake_drafts():
            self.notify(t("intake.drafts.none"))
            return
        self.app.push_screen(DraftsModal(), lambda _: self._show_drafts())

    def _show(self, data: DayView) -> None:
        self.data = data
        due = self.query_one("#due", RecordTable)
        due.refill(
            (
                str(f.id),
                (
                    Text(fmt_date(f.due_on), style="bold red" if f.id in data.overdue else ""),
                    f.person_name,
                    f.what,
                ),
            )
            for f in data.due
        )
        self.query_one("#due-title", Static).update(
            t("ui.today.due_count", count=len(data.due), overdue=data.overdue_count)
        )
        waiting = self.query_one("#waiting", RecordTable)
        waiting.refill(
            (
                str(r.id),
                (
                    Text(
                        fmt_date(r.requested_at.date() if r.requested_at else None),
                        style="yellow" if r.id in data.waiting_long else "",
                    ),
                    data.names.get(str(r.person_id), ""),
                    destination_name(r.destination_key),
                    code_label_status(r.status),
                ),
            )
            for r in data.waiting
        )
        self.query_one("#waiting-title", Static).update(
            t("ui.today.waiting_count", count=len(data.waiting))
        )
        recent = self.query_one("#recent", RecordTable)
        recent.refill(
            (
                str(p.id),
                (
                    p.full_name,
                    age_text(p.birth_date),
                    country_name(p.nationality),
                    doc_text(p.document),
                    fmt_datetime(p.last_contact),
                ),
            )
            for p in data.recent
        )
        self._show_rights(data)
        self._count_transfers()
        if not data.due and not data.waiting:
            self.query_one("#recent", RecordTable).focus()
        else:
            (due if data.due else waiting).focus()

    def _count_transfers(self) -> None:
        """A supervisor's line of transfers waiting for their programme (T lists them)."""
        worker = self.casework.worker
        if worker is None or worker.role != Role.SUPERVISOR.value:
            return

        def show(count: int) -> None:
            line = self.query_one("#assign-transfers-line", Static)
            line.update(t("assign.transfers_line", count=count) if count else "")
            line.display = bool(count)

        self.call_service(assignment.pending_count, self.ctx, on_done=show, group="transfers")

    def action_transfers(self) -> None:
        from casework.screens.assign import TransfersScreen

        self.app.push_screen(TransfersScreen())

    def _show_rights(self, data: DayView) -> None:
        """Only for supervisors and admins with requests falling due: the section stays
        hidden otherwise."""

        table = self.query_one("#rights", RecordTable)
        table.refill(
            (
                str(r.id),
                (
                    Text(fmt_date(r.due_on), style="bold red" if r.overdue else ""),
                    left_text(r.days_left),
                    data.names.get(str(r.person_id), ""),
                    right_name(r.kind),
                ),
            )
            for r in data.rights
        )
        overdue = sum(r.overdue for r in data.rights)
        self.query_one("#rights-title", Static).update(
            t("protection.rights.today_title", count=len(data.rights), overdue=overdue)
        )
        for widget_id in ("#rights-title", "#rights"):
            self.query_one(widget_id).display = bool(data.rights)

    def _selected(self) -> tuple[str, str] | None:
        table = self.focused
        if not isinstance(table, RecordTable) or table.row_count == 0:
            return None
        return (table.id or "", table.cursor_key or "")

    def _person_for(self, table: str, key: str) -> str | None:
        if self.data is None:
            return None
        if table == "due":
            return next((str(f.person_id) for f in self.data.due if str(f.id) == key), None)
        if table == "waiting":
            return next((str(r.person_id) for r in self.data.waiting if str(r.id) == key), None)
        if table == "rights":
            return next((str(r.person_id) for r in self.data.rights if str(r.id) == key), None)
        return key

    @on(RecordTable.RowSelected)
    def _row_chosen(self, event: RecordTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        chosen = self._selected()
        if chosen is None:
            return
        person = self._person_for(*chosen)
        if person:
            import uuid

            self.casework.open_person(uuid.UUID(person))

    def _follow_up(self) -> FollowUpOut | None:
        chosen = self._selected()
        if chosen is None or chosen[0] != "due" or self.data is None:
            self.notify(t("ui.today.choose_follow_up"), severity="warning")
            return None
        return next((f for f in self.data.due if str(f.id) == chosen[1]), None)

    def action_done(self) -> None:
        self._close_follow_up("done")

    def action_missed(self) -> None:
        self._close_follow_up("missed")

    def _close_follow_up(self, status: str) -> None:
        from casework.screens.forms import CloseFollowUpModal

        follow_up = self._follow_up()
        if follow_up is not None:
            self.app.push_screen(
                CloseFollowUpModal(follow_up, status),
                lambda saved: self.action_refresh() if saved else None,
            )

    def action_postpone(self) -> None:
        from casework.screens.forms import RescheduleModal

        follow_up = self._follow_up()
        if follow_up is not None:
            self.app.push_screen(
                RescheduleModal(follow_up), lambda saved: self.action_refresh() if saved else None
            )


def code_label_status(status: str) -> str:
    from casework import refdata

    return code_label(refdata.code_list("referral_statuses"), status)
