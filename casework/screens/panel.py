"""Supervisor: preview and export the anonymised statistics for the Inter-Municipal Panel."""

from __future__ import annotations

import textwrap
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, Static

from casework import refdata
from casework.disclosure import Release
from casework.i18n import t, tn
from casework.screens.base import CaseworkScreen
from casework.services import desk, panel, settings
from casework.services.panel import ExportResult, Prepared
from casework.widgets import commune_name, country_name


def _catalogued(prefix: str, code: str | None, k: int = 0) -> str | None:
    key = f"{prefix}.{code}"
    text = t(key, k=k)
    return None if code is None or text == key else text


def dim_label(code: str, k: int = 0) -> str:
    """A category of the panel's tables ("no_informa", "18-29", "VEN", "13101") as the desk
    reads it: countries and communes by their names (the published files keep the codes)."""
    found = _catalogued("spanish.panel", code, k=k)
    if found:
        return found
    if len(code) == 3 and code.isalpha() and code.isupper() and refdata.country(code):
        return country_name(code)
    if code.isdigit() and refdata.commune(code):
        return commune_name(code)
    return code


LABEL_WIDTH = 44
"""Category column of the preview: with the count, it fits an 80-column terminal."""
REASON_WIDTH = 66


def preview_text(release: Release) -> Text:
    """Every table, its cells and flags, and why each hidden cell is hidden."""
    text = Text()
    # Why each hidden cell is hidden, in the UI language (the release says it in Spanish,
    # the language of the published files).
    reasons = {
        (table_id, dims): _catalogued(
            "spanish.panel_reason", release.reasons.get((table_id, dims)), k=release.k
        )
        or why
        for table_id, dims, why in release.explain()
    }
    for table in release.tables:
        title = _catalogued("spanish.panel_table", table.table_id) or table.table_id
        text.append(f"{title}\n", style="bold")
        for cell in table.cells:
            label = " · ".join(dim_label(d, release.k) for d in cell.dims)
            if len(label) > LABEL_WIDTH:
                label = label[: LABEL_WIDTH - 1] + "…"
            if cell.count is None:
                text.append(f"  {label:<{LABEL_WIDTH}} ", style="dim")
                text.append(f"{t('ui.panel.hidden'):>8}", style="yellow")
                why = reasons.get((table.table_id, cell.dims))
                if why:
                    # On lines of their own, indented, so they never push the columns.
                    for line in textwrap.wrap(why, REASON_WIDTH):
                        text.append(f"\n      {line}", style="italic dim")
            else:
                text.append(f"  {label:<{LABEL_WIDTH}} {cell.count:>8}")
            text.append("\n")
    return text


def status_text(prepared: Prepared) -> Text:
    """The preview's status line: what stops the export (in red, in words), else what the
    export will do; releases from the given folder, a revision's held-back units, files
    skipped."""
    release = prepared.release
    refusal = prepared.refusal()
    if refusal is not None:
        text = Text(refusal.message(), style="red")
    else:
        key = (
            "ui.panel.unchanged"
            if prepared.unchanged
            else "ui.panel.revision"
            if release.is_revision
            else "ui.panel.ready"
        )
        text = Text(t(key, period=release.period.label))
    if prepared.from_files and refusal is None:
        periods = ", ".join(r.period.label for r in prepared.from_files)
        text.append("\n" + tn("panelout.ui.from_files", len(prepared.from_files), periods=periods))
    if release.held_back:
        units = ", ".join(t(f"panelout.unit.{u}") for u in release.held_back)
        text.append("\n" + t("panelout.ui.held_back", units=units), style="yellow")
    for note in prepared.notes:
        text.append(
            "\n" + t("panelout.ui.note", file=note.name, why=t(f"panelout.note.{note.reason}")),
            style="dim",
        )
    return text


class PanelScreen(CaseworkScreen):
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("ctrl+r", "preview", "key.preview", id="preview"),
        Binding("ctrl+s", "export", "key.export", id="export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.prepared: Prepared | None = None
        self.failure: BaseException | None = None
        """Why the last preview was refused (None when it was shown)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("ui.panel.title"), classes="title")
        yield Static(t("ui.panel.explain"), classes="help-text")
        yield Static("", id="panel-place", classes="help-text")
        with Horizontal(id="panel-form"):
            yield Label(t("ui.panel.period"))
            yield Input(desk.last_quarter(), id="period", compact=True)
            yield Label(t("ui.panel.folder"))
            yield Input(str(Path.home() / "casework-panel"), id="folder", compact=True)
        with Horizontal(id="panel-prior-form"):
            yield Label(t("panelout.ui.prior"))
            yield Input("", id="prior", compact=True)
        yield Static("", id="panel-status", classes="help-text")
        yield VerticalScroll(Static(id="preview"), id="preview-box")
        yield Footer()

    def on_mount(self) -> None:
        self.call_service(
            settings.municipality, self.ctx, on_done=self._show_place, group="panel-place"
        )
        self.action_preview()

    def _show_place(self, code: str | None) -> None:
        place = self.query_one("#panel-place", Static)
        if code is None:
            place.update(Text(t("panelout.ui.no_municipality"), style="yellow"))
        else:
            place.update(
                t("panelout.ui.municipality", municipality=settings.municipality_label(code))
            )

    @on(Input.Submitted, "#period")
    @on(Input.Submitted, "#prior")
    def _period(self) -> None:
        self.action_preview()

    def _prior_dir(self) -> Path | None:
        text = self.query_one("#prior", Input).value.strip()
        return Path(text).expanduser().absolute() if text else None

    def _out_dir(self, period: str) -> Path:
        """The period's subfolder of the folder typed, as an absolute path: a relative one
        ("salida") is named in full in every message."""
        folder = Path(self.query_one("#folder", Input).value.strip()).expanduser()
        return folder.absolute() / period

    def _show_error(self, exc: BaseException, then: str = "") -> None:
        from casework.widgets import error_text

        text = f"{error_text(exc)} {then}".strip()
        self.query_one("#panel-status", Static).update(Text(text, style="red"))

    def action_preview(self) -> None:
        period = self.query_one("#period", Input).value.strip()
        self.query_one("#panel-status", Static).update(t("ui.panel.working"))

        def shown(prepared: Prepared) -> None:
            self.prepared, self.failure = prepared, None
            self.query_one("#panel-status", Static).update(status_text(prepared))
            self.query_one("#preview", Static).update(preview_text(prepared.release))

        def failed(exc: BaseException) -> None:
            self.prepared, self.failure = None, exc
            self._show_error(exc)
            self.query_one("#preview", Static).update("")

        self.call_service(
            panel.prepare,
            self.ctx,
            period,
            prior_dir=self._prior_dir(),
            out_dir=self._out_dir(period),
            on_done=shown,
            on_error=failed,
            group="panel",
            exclusive=True,
        )

    def action_export(self) -> None:
        if self.prepared is None:
            if self.failure is not None:
                # The preview was refused: say so again, and that nothing was written.
                self._show_error(self.failure, t("panelout.nothing_written"))
            else:
                self.notify(t("ui.panel.preview_first"), severity="warning")
            return
        period = self.prepared.release.period.label
        folder = self._out_dir(period)

        def done(result: ExportResult) -> None:
            files = len(result.files)
            text = Text(tn("ui.panel.exported", files, files=files, out=str(folder)))
            if result.added:
                added = tn(
                    "panelout.cli.prior_added", len(result.added), periods=", ".join(result.added)
                )
                text.append("\n" + added)
            self.query_one("#panel-status", Static).update(text)

        self.call_service(
            panel.export,
            self.ctx,
            period,
            folder,
            prior_dir=self._prior_dir(),
            on_done=done,
            on_error=self._show_error,
            group="panel",
        )

    def action_back(self) -> None:
        self.app.pop_screen()
