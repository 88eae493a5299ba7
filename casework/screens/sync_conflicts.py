"""Supervisor's queue of sync conflicts (F2): the offline desks' commands the office server
refused, each with what the desk started from, what the server has now and what the desk
typed; apply mine, keep theirs, or edit and apply (services/sync_conflicts.py)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Input, Static

from casework.i18n import t, tn
from casework.screens.base import CaseworkScreen
from casework.screens.forms import FormModal
from casework.services import sync_conflicts
from casework.services.sync_conflicts import ConflictField, ConflictOut, ResolveIn, ResolveResult
from casework.widgets import (
    PAGING_BINDINGS,
    ConfirmModal,
    FieldError,
    PagedTable,
    RowsPage,
    error_text,
    fmt_date,
    fmt_datetime,
    labelled,
    parse_date,
)

COLUMNS = ("when", "desk", "worker", "what", "person", "why")
"""The queue's columns, in order (their labels: ``syncui.col.<name>``)."""


def conflict_columns(width: int) -> list[tuple[str, int]]:
    """Column widths for a screen ``width`` cells wide: every column at 80 (the detail pane
    below says each one whole), the text columns taking the room when wider."""
    room = max(78, width - 2)  # the scroll bar
    if width < 100:
        fixed = {"when": 11, "desk": 8, "worker": 11, "what": 12, "person": 13}
    else:
        fixed = {"when": 11, "desk": 12, "worker": 18, "what": 18, "person": 22}
    why = max(8, room - sum(fixed.values()) - 2 * len(COLUMNS))
    widths = fixed | {"why": why}
    return [(t(f"syncui.col.{name}"), widths[name]) for name in COLUMNS]


def short_when(value: dt.datetime) -> str:
    """ "23-11 10:00" (Spanish), "11-23 10:00" (English): the day and time on the desk."""
    local = value.astimezone()
    day = fmt_date(local.date())
    return f"{day[:5] if day[2] == '-' else day[5:]} {local:%H:%M}"


def _person(c: ConflictOut) -> str:
    return c.person_name or "—"


_EDIT_CONFLICT_CODES = ("record_changed", "edit_conflict")
"""The generic edit conflict: its message is said to the worker who was editing ("mientras
usted lo editaba"), not to a supervisor reading the queue."""


def reason_for_supervisor(c: ConflictOut) -> str:
    """Why the server refused ``c``, as a supervisor reads it: the generic edit conflict as
    what happened at the office meanwhile (its per-field lines are the detail's grid);
    anything specific -- a blocked person, a state that moved on -- as the service says."""
    if c.kind == "conflict" and c.code in _EDIT_CONFLICT_CODES:
        return t("syncui.reason_edit_conflict")
    return c.reason


def conflict_row(c: ConflictOut) -> tuple[str, tuple[str | Text, ...]]:
    """One row of the queue: a waiting command says so, under what it waits behind."""
    if c.kind == "waiting":
        what: str | Text = Text("↳ " + c.what, style="dim")
        why: str | Text = Text(t("syncui.waiting_short"), style="dim italic")
    else:
        what, why = c.what, reason_for_supervisor(c)
    return (
        str(c.id),
        (short_when(c.occurred_at), c.desk_name, c.worker_name, what, _person(c), why),
    )


def detail_of(c: ConflictOut, blocker: ConflictOut | None) -> RenderableType:
    """The selected command: who did what where and when, why the server refused it, and
    per field the value the desk started from, the one the server has and the one typed."""
    head = Text()
    head.append(c.what, style="bold")
    head.append(f" · {_person(c)}\n")
    head.append(
        t(
            "syncui.detail_who",
            desk=c.desk_name,
            worker=c.worker_name,
            when=fmt_datetime(c.occurred_at),
        ),
        style="dim",
    )
    parts: list[RenderableType] = [head]
    if c.kind == "waiting" and blocker is not None:
        behind = t(
            "syncui.detail_behind", what=blocker.what, when=fmt_datetime(blocker.occurred_at)
        )
        parts.append(Text(behind + " " + t("syncui.detail_waiting_hint"), style="italic"))
    else:
        head.append("\n" + t("syncui.detail_why") + " ", style="bold")
        head.append(reason_for_supervisor(c))
        if c.kind == "waiting":
            head.append(" " + t("syncui.detail_waiting_hint"), style="italic")
    if c.fields:
        grid = Table(box=None, expand=True, pad_edge=False, header_style="bold")
        grid.add_column(t("syncui.col.field"), ratio=2)
        grid.add_column(t("syncui.col.base"), ratio=3)
        grid.add_column(t("syncui.col.current"), ratio=3)
        grid.add_column(t("syncui.col.typed"), ratio=3)
        for f in c.fields:
            moved = f.current_text != f.base_text
            grid.add_row(
                f.label,
                Text(f.base_text, style="dim"),
                Text(f.current_text, style="yellow" if moved else ""),
                Text(f.typed_text, style="bold"),
            )
        parts.append(grid)
    elif c.kind == "conflict":
        parts.append(Text(t("syncui.detail_no_fields"), style="dim"))
    return Group(*parts)


class SyncConflictsScreen(CaseworkScreen):
    """The open conflicts (and the commands waiting behind them), oldest first; the
    selected one in detail below; each action's result on the line above the keys."""

    BINDINGS = [
        Binding("escape", "back", "key.back", id="back", show=False),
        Binding("m", "apply_mine", "key.sync_apply_mine", id="sync-apply-mine"),
        Binding("s", "keep_theirs", "key.sync_keep_theirs", id="sync-keep-theirs"),
        Binding("e", "edit_apply", "key.sync_edit_apply", id="sync-edit-apply"),
        Binding("ctrl+r", "refresh", "key.refresh", id="sync-refresh", show=False),
        *PAGING_BINDINGS,
    ]

    PAGE = 100
    """Conflicts read at once; the table reads on as the cursor goes (widgets/table.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.resolving = False
        """A resolution is being confirmed or saved: the action keys wait for it."""
        self._fresh: dict[str, ConflictOut] = {}
        """Conflicts read again after a refusal (their new version), until the next reload."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("syncui.title"), classes="title")
        yield Static(t("syncui.loading"), id="status", classes="help-text")
        yield PagedTable(id="conflicts", fetch=self._read, page_size=self.PAGE)
        with VerticalScroll(id="conflict-detail"):
            yield Static("", id="detail")
        yield Static("", id="result", classes="help-text")
        yield Footer()

    # Reading -------------------------------------------------------------------------------

    def _read(self, offset: int, limit: int) -> RowsPage:
        """A page of the queue as rows (in a worker); offset -1: the last page."""
        if offset < 0:
            total = sync_conflicts.open_conflicts(self.ctx, offset=0, limit=1).total
            offset = max(0, total - limit)
        page = sync_conflicts.open_conflicts(self.ctx, offset=offset, limit=limit)
        return RowsPage([conflict_row(c) for c in page], page.total, page.offset, list(page))

    def on_mount(self) -> None:
        self._fit_columns(self.size.width or self.app.size.width)
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_columns(event.size.width)

    def _fit_columns(self, width: int) -> None:
        self.query_one(PagedTable).set_columns(conflict_columns(width))

    def on_return(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.call_service(
            self._read, 0, self.PAGE, on_done=self._show, group="sync-queue", exclusive=True
        )

    def _show(self, page: RowsPage) -> None:
        self._fresh.clear()
        table = self.query_one(PagedTable)
        table.show_page(page)
        table.focus()
        self._show_detail()

    @on(PagedTable.Paged)
    def _count_line(self, event: PagedTable.Paged) -> None:
        """The true number of commands waiting for a supervisor, or the empty state."""
        table = event.table
        if not table.total:
            self.query_one("#status", Static).update(t("syncui.empty"))
            self._show_detail()
            return
        text = tn("syncui.count", table.total)
        if table.total > table.row_count:
            text += " · " + table.position_text()
        self.query_one("#status", Static).update(text)

    @on(DataTable.RowHighlighted, "#conflicts")
    def _highlighted(self) -> None:
        self._show_detail()

    @property
    def conflicts(self) -> list[ConflictOut]:
        """The conflicts held by the table, in order."""
        table = self.query_one(PagedTable)
        return [self._record(key) for key, _ in table.held]

    def _record(self, key: str | None) -> Any:
        if key is None:
            return None
        return self._fresh.get(key) or self.query_one(PagedTable).record(key)

    def selected(self) -> ConflictOut | None:
        """The conflict under the cursor; None when the queue is empty."""
        found = self._record(self.query_one(PagedTable).cursor_key)
        return found if isinstance(found, ConflictOut) else None

    def _show_detail(self) -> None:
        c = self.selected()
        detail = self.query_one("#detail", Static)
        if c is None:
            detail.update("")
            return
        blocker = self._record(str(c.blocked_by)) if c.blocked_by else None
        detail.update(detail_of(c, blocker if isinstance(blocker, ConflictOut) else None))

    def say(self, message: str, *, refused: bool = False) -> None:
        """The result of the last action, on the line above the keys (in view at 80x24)."""
        line = self.query_one("#result", Static)
        line.update(message)
        line.set_class(refused, "-refused")

    # Actions --------------------------------------------------------------------------------

    def _actionable(self) -> ConflictOut | None:
        """The selected conflict, when an action can be taken on it now: a waiting command
        is resolved with what it waits behind (the cursor goes there)."""
        if self.resolving:
            return None
        c = self.selected()
        if c is None:
            self.say(t("syncui.none_selected"))
            return None
        if c.kind == "waiting":
            self.say(t("syncui.waiting_resolve_first"))
            if c.blocked_by is not None:
                self.query_one(PagedTable).move_to(str(c.blocked_by))
            return None
        return c

    def action_apply_mine(self) -> None:
        c = self._actionable()
        if c is not None:
            self._resolve(c, ResolveIn(action="mine", version=c.version))

    def action_keep_theirs(self) -> None:
        """Ask first: what the desk typed is dropped."""
        c = self._actionable()
        if c is None:
            return
        self.resolving = True

        def answered(yes: bool | None) -> None:
            self.resolving = False
            if yes:
                self._resolve(c, ResolveIn(action="theirs", version=c.version))
            else:
                self.say(t("syncui.kept_open"))

        question = t("syncui.theirs_question", what=c.what, person=_person(c), desk=c.desk_name)
        self.app.push_screen(ConfirmModal(t("syncui.theirs_title"), question), answered)

    def action_edit_apply(self) -> None:
        """A form with one field per conflicting value, prefilled with what was typed."""
        c = self._actionable()
        if c is None:
            return
        if not c.fields:
            self.say(t("syncui.nothing_to_edit"), refused=True)
            return
        self.resolving = True
        form = SyncEditModal(c)

        def closed(saved: bool | None) -> None:
            self.resolving = False
            if saved and isinstance(form.saved, ResolveResult):
                self._resolved(c, "edited", form.saved)
            else:
                self.say(t("syncui.kept_open"))

        self.app.push_screen(form, closed)

    def action_refresh(self) -> None:
        self.say("")
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def _resolve(self, c: ConflictOut, data: ResolveIn) -> None:
        self.resolving = True
        self.say(t("syncui.resolving", what=c.what))
        self.call_service(
            sync_conflicts.resolve,
            self.ctx,
            c.id,
            data,
            request_id=uuid.uuid4(),
            on_done=lambda result: self._resolved(c, data.action, result),
            on_error=lambda error: self._refused(c, error),
        )

    def _resolved(self, c: ConflictOut, action: str, result: ResolveResult) -> None:
        """Say what happened (and what it released); the list is read again: the row goes."""
        self.resolving = False
        done = t(f"syncui.done_{action}", what=c.what, person=_person(c))
        if result.released:
            done += " " + tn("syncui.released", result.released)
        if result.still_waiting:
            done += " " + tn("syncui.still_waiting", result.still_waiting)
        self.say(done)
        self.reload()

    def _refused(self, c: ConflictOut, error: BaseException) -> None:
        """The service's message in view; the cursor stays on the conflict, which is read
        again (another supervisor may have resolved it, or changed what it holds)."""
        self.resolving = False
        self.say(error_text(error), refused=True)

        def fresh(again: ConflictOut) -> None:
            self._fresh[str(again.id)] = again
            self._show_detail()

        self.call_service(
            sync_conflicts.get, self.ctx, c.id, on_done=fresh, on_error=lambda _: None
        )


# Edit and apply ----------------------------------------------------------------------------


def _widget_id(field: str) -> str:
    """A field's name as a widget id (the service's field names are ids already)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", field)


def editable(f: ConflictField) -> str:
    """What the form starts with for field ``f``: the value the desk typed, as typed."""
    value = f.typed
    if value is None:
        return ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return fmt_date(value)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    return f.typed_text


_BAD = object()


def value_of(f: ConflictField, text: str) -> Any:
    """The value to send for field ``f`` from what is in its box (``_BAD``: a date that
    cannot be read). The service judges the rest and names the field it refuses."""
    text = text.strip()
    if not text:
        return None
    if any(isinstance(v, dt.date) for v in (f.typed, f.current, f.base)):
        try:
            return parse_date(text)
        except ValueError:
            return _BAD
    if isinstance(f.typed, int) and not isinstance(f.typed, bool) and text.lstrip("-").isdigit():
        return int(text)
    return text


class SyncEditModal(FormModal):
    """Edit and apply: one box per conflicting field, prefilled with what the desk typed
    (the server's value beside its name); Ctrl+S applies the values over what the server
    has now. A refusal shows beside its field and nothing typed is lost (Escape keeps it
    for the next time this conflict's form opens)."""

    TITLE_KEY = "syncui.edit_title"

    def __init__(self, conflict: ConflictOut) -> None:
        super().__init__()
        self.conflict = conflict

    def draft_key(self) -> tuple[str, str]:
        return type(self).__name__, str(self.conflict.id)

    def fields(self) -> ComposeResult:
        c = self.conflict
        yield Static(f"{c.what} · {_person(c)} · {c.desk_name}", classes="help-text")
        for f in c.fields:
            name = _widget_id(f.field)
            start = editable(f)
            label = t("syncui.edit_label", label=f.label, current=f.current_text)
            if f.typed_text != start:  # a code: the name of what was typed, beside it
                label = t("syncui.edit_label_typed", label=label, typed=f.typed_text)
            yield from labelled(
                label,
                Input(start, id=name),
                error=name,
            )

    def action_save(self) -> None:
        values: dict[str, Any] = {}
        for f in self.conflict.fields:
            name = _widget_id(f.field)
            value = value_of(f, self.query_one(f"#{name}", Input).value)
            if value is _BAD:
                self.query_one(f"#error-{name}", FieldError).show(t("error.bad_date"))
                self.query_one("#form-error", Static).update(t("ui.form.fix_fields"))
                self.focus_first_error()
                return
            values[f.field] = value
        data = ResolveIn(action="edited", values=values, version=self.conflict.version)
        self.submit(
            sync_conflicts.resolve, self.ctx, self.conflict.id, data, request_id=self.request_id
        )


__all__ = ["SyncConflictsScreen", "SyncEditModal", "conflict_columns", "detail_of"]
