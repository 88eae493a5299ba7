"""Importing an office's spreadsheet from the desk (supervisors and the administrator, F3):
choose the file, see how it is read and what it would do (nothing written), change a
column's field, run it in the background with its progress, read the summary and the rows
of its report here.

The work runs in thread workers (a 30,000-row file takes seconds); the keys stay
responsive, and Escape during a run asks to stop: the import stops once the batch in
hand is saved, and what was saved stays."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from casework.errors import field_label
from casework.i18n import fmt_count, t, tn
from casework.screens.base import CaseworkModal, CaseworkScreen
from casework.screens.import_path import PathInput
from casework.services import duplicate_queue, import_report, import_visits, importing, staff
from casework.services.duplicate_queue import ScanReport
from casework.services.import_types import (
    PERSON_FIELDS,
    VISIT_FIELDS,
    ImportReport,
    Problem,
    Progress,
    ReadOptions,
    SourceInfo,
)
from casework.widgets import ConfirmModal, error_text

UNMAPPED = ""
"""The field of a column left out of the import ("(no importar)")."""
PROGRESS_EVERY = 0.1
"""Seconds between two progress redraws asked from the import's thread."""
CELL_WIDTH = 28
"""The widest cell of the first rows (longer text ends in "…")."""
NAME_FIELDS = ("full_name", "given_names", "surnames", "first_surname", "second_surname")
"""The fields whose original cells name a listed row's person."""


def field_name(field: str) -> str:
    """A field as the worker reads it ("" -> "(no importar)")."""
    if not field:
        return t("import_screen.unmapped")
    key = f"import.field.{field}"
    text = t(key)
    if text != key:
        return text
    return field_label(field) or field


def report_path(source: Path) -> Path:
    """Where the report of ``source`` is written: beside it, ``<stem>-informe.csv``, or in
    the user's data folder when that folder cannot be written."""
    return import_report.default_report_path(source)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return " ".join(_cell(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value if v not in (None, ""))
    if isinstance(value, bool):
        return t("import_screen.yes") if value else t("import_screen.no")
    text = str(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def source_text(info: SourceInfo) -> str:
    """How the file was read: its format, encoding, separator, sheet and header line."""
    parts = [info.path.name, info.format.upper()]
    if info.encoding:
        parts.append(t("import_screen.encoding", encoding=info.encoding))
    if info.delimiter:
        shown = t("import_screen.tab") if info.delimiter == "\t" else info.delimiter
        parts.append(t("import_screen.delimiter", delimiter=shown))
    if info.sheet:
        parts.append(t("import_screen.sheet_is", sheet=info.sheet))
    parts.append(t("import_screen.header_at", line=info.header_line))
    if info.total_rows is not None:
        parts.append(tn("import_screen.rows_in_file", info.total_rows))
    return " · ".join(parts)


def summary_text(report: ImportReport, visits: bool, written: Path | None) -> Text:
    """The counts and the grouped reasons of a preview or of a finished import."""
    out = Text()
    if report.dry_run:
        out.append(t("import_screen.preview_heading") + "\n", style="bold")
    elif report.cancelled:
        out.append(t("import_screen.cancelled_heading") + "\n", style="bold yellow")
    else:
        out.append(t("import_screen.done_heading") + "\n", style="bold")
    if report.info is not None:
        out.append(source_text(report.info) + "\n", style="dim")
    counts = [
        ("rows", report.rows),
        ("created_preview" if report.dry_run else "created", report.created),
        ("already", report.already),
        ("likely_duplicates", report.likely_duplicates),
        ("warned", report.warned),
        ("refused", report.refused),
        ("conflicts", report.conflicts),
    ]
    if report.duplicates_in_file:
        counts.append(("duplicates_in_file", report.duplicates_in_file))
    if report.completed:
        counts.append(("completed", report.completed))
    if visits:
        counts.append(("visits_preview" if report.dry_run else "visits", report.visits_created))
        counts.append(("visits_already", getattr(report, "visits_already", 0)))
    if report.names_guessed:
        counts.append(("names_guessed", report.names_guessed))
    for key, count in counts:
        label = t(f"import_screen.count.{key}")
        out.append(f"  {label:<34}{fmt_count(count):>9}\n")
    groups = report.groups()
    if groups:
        out.append(t("import_screen.reasons") + "\n", style="bold")
        for reason, count in groups:
            out.append(f"  {fmt_count(count):>7}  {reason}\n")
    if written is not None:
        out.append(t("import_screen.report_written", path=str(written)) + "\n")
    elif report.problems and report.dry_run:
        out.append(t("import_screen.report_later") + "\n", style="dim")
    return out


def row_name(problem: Problem, info: SourceInfo | None) -> str:
    """Who a listed row is about: the names and surnames as in the file's cells."""
    if info is None:
        return ""
    keys = info.original_keys or info.columns
    parts: list[str] = []
    for field in NAME_FIELDS:
        index = info.mapping.get(field)
        if index is None or index >= len(keys):
            continue
        value = (problem.original.get(keys[index]) or "").strip()
        if value and value not in parts:
            parts.append(value)
    return " ".join(parts)


def status_text(problem: Problem, dry_run: bool) -> str:
    """A listed row's status: what will happen in a preview, what happened after."""
    if dry_run:
        return t(f"import_screen.status_preview.{problem.status}")
    return t(f"import.report.{problem.status}")


class AskModal(ConfirmModal):
    """The import's yes-or-no questions, with the keys that answer them in the footer
    (the screen's own footer behind would show its keys, which do not answer)."""

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Footer()


class FieldModal(CaseworkModal[str | None]):
    """Which field a file's column fills ("(no importar)" leaves it out): the Select is
    opened on Enter; choosing closes the dialog with the field."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel", id="cancel")]

    def __init__(self, column: str, current: str, fields: tuple[str, ...]) -> None:
        super().__init__()
        self.column = column
        self.current = current
        self.fields = fields

    def compose(self) -> ComposeResult:
        options = [(field_name(UNMAPPED), UNMAPPED)]
        options += [(field_name(f), f) for f in self.fields]
        with Vertical(classes="modal-box", id="import-field-box"):
            yield Static(t("import_screen.field_title", column=self.column), classes="title")
            yield Static(t("import_screen.field_help"), classes="help-text")
            yield Select(
                options,
                value=self.current,
                allow_blank=False,
                id="import-field",
            )
        yield Footer()  # its own keys, not those of the screen behind

    def on_mount(self) -> None:
        self.query_one("#import-field", Select).focus()

    @on(Select.Changed, "#import-field")
    def _chosen(self, event: Select.Changed) -> None:
        if event.value != self.current and isinstance(event.value, str):
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ImportScreen(CaseworkScreen):
    """F3: import a spreadsheet of persons or of attentions."""

    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("escape", "stop_run", "key.import_stop", id="import-stop"),
        Binding("ctrl+r", "preview", "key.import_preview", id="import-preview"),
        Binding("ctrl+s", "run", "key.import_run", id="import-run"),
        Binding("f2", "columns", "key.import_columns", id="import-columns"),
        Binding("ctrl+l", "report", "key.import_report", id="import-report"),
    ]

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.initial_path = path
        self.report: ImportReport | None = None
        """The last preview's or import's report (what the screen shows)."""
        self.previewed: tuple[Any, ...] | None = None
        """The settings the last preview was made with (an import runs only on them)."""
        self.mapping: dict[str, str] = {}
        """The worker's choices: column header -> field ("" leaves the column out)."""
        self.cancel: threading.Event | None = None
        self.running = False
        self.written: Path | None = None
        self._started = 0.0
        self._last_progress = 0.0
        self._programmes: list[tuple[str, str]] = []
        self._scan_fraction = 0.0
        self._field_column: Any = None
        self._how_column: Any = None
        """The keys of the Columnas table's "Campo" and "Cómo" columns."""

    # Layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("import_screen.title"), classes="title")
        with Horizontal(classes="import-row"):
            yield Label(t("import_screen.file"))
            yield PathInput(
                self.initial_path,
                placeholder=t("import_screen.file_placeholder"),
                id="import-path",
                compact=True,
            )
        with Horizontal(classes="import-row"):
            yield Label(t("import_screen.kind"))
            yield Select(
                [
                    (t("import_screen.kind_persons"), "persons"),
                    (t("import_screen.kind_visits"), "visits"),
                ],
                value="persons",
                allow_blank=False,
                id="import-kind",
                compact=True,
            )
            yield Label(t("import_screen.programme"), id="import-programme-label")
            yield Select(
                [], prompt=t("import_screen.programme_none"), id="import-programme", compact=True
            )
        with Horizontal(classes="import-row"):
            yield Label(t("import_screen.sheet"))
            yield Select([], prompt=t("import_screen.sheet_first"), id="import-sheet", compact=True)
            yield Label(t("import_screen.header_row"))
            yield Input(
                placeholder=t("import_screen.header_found"),
                id="import-header",
                compact=True,
                restrict=r"[0-9]*",
                max_length=6,
            )
        yield Static(t("import_screen.start_hint"), id="import-status")
        with Horizontal(id="import-progress"):
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="import-bar")
            yield Static("", id="import-progress-text")
        yield Static("", id="import-scan")
        with TabbedContent(id="import-tabs"):
            with TabPane(t("import_screen.tab_summary"), id="tab-summary"):
                yield VerticalScroll(Static("", id="import-summary"), id="import-summary-box")
            with TabPane(t("import_screen.tab_columns"), id="tab-columns"):
                yield DataTable(id="import-columns", cursor_type="row", zebra_stripes=True)
            with TabPane(t("import_screen.tab_rows"), id="tab-rows"):
                yield DataTable(id="import-sample", cursor_type="row", zebra_stripes=True)
            with TabPane(t("import_screen.tab_report"), id="tab-report"):
                yield DataTable(id="import-problems", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_screen_resume(self) -> None:
        # Back with F3: the file field, ready for another file (unless one is importing).
        if not self.running:
            self.query_one("#import-path", PathInput).focus()

    def on_mount(self) -> None:
        self.query_one("#import-progress").display = False
        self.query_one("#import-scan").display = False
        self._show_programme()
        columns = self.query_one("#import-columns", DataTable)
        keys = columns.add_columns(
            t("import_screen.col_column"), t("import_screen.col_field"), t("import_screen.col_how")
        )
        self._field_column = keys[1]
        self._how_column = keys[2]
        problems = self.query_one("#import-problems", DataTable)
        problems.add_columns(
            t("import.report.line"),
            t("import_screen.col_name"),
            t("import.report.status"),
            t("import.report.reasons"),
        )
        self.query_one("#import-path", Input).focus()

        def listed(programmes: list[Any]) -> None:
            self._programmes = [(f"{p.code} · {p.name}", p.code) for p in programmes]
            self.query_one("#import-programme", Select).set_options(self._programmes)

        self.call_service(staff.list_programmes, self.ctx, on_done=listed, group="import-lists")

    # What the worker chose ---------------------------------------------------------------

    @property
    def kind(self) -> str:
        value = self.query_one("#import-kind", Select).value
        return value if isinstance(value, str) else "persons"

    def _show_programme(self) -> None:
        visits = self.kind == "visits"
        self.query_one("#import-programme").display = visits
        self.query_one("#import-programme-label").display = visits

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Escape goes back, or stops the import while one runs (the footer says which).
        if action == "back":
            return not self.running
        if action == "stop_run":
            return self.running
        return True

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.refresh_bindings()

    def _clear(self) -> None:
        """Nothing of an earlier file or kind stays on the tabs (until the next preview)."""
        self.report = None
        self.previewed = None
        self.written = None
        self.query_one("#import-summary", Static).update("")
        self.query_one("#import-progress").display = False
        self.query_one("#import-scan").display = False
        self.query_one("#import-columns", DataTable).clear()
        self.query_one("#import-sample", DataTable).clear(columns=True)
        self.query_one("#import-problems", DataTable).clear()

    @on(Select.Changed, "#import-kind")
    def _kind_changed(self) -> None:
        self._show_programme()
        self.mapping.clear()
        if not self.running:
            self._clear()

    @on(Select.Changed, "#import-sheet")
    def _sheet_changed(self, event: Select.Changed) -> None:
        if self.report is not None and event.select.has_focus_within and not self.running:
            self.mapping.clear()
            self.action_preview()

    @on(Input.Submitted, "#import-path")
    @on(Input.Submitted, "#import-header")
    def _submitted(self) -> None:
        self.action_preview()

    @on(Input.Changed, "#import-path")
    def _path_changed(self) -> None:
        # Another file: its sheets and columns are its own.
        if self.report is not None and self._path_text() != str(self.report_source()):
            self.query_one("#import-sheet", Select).set_options([])
            self.mapping.clear()

    def _path_text(self) -> str:
        return self.query_one("#import-path", Input).value.strip()

    def report_source(self) -> Path | None:
        if self.report is None or self.report.info is None:
            return None
        return self.report.info.path

    def _path(self) -> Path | None:
        """The file typed, or None with the reason shown (nothing typed is lost)."""
        text = self._path_text()
        if not text:
            self._status(t("import_screen.no_path"), error=True)
        elif (path := Path(text).expanduser()).is_dir():
            self._status(t("import_screen.is_folder", path=text), error=True)
        elif not path.is_file():
            self._status(t("import_screen.not_found", path=text), error=True)
        else:
            return path
        if not self.running:
            self._clear()
        return None

    def _options(self) -> ReadOptions | None:
        sheet = self.query_one("#import-sheet", Select).value
        header = self.query_one("#import-header", Input).value.strip()
        if header and (not header.isdigit() or int(header) < 1):
            self._status(t("import_screen.bad_header"), error=True)
            return None
        return ReadOptions(
            sheet=sheet if isinstance(sheet, str) else None,
            header_row=int(header) if header else None,
            mapping=dict(self.mapping),
            kind="visits" if self.kind == "visits" else "persons",
        )

    def _programme(self) -> str | None:
        value = self.query_one("#import-programme", Select).value
        return value if isinstance(value, str) else None

    def _settings(self, path: Path, options: ReadOptions) -> tuple[Any, ...]:
        return (
            str(path.resolve()),
            options.kind,
            options.sheet,
            options.header_row,
            tuple(sorted(options.mapping.items())),
            self._programme() if options.kind == "visits" else None,
        )

    def _status(self, message: str, *, error: bool = False) -> None:
        self.query_one("#import-status", Static).update(
            Text(message, style="bold red") if error else message
        )

    # Preview ------------------------------------------------------------------------------

    def action_preview(self, then_run: bool = False) -> None:
        if self.running:
            self.notify(t("import_screen.busy_running"), severity="warning")
            return
        path = self._path()
        options = self._options() if path is not None else None
        if path is None or options is None:
            return
        settings = self._settings(path, options)
        visits = options.kind == "visits"
        programme = self._programme()
        ctx = self.ctx
        self._status(t("import_screen.reading", name=path.name))
        self.query_one("#import-progress").display = False
        self.query_one("#import-scan").display = False
        shown = self.report.info if self.report is not None else None
        if shown is None or shown.path.resolve() != path.resolve() or shown.kind != options.kind:
            self._clear()  # another file or kind: nothing of the last one stays

        def work() -> ImportReport:
            if visits:
                return import_visits.import_visits(
                    ctx, path, options, programme=programme, dry_run=True
                )
            return importing.preview(ctx, path, options)

        def done(report: ImportReport) -> None:
            self.report = report
            self.previewed = settings
            self.written = None
            self._show(report)
            self._status(t("import_screen.preview_ready"))
            if then_run:
                self._confirm_run()

        def failed(exc: BaseException) -> None:
            self._status(error_text(exc), error=True)
            self._clear()

        self.call_service(work, on_done=done, on_error=failed, group="import", exclusive=True)

    def _show(self, report: ImportReport) -> None:
        """The report on the tabs: summary, columns, first rows, listed rows."""
        visits = self.kind == "visits"
        self.query_one("#import-summary", Static).update(summary_text(report, visits, self.written))
        info = report.info
        columns = self.query_one("#import-columns", DataTable)
        row = columns.cursor_row
        columns.clear()
        if info is not None:
            by_column = {index: field for field, index in info.mapping.items()}
            for index, column in enumerate(info.columns):
                field = by_column.get(index, UNMAPPED)
                how = ""
                if field in info.overridden or column in self.mapping:
                    how = t("import_screen.chosen")
                columns.add_row(column or f"#{index + 1}", field_name(field), how, key=str(index))
            if columns.row_count:
                columns.move_cursor(row=min(row, columns.row_count - 1))
            self._fill_sheets(info)
        self._fill_sample(report)
        self._fill_problems(report)

    def _fill_sheets(self, info: SourceInfo) -> None:
        sheet = self.query_one("#import-sheet", Select)
        if info.format != "xlsx" or not info.sheets:
            sheet.set_options([])
            return
        current = info.sheet or info.sheets[0]
        with self.prevent(Select.Changed):
            sheet.set_options([(name, name) for name in info.sheets])
            if current in info.sheets:
                sheet.value = current

    def _fill_sample(self, report: ImportReport) -> None:
        table = self.query_one("#import-sample", DataTable)
        table.clear(columns=True)
        keys: list[str] = []
        for row in report.sample:
            keys += [k for k in row if k not in keys and k != "external_refs"]
        if not keys:
            return
        table.add_columns(*(field_name(k) for k in keys))
        for row in report.sample:
            # Countries, communes and document types by name, as the command line shows them.
            named = import_report.sample_texts(row)
            table.add_row(*(_cell(named.get(k, row.get(k))) for k in keys))

    def _fill_problems(self, report: ImportReport) -> None:
        table = self.query_one("#import-problems", DataTable)
        table.clear()
        for problem in report.problems:
            reasons = " | ".join(issue.message() for issue in problem.issues)
            table.add_row(
                str(problem.line),
                row_name(problem, report.info) or "—",
                status_text(problem, report.dry_run),
                reasons or "—",
            )

    # Changing a column's field ------------------------------------------------------------

    def action_columns(self) -> None:
        self.query_one("#import-tabs", TabbedContent).active = "tab-columns"
        self.query_one("#import-columns", DataTable).focus()

    @on(DataTable.RowSelected, "#import-columns")
    def _column_chosen(self, event: DataTable.RowSelected) -> None:
        info = self.report.info if self.report is not None else None
        if info is None or self.running or event.row_key.value is None:
            return
        index = int(event.row_key.value)
        column = info.columns[index]
        current = {i: f for f, i in info.mapping.items()}.get(index, UNMAPPED)
        fields = PERSON_FIELDS + (VISIT_FIELDS if self.kind == "visits" else ())

        def chosen(field: str | None) -> None:
            if field is None:
                return
            self.mapping[column] = field
            table = self.query_one("#import-columns", DataTable)
            key = str(index)
            if key in table.rows:  # shown at once; the preview re-reads the file
                table.update_cell(key, self._field_column, field_name(field))
                table.update_cell(key, self._how_column, t("import_screen.chosen"))
            self.action_preview()

        self.app.push_screen(FieldModal(column, current, fields), chosen)

    # Running the import -------------------------------------------------------------------

    def action_run(self) -> None:
        if self.running:
            self.notify(t("import_screen.busy_running"), severity="warning")
            return
        path = self._path()
        options = self._options() if path is not None else None
        if path is None or options is None:
            return
        if self.report is None or self.previewed != self._settings(path, options):
            self.action_preview(then_run=True)  # what is confirmed is what was previewed
            return
        self._confirm_run()

    def _confirm_run(self) -> None:
        report = self.report
        if report is None or report.info is None:
            return
        question = t(
            "import_screen.confirm_body",
            name=report.info.path.name,
            rows=tn("import_screen.n.rows_read", report.rows),
            created=tn("import_screen.n.persons", report.created),
            refused=tn("import_screen.n.rows", report.refused),
        )
        self.app.push_screen(
            AskModal(t("import_screen.confirm_title"), question),
            lambda yes: self._start() if yes else None,
        )

    def _start(self) -> None:
        path = self._path()
        options = self._options() if path is not None else None
        if path is None or options is None or self.running:
            return
        visits = options.kind == "visits"
        programme = self._programme()
        ctx = self.ctx
        cancel = threading.Event()
        self.cancel = cancel
        self._set_running(True)
        self.written = None
        self._started = time.monotonic()
        self._last_progress = 0.0
        total = self.report.info.total_rows if self.report and self.report.info else None
        self.query_one("#import-progress").display = True
        self.query_one("#import-scan").display = False
        self.query_one("#import-bar", ProgressBar).update(total=total, progress=0)
        self.query_one("#import-progress-text", Static).update(t("import_screen.starting"))
        self._status(t("import_screen.running", name=path.name))

        def progress(step: Progress) -> None:  # in the import's thread
            now = time.monotonic()
            if now - self._last_progress < PROGRESS_EVERY and step.done != step.total:
                return
            self._last_progress = now
            try:
                self.app.call_from_thread(self._show_progress, step)
            except RuntimeError:  # the desk is closing
                cancel.set()

        def work() -> ImportReport:
            if visits:
                return import_visits.import_visits(
                    ctx, path, options, programme=programme, progress=progress, cancel=cancel
                )
            return importing.import_persons(ctx, path, options, progress=progress, cancel=cancel)

        def done(report: ImportReport) -> None:
            self._set_running(False)
            self.cancel = None
            self.previewed = None  # a second run of the same file is previewed again
            self.report = report
            self._finish_progress(report)
            self.written = self._write_report(report, path)
            self._show(report)
            key = "import_screen.cancelled" if report.cancelled else "import_screen.finished"
            message = tn(key, report.created)
            hint = f" {t('import_screen.report_hint')}" if report.problems else ""
            self._status(message + hint)
            if self.app.screen is not self:  # the worker went on elsewhere in the desk
                self.notify(message)
            self.query_one("#import-tabs", TabbedContent).active = "tab-summary"
            if report.created:
                self._scan_duplicates()

        def failed(exc: BaseException) -> None:
            self._set_running(False)
            self.cancel = None
            self.previewed = None
            self.query_one("#import-progress").display = False
            message = t("import_screen.failed", error=error_text(exc))
            self._status(message, error=True)
            if self.app.screen is not self:
                self.notify(message, severity="error", timeout=10)

        self.call_service(work, on_done=done, on_error=failed, group="import-run")

    def _show_progress(self, step: Progress) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = int(step.done / elapsed)
        bar = self.query_one("#import-bar", ProgressBar)
        if step.total:
            bar.update(total=max(step.total, step.done), progress=step.done)
            text = t(
                "import_screen.progress",
                done=fmt_count(step.done),
                total=tn("import_screen.n.rows", step.total),
                rate=fmt_count(rate),
            )
        else:
            text = t(
                "import_screen.progress_open",
                done=tn("import_screen.n.rows", step.done),
                rate=fmt_count(rate),
            )
        self.query_one("#import-progress-text", Static).update(text)

    def _finish_progress(self, report: ImportReport) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        bar = self.query_one("#import-bar", ProgressBar)
        if not report.cancelled:
            bar.update(total=max(report.rows, 1), progress=max(report.rows, 1))
        text = t(
            "import_screen.progress_done",
            done=tn("import_screen.n.rows", report.rows),
            seconds=f"{elapsed:.1f}",
            rate=fmt_count(int(report.rows / elapsed)),
        )
        self.query_one("#import-progress-text", Static).update(text)

    def _write_report(self, report: ImportReport, source: Path) -> Path | None:
        """The report file beside the input, when some row is listed in it."""
        if not report.problems:
            return None
        try:
            return import_report.write_report(report, report_path(source))
        except OSError as exc:
            self.notify(
                t("import_screen.report_failed", reason=exc.strerror or type(exc).__name__),
                severity="error",
                timeout=10,
            )
            return None

    def _scan_duplicates(self) -> None:
        """As the command line does: the office's duplicate scan after an import, in a
        thread, its progress on the progress line (the worker may leave the screen: it
        goes on, and its end is told wherever the worker is)."""
        ctx = self.ctx
        self._scan_fraction = 0.0
        line = self.query_one("#import-scan", Static)
        line.update(t("followthrough.scan.progress", percent=0))
        line.display = True

        def progress(_stage: str, fraction: float) -> None:  # in the scan's thread
            self._scan_fraction = fraction

        timer = self.set_interval(0.2, self._show_scan)

        def done(report: ScanReport | None) -> None:
            timer.stop()
            new = report.new_pairs if report is not None else 0
            message = t("followthrough.scan.done", new=new)
            self.query_one("#import-scan", Static).update(message)
            self.notify(message)

        def failed(exc: BaseException) -> None:
            timer.stop()
            message = t("followthrough.scan.failed", error=error_text(exc))
            self.query_one("#import-scan", Static).update(Text(message, style="red"))

        self.call_service(
            duplicate_queue.auto_scan,
            ctx,
            "import",
            progress=progress,
            on_done=done,
            on_error=failed,
            group="import-scan",
        )

    def _show_scan(self) -> None:
        percent = max(0, min(100, int(self._scan_fraction * 100)))
        self.query_one("#import-scan", Static).update(
            t("followthrough.scan.progress", percent=percent)
        )

    # Leaving, stopping, the report ----------------------------------------------------------

    def action_report(self) -> None:
        if self.report is None:
            self.notify(t("import_screen.preview_first"), severity="warning")
            return
        if not self.report.problems:
            self.notify(t("import_screen.nothing_listed"))
        self.query_one("#import-tabs", TabbedContent).active = "tab-report"
        self.query_one("#import-problems", DataTable).focus()

    def action_stop_run(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        if not self.running:
            self.app.pop_screen()
            return
        if isinstance(self.app.screen, ConfirmModal):
            return

        def stop(yes: bool | None) -> None:
            if yes and self.cancel is not None:
                self.cancel.set()
                self._status(t("import_screen.stopping"))

        self.app.push_screen(
            AskModal(t("import_screen.stop_title"), t("import_screen.stop_body")), stop
        )

    def stop(self) -> None:
        """The desk is left (sign-out): a running import stops after the batch in hand,
        and what was saved stays."""
        if self.cancel is not None:
            self.cancel.set()

    def on_unmount(self) -> None:
        self.stop()


__all__ = [
    "AskModal",
    "FieldModal",
    "ImportScreen",
    "field_name",
    "report_path",
    "row_name",
    "summary_text",
]
