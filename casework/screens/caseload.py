"""Supervisor's caseload summary: per worker and programme, with drill-down to the cases."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, Static

from casework import refdata
from casework.i18n import t
from casework.screens.base import CaseworkScreen
from casework.services import reports
from casework.services.paging import Page
from casework.services.reports import CaseloadReport, DrillRow
from casework.widgets import (
    PAGING_BINDINGS,
    PagedTable,
    RecordTable,
    RowsPage,
    code_label,
    destination_name,
    fmt_count,
    fmt_date,
    parse_date,
)

BAR = "█"


def bars(items: list[tuple[str, int]], width: int = 30) -> Text:
    """Horizontal bars: a picture reads better than a column of numbers."""
    text = Text()
    top = max((n for _, n in items), default=0) or 1
    label_width = max((len(label) for label, _ in items), default=0)
    for label, n in items:
        text.append(f"{label.ljust(label_width)} ")
        text.append(BAR * max(1 if n else 0, round(n / top * width)), style="bold")
        text.append(f" {n}\n")
    return text


def outcome_bars(report: CaseloadReport, width: int = 30) -> Text:
    """Per service area: completed / still open / not completed, as one stacked bar."""
    groups = {
        "completed": ("completed",),
        "open": ("draft", "requested", "accepted", "in-progress", "on-hold"),
        "closed": ("rejected", "cancelled", "failed", "entered-in-error"),
    }
    styles = {"completed": "green", "open": "yellow", "closed": "red"}
    text = Text()
    totals = {a: sum(s.values()) for a, s in report.referral_outcomes.items()}
    top = max(totals.values(), default=0) or 1
    label_width = max((len(t(f"area.{a}")) for a in totals), default=0)
    for area, statuses in report.referral_outcomes.items():
        text.append(f"{t(f'area.{area}').ljust(label_width)} ")
        for group, members in groups.items():
            n = sum(statuses.get(s, 0) for s in members)
            text.append(BAR * round(n / top * width), style=styles[group])
        median = report.median_days_to_completion.get(area)
        text.append(f" {totals[area]}")
        if median is not None:
            text.append(f" · {t('ui.caseload.median', days=median)}")
        text.append("\n")
    text.append(t("ui.caseload.legend"), style="italic")
    return text


class CaseloadScreen(CaseworkScreen):
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("enter", "drill", "key.drill", id="drill"),
        Binding("ctrl+r", "reload", "key.refresh", id="reload-caseload", show=False),
        Binding("w", "move_work", "key.assign_work", id="assign-work"),
        Binding("t", "transfers", "key.assign_transfers", id="assign-transfers"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: CaseloadReport | None = None
        self.row_workers: list[uuid.UUID | None] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("ui.caseload.title"), classes="title")
        with Horizontal(id="period"):
            yield Label(t("ui.caseload.from"))
            yield Input(id="from", placeholder=t("ui.date_hint"), compact=True)
            yield Label(t("ui.caseload.to"))
            yield Input(id="to", placeholder=t("ui.date_hint"), compact=True)
        with VerticalScroll(id="caseload"):
            yield RecordTable(id="table", cursor_type="cell")
            yield Static(t("ui.caseload.intakes_per_month"), classes="section")
            yield Static(id="months")
            yield Static(t("ui.caseload.referrals"), classes="section")
            yield Static(id="outcomes")
            yield Static(t("ui.caseload.guidance"), classes="section")
            yield Static(id="guidance")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#table", RecordTable)
        table.add_column(t("ui.col.worker"), key="worker")
        for metric in reports.METRICS:
            table.add_column(t(f"metric.{metric}"), key=metric)
        self.action_reload()

    def action_reload(self) -> None:
        try:
            start = parse_date(self.query_one("#from", Input).value)
            end = parse_date(self.query_one("#to", Input).value)
        except ValueError:
            self.notify(t("error.bad_date"), severity="error")
            return
        self.call_service(
            reports.caseload,
            self.ctx,
            start,
            end,
            on_done=self._show,
            group="caseload",
            exclusive=True,
        )

    @on(Input.Submitted)
    def _period(self) -> None:
        self.action_reload()
        self.query_one("#table", RecordTable).focus()

    def _show(self, report: CaseloadReport) -> None:
        self.report = report
        self.query_one("#from", Input).value = fmt_date(report.date_from)
        self.query_one("#to", Input).value = fmt_date(report.date_to)
        table = self.query_one("#table", RecordTable)
        self.row_workers = []
        rows: list[tuple[str, list[Text]]] = []
        for row in [*report.workers, *report.programmes, report.total]:
            label = row.worker if row.worker_id else (row.programme or row.worker)
            style = "" if row.worker_id else "bold"
            cells = [
                Text(
                    fmt_count(row.counts[m]),
                    style="bold red" if m == "overdue" and row.counts[m] else style,
                )
                for m in reports.METRICS
            ]
            rows.append((str(len(rows)), [Text(label, style=style), *cells]))
            self.row_workers.append(row.worker_id)
        table.refill(rows)
        self.query_one("#months", Static).update(bars(report.intakes_per_month))
        self.query_one("#outcomes", Static).update(outcome_bars(report))
        lines = Text()
        for route, steps in report.guidance.items():
            from casework.widgets import route_name

            lines.append(f"{route_name(route)}: ", style="bold")
            lines.append(", ".join(f"{t('state.' + k)} {v}" for k, v in steps.items()) + "\n")
        self.query_one("#guidance", Static).update(lines)
        table.focus()

    @on(RecordTable.CellSelected, "#table")
    def _cell_chosen(self) -> None:
        self.action_drill()

    def action_drill(self) -> None:
        table = self.query_one("#table", RecordTable)
        if self.report is None or table.row_count == 0:
            return
        row, column = table.cursor_coordinate
        if column == 0:
            column = 1
        metric = reports.METRICS[column - 1]
        worker_id = self.row_workers[row]
        self.app.push_screen(DrillScreen(metric, worker_id, self.report))

    def action_move_work(self) -> None:
        """The worker under the cursor's open cases and follow-ups to a colleague (w)."""
        from casework.screens.assign import open_move_work

        table = self.query_one("#table", RecordTable)
        row = table.cursor_coordinate.row
        worker_id = self.row_workers[row] if 0 <= row < len(self.row_workers) else None
        if worker_id is None:
            self.notify(t("assign.pick_worker"), severity="warning")
            return
        open_move_work(self, worker_id, self.action_reload)

    def action_transfers(self) -> None:
        """The transfers waiting for this programme (t)."""
        from casework.screens.assign import TransfersScreen

        self.app.push_screen(TransfersScreen())

    def action_back(self) -> None:
        self.app.pop_screen()


def drill_detail(metric: str, detail: str) -> str:
    """The drill's detail column by its label: the service gives codes (a destination, the
    reasons of a visit, a case status)."""
    if metric == "waiting_referrals":
        return destination_name(detail)
    if metric in ("intakes", "contacts"):
        return ", ".join(code_label(refdata.CONTACT_REASONS, c) for c in detail.split(", ") if c)
    if metric in ("open_cases", "idle_cases"):
        return t(f"case.{detail}")
    return detail


DRILL_PAGE = 200
"""Rows of a drill-down read at once; the table reads on as the cursor goes."""


def drill_rows(page: Page[DrillRow], metric: str) -> RowsPage:
    """A page of the drill-down as rows, keyed by their place in the list."""
    return RowsPage(
        [
            (
                str(page.offset + i),
                (fmt_date(r.when), r.person, drill_detail(metric, r.detail)[:80]),
            )
            for i, r in enumerate(page)
        ],
        page.total,
        page.offset,
        list(page),
    )


class DrillScreen(CaseworkScreen):
    BINDINGS = [Binding("escape", "back", "key.back", id="back"), *PAGING_BINDINGS]

    def __init__(self, metric: str, worker_id: uuid.UUID | None, report: CaseloadReport) -> None:
        super().__init__()
        self.metric = metric
        self.worker_id = worker_id
        self.report = report

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            t("ui.caseload.drill_title", metric=t(f"metric.{self.metric}")), classes="title"
        )
        yield Static("", id="drill-count", classes="help-text")
        yield PagedTable(id="drill", fetch=self._read, page_size=DRILL_PAGE)
        yield Footer()

    def _read(self, offset: int, limit: int) -> RowsPage:
        """A page of the drill-down (in a worker)."""
        return drill_rows(
            reports.drill(
                self.ctx,
                self.metric,
                self.worker_id,
                self.report.date_from,
                self.report.date_to,
                offset=offset,
                limit=limit,
            ),
            self.metric,
        )

    def on_mount(self) -> None:
        table = self.query_one(PagedTable)
        table.add_columns(t("ui.col.when"), t("ui.col.person"), t("ui.col.detail"))
        self.call_service(self._read, 0, DRILL_PAGE, on_done=self._show)

    def _show(self, page: RowsPage) -> None:
        table = self.query_one(PagedTable)
        table.show_page(page, cursor=0)
        table.focus()

    @on(PagedTable.Paged)
    def _count_line(self, event: PagedTable.Paged) -> None:
        """The figure itself (the true count), and which rows are held."""
        table = event.table
        text = t("lists.drill", count=fmt_count(table.total))
        if table.total > table.row_count:
            text += " · " + table.position_text()
        self.query_one("#drill-count", Static).update(text)

    @property
    def rows(self) -> list[DrillRow]:
        """The rows held by the table, in order."""
        table = self.query_one(PagedTable)
        return [table.record(key) for key, _ in table.held]

    @on(PagedTable.RowSelected)
    def _open(self, event: PagedTable.RowSelected) -> None:
        row = self.query_one(PagedTable).record(event.row_key.value)
        if row is not None:
            self.casework.open_person(row.person_id)

    def action_back(self) -> None:
        self.app.pop_screen()
