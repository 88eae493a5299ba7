"""Merge with care: the confirmation before a merge (both records side by side, the value
each field keeps, what moves), and the supervisor's list of recent merges to undo one."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from casework.i18n import t
from casework.screens.base import CaseworkModal, CaseworkScreen
from casework.services import merge, permissions
from casework.services.merge import MergeListed, MergePreview, UndoResult
from casework.widgets import ConfirmModal, RecordTable, commune_name, country_name, fmt_date


def field_text(name: str, value: Any) -> str:
    """A merge field's value as the supervisor reads it."""
    if value is None or value == "":
        return "—"
    if name in ("birth_date", "arrival_date"):
        return fmt_date(value)
    if name in ("nationality", "birth_country"):
        return country_name(value)
    if name == "commune_code":
        return commune_name(value)
    if name == "sex":
        return t(f"sex.{value}")
    if name == "birth_date_precision":
        return t(f"edit.precision_{value}")
    if isinstance(value, bool):
        return t("ui.yes") if value else t("ui.no")
    return str(value)


def _fields_table(view: MergePreview) -> Table:
    """The fields where the two records differ; the value kept is marked ✓ and bold."""
    table = Table(box=None, expand=True, pad_edge=False, show_edge=False)
    table.add_column(t("merge.confirm.col_field"), style="dim", ratio=2)
    table.add_column(t("merge.confirm.col_stays"), ratio=3, overflow="fold")
    table.add_column(t("merge.confirm.col_goes"), ratio=3, overflow="fold")
    for f in view.fields:
        if f.kept == "same":
            continue
        mine, theirs = field_text(f.name, f.survivor), field_text(f.name, f.merged)
        taken = f.kept == "merged"
        table.add_row(
            t(f"ui.merge_field.{f.name}"),
            Text(mine, style="dim strike") if taken else Text("✓ " + mine, style="bold"),
            Text("✓ " + theirs, style="bold green") if taken else Text(theirs, style="dim"),
        )
    return table


def moves_text(view: MergePreview) -> str:
    """What moves, as one line that wraps: only the kinds there are."""
    parts = [t(f"merge.count.{k}", count=n) for k, n in view.moves.items() if n]
    if not parts:
        return t("merge.confirm.moves_none")
    return t("merge.confirm.moves_title") + " " + " · ".join(parts) + "."


class MergeConfirmModal(CaseworkModal[bool]):
    """Asks before a merge. Enter or Ctrl+S merges (True); Esc goes back (False)."""

    BINDINGS = [
        Binding("enter", "confirm", "key.merge_confirm", id="merge-confirm"),
        Binding("escape", "cancel", "key.back", id="back"),
    ]

    def __init__(self, view: MergePreview) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        view = self.view
        same = sum(1 for f in view.fields if f.kept == "same")
        with VerticalScroll(classes="modal-box", id="merge-confirm"):
            yield Static(t("merge.confirm.title"), classes="title")
            yield Static(t("merge.confirm.stays", name=view.survivor_name), id="stays")
            yield Static(t("merge.confirm.goes", name=view.merged_name), id="goes")
            yield Static(_fields_table(view), id="merge-fields")
            yield Static(t("merge.confirm.same_fields", count=same), classes="help-text")
            yield Static(moves_text(view), id="moves")
            if view.documents_kept_apart:
                yield Static(
                    t("merge.confirm.docs_kept_apart", count=view.documents_kept_apart),
                    classes="help-text",
                )
            yield Static(t("merge.confirm.help"), id="merge-help", classes="help-text")

    def on_mount(self) -> None:
        self.query_one("#merge-confirm", VerticalScroll).focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class RecentMergesScreen(CaseworkScreen):
    """The latest merges; a supervisor undoes the highlighted one with u."""

    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("u", "undo", "key.merge_undo", id="merge-undo"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.merges: list[MergeListed] = []
        self.said: Text | None = None
        """The last outcome, kept on the status line when the list reloads."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("merge.recent.title"), classes="title")
        yield Static(t("merge.recent.help"), id="status", classes="help-text")
        yield RecordTable(id="merges")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RecordTable).add_columns(
            t("merge.recent.col_at"),
            t("merge.recent.col_stays"),
            t("merge.recent.col_merged"),
            t("merge.recent.col_by"),
        )
        self.reload()

    def reload(self) -> None:
        def failed(error: BaseException) -> None:
            self.query_one("#status", Static).update(Text(str(error), style="bold red"))

        self.call_service(
            merge.recent, self.ctx, on_done=self._show, on_error=failed, group="merges"
        )

    def _show(self, merges: list[MergeListed]) -> None:
        self.merges = merges
        table = self.query_one(RecordTable)
        table.refill(
            (
                str(m.id),
                (
                    fmt_date(m.at.date()),
                    m.survivor_name,
                    m.merged_name
                    if m.undoable
                    else f"{m.merged_name} ({t('merge.recent.not_undoable')})",
                    m.worker_name,
                ),
            )
            for m in merges
        )
        status = t("merge.recent.count", count=len(merges)) if merges else t("merge.recent.empty")
        self.query_one("#status", Static).update(self.said or status)
        table.focus()

    def _say(self, text: str, *, error: bool = False) -> None:
        """A message where the supervisor is looking (the status line), and as a toast."""
        self.said = Text(text, style="bold red") if error else Text(text, style="bold")
        self.query_one("#status", Static).update(self.said)
        self.notify(text, severity="error" if error else "information", timeout=8)

    def action_undo(self) -> None:
        if not permissions.may_undo_merge(self.casework.worker):
            self._say(t("merge.recent.only_supervisors"), error=True)
            return
        table = self.query_one(RecordTable)
        if not self.merges or table.row_count == 0:
            return
        chosen = self.merges[table.cursor_row]

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(
                    merge.undo,
                    self.ctx,
                    chosen.id,
                    on_done=lambda result: self._undone(chosen, result),
                    on_error=lambda error: self._say(str(error), error=True),
                )

        self.app.push_screen(
            ConfirmModal(
                t("merge.recent.undo_title"),
                t(
                    "merge.recent.undo_question",
                    merged=chosen.merged_name,
                    survivor=chosen.survivor_name,
                ),
            ),
            answered,
        )

    def _undone(self, chosen: MergeListed, result: UndoResult) -> None:
        text = t(
            "merge.recent.undone",
            merged=chosen.merged_name,
            survivor=chosen.survivor_name,
            moved=sum(result.restored.values()),
        )
        if result.kept_newer:
            fields = ", ".join(t(f"ui.merge_field.{f}") for f in result.kept_newer)
            text += " " + t("merge.recent.kept_newer", survivor=chosen.survivor_name, fields=fields)
        self.reload()
        self._say(text)

    def action_back(self) -> None:
        self.app.pop_screen()


__all__ = ["MergeConfirmModal", "RecentMergesScreen", "field_text", "moves_text"]
