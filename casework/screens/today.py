"""The worker's day: follow-ups due and overdue, referrals waiting, persons seen recently."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from casework import clock
from casework.i18n import t
from casework.models.enums import Role
from casework.screens.base import CaseworkScreen
from casework.services import assignment, desk, followups, persons, referrals
from casework.services.context import Context
from casework.services.desk import DayView
from casework.services.followups import FollowUpOut
from casework.services.paging import Page
from casework.services.referrals import ReferralOut
from casework.widgets import (
    PAGING_BINDINGS,
    PagedTable,
    RecordTable,
    RowsPage,
    age_text,
    code_label,
    country_name,
    destination_name,
    doc_text,
    fmt_count,
    fmt_date,
    fmt_datetime,
)
from casework.widgets.rights_text import left_text, right_name


def load_day(screen: TodayScreen) -> DayView:
    return desk.day(screen.ctx)


def due_rows(page: Page[FollowUpOut], late: bool) -> RowsPage:
    """Follow-ups as rows: due date (red when late), person, what to check."""
    return RowsPage(
        [
            (
                str(f.id),
                (
                    Text(fmt_date(f.due_on), style="bold red" if late else ""),
                    f.person_name,
                    f.what,
                ),
            )
            for f in page
        ],
        page.total,
        page.offset,
        list(page),
    )


def waiting_rows(page: Page[ReferralOut], names: dict[str, str], today: dt.date) -> RowsPage:
    """Referrals as rows: requested (yellow when it waited long), person, destination, status."""
    return RowsPage(
        [
            (
                str(r.id),
                (
                    Text(
                        fmt_date(r.requested_at.date() if r.requested_at else None),
                        style="yellow" if desk.waited_long(r, today) else "",
                    ),
                    names.get(str(r.person_id), ""),
                    destination_name(r.destination_key),
                    code_label_status(r.status),
                ),
            )
            for r in page
        ],
        page.total,
        page.offset,
        list(page),
    )


def read_today(ctx: Context, offset: int, limit: int) -> RowsPage:
    """The next page of today's follow-ups (in the table's worker)."""
    today = clock.today()
    return due_rows(
        followups.due_for_worker(ctx, since=today, until=today, offset=offset, limit=limit), False
    )


def read_late(ctx: Context, offset: int, limit: int) -> RowsPage:
    """The next page of the overdue follow-ups (in the table's worker)."""
    until = clock.today() - dt.timedelta(days=1)
    return due_rows(followups.due_for_worker(ctx, until=until, offset=offset, limit=limit), True)


def read_waiting(ctx: Context, offset: int, limit: int) -> RowsPage:
    """The next page of the referrals waiting, with their persons' names."""
    page = referrals.waiting(ctx, offset=offset, limit=limit)
    names = persons.names(ctx, {r.person_id for r in page})
    return waiting_rows(page, {str(k): v for k, v in names.items()}, clock.today())


def day_columns(width: int) -> dict[str, list[tuple[str, int]]]:
    """Column widths of the day's tables for a screen ``width`` cells wide: the columns
    that tell rows apart (due date, person, what) always; at 80 the destination narrows and
    the last contact gives way, wider screens give the room to the text columns."""
    room = max(60, width - 2)  # the scroll bar
    person = 28 if width < 100 else 32

    def rest(*fixed: int) -> int:
        # Each shown column takes two cells of padding besides its width.
        return max(12, room - sum(fixed) - 2 * (len(fixed) + 1))

    due = [("ui.col.due", 10), ("ui.col.person", person)]
    waiting = [("ui.col.requested", 10), ("ui.col.person", person)]
    status = 12 if width < 100 else 14
    recent_last = 16 if width >= 100 else 0
    nationality = 12 if width < 100 else 14
    document = 16 if width < 100 else 18
    recent = [
        ("ui.col.person", person),
        ("ui.col.age", 4),
        ("ui.col.nationality", nationality),
        ("ui.col.document", document),
        ("ui.col.last_contact", recent_last),
    ]
    shown = [w for _, w in recent if w]
    recent[0] = ("ui.col.person", person + max(0, room - sum(shown) - 2 * len(shown)))
    return {
        "due": [*due, ("ui.col.what", rest(10, person))],
        "waiting": [
            *waiting,
            ("ui.col.destination", rest(10, person, status)),
            ("ui.col.status", status),
        ],
        "recent": recent,
    }


class TodayScreen(CaseworkScreen):
    """ "Hoy": today's follow-ups, then the overdue ones (oldest first), each list with its
    true count, then the referrals waiting and the persons seen recently."""

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
        *PAGING_BINDINGS,
    ]

    PAGED = ("due", "late", "waiting")
    """The tables read page by page, with the count line above each."""
    TITLES = {"due": "lists.today", "late": "lists.late", "waiting": "lists.waiting"}

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
            yield Static(t("lists.today", count=""), id="due-title", classes="section")
            yield PagedTable(id="due", fetch=lambda o, n: read_today(self.ctx, o, n))
            yield Static(t("lists.late", count=""), id="late-title", classes="section")
            yield PagedTable(id="late", fetch=lambda o, n: read_late(self.ctx, o, n))
            yield Static(t("ui.today.waiting"), id="waiting-title", classes="section")
            yield PagedTable(id="waiting", fetch=lambda o, n: read_waiting(self.ctx, o, n))
            yield Static(t("ui.today.recent"), id="recent-title", classes="section")
            yield PagedTable(id="recent")
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
        self._fit_columns(self.size.width or self.app.size.width)
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

    def on_resize(self, event: events.Resize) -> None:
        self._fit_columns(event.size.width)

    def _fit_columns(self, width: int) -> None:
        """Widths from the screen's width: at 80 the columns that tell rows apart stay and
        the rest give way; wider, every column, the text ones taking the room."""
        columns = day_columns(width)
        for table_id, kind in (
            ("due", "due"),
            ("late", "due"),
            ("waiting", "waiting"),
            ("recent", "recent"),
        ):
            self.query_one(f"#{table_id}", PagedTable).set_columns(
                [(t(label), w) for label, w in columns[kind]]
            )

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
        today = clock.today()
        tables = {
            "due": due_rows(data.due_today, False),
            "late": due_rows(data.late, True),
            "waiting": waiting_rows(data.waiting, data.names, today),
        }
        for table_id, page in tables.items():
            self.query_one(f"#{table_id}", PagedTable).show_page(page)
        recent = [
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
        ]
        self.query_one("#recent", PagedTable).show_page(RowsPage(recent, len(recent), 0))
        self._show_rights(data)
        self._count_transfers()
        if not isinstance(self.focused, RecordTable) or not self.focused.row_count:
            first = next(
                (
                    self.query_one(f"#{table_id}", PagedTable)
                    for table_id in self.PAGED
                    if self.query_one(f"#{table_id}", PagedTable).row_count
                ),
                self.query_one("#recent", PagedTable),
            )
            first.focus()

    @on(PagedTable.Paged)
    def _count_line(self, event: PagedTable.Paged) -> None:
        """The count line over a paged table: its true count, and which rows are held when
        they are not all of them ("Atrasados: 1.071 · 1–100 de 1.071")."""
        table = event.table
        key = self.TITLES.get(table.id or "")
        if key is None:
            return
        text = t(key, count=fmt_count(table.total))
        if table.total > table.row_count:
            text += " · " + table.position_text()
        self.query_one(f"#{table.id}-title", Static).update(text)

    def _count_transfers(self) -> None:
        """A supervisor's line of transfers waiting for their programme (t lists them)."""
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
        if table in self.PAGED:
            record = self.query_one(f"#{table}", PagedTable).record(key)
            return str(record.person_id) if record is not None else None
        if table == "rights":
            if self.data is None:
                return None
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
        if chosen is None or chosen[0] not in ("due", "late"):
            self.notify(t("ui.today.choose_follow_up"), severity="warning")
            return None
        record = self.query_one(f"#{chosen[0]}", PagedTable).record(chosen[1])
        return record if isinstance(record, FollowUpOut) else None

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
