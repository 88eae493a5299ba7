"""Supervisor's audit browser: who saw or changed which record, filtered by person, worker,
action and date. The trail holds ids and field names, never personal values: the screen
shows actions and record types in the UI language, the details as short text, and the
names of the persons concerned, looked up when the page is shown."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Input, Label, Static

from casework import refdata
from casework.i18n import catalogue, t
from casework.screens.base import CaseworkScreen
from casework.services import desk
from casework.services.audit_log import AuditRow
from casework.services.context import Context
from casework.services.desk import PERSON_DETAILS, STAFF_DETAILS, TrailPage
from casework.widgets import (
    PAGING_BINDINGS,
    PagedTable,
    RowsPage,
    code_label,
    destination_name,
    error_text,
    fmt_count,
    fmt_date,
    fmt_datetime,
    parse_date,
    route_name,
)
from casework.widgets.rights_text import ROW_ORDER, ground_name, records_text, right_name

PAGE = 200
"""Rows of the trail read at once; the table reads on as the cursor goes (widgets/table.py)."""


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""
    worker: str = ""
    action: str = ""
    since: str = ""


def _message(prefix: str, key: str) -> str | None:
    text = t(f"{prefix}.{key}")
    return None if text == f"{prefix}.{key}" else text


def action_label(action: str) -> str:
    """The action in the UI language; an action without a label keeps its own word."""
    return (
        _message("protection.audit.act", action) or _message("spanish.audit.act", action) or action
    )


def entity_label(entity: str) -> str:
    return _message("protection.audit.entity", entity) or entity


def action_key(typed: str) -> str | None:
    """The action filter as typed: the internal word, or its label in either language."""
    text = typed.strip()
    if not text:
        return None
    folded = text.casefold()
    prefix = "protection.audit.act."
    for lang in ("es", "en"):
        for key, label in catalogue(lang).items():
            if key.startswith(prefix) and label.casefold() == folded:
                return key.removeprefix(prefix)
    return text


HIDDEN_DETAILS = ("case_id", "review_id", "transfer")
"""Internal ids with nothing for a reader to recognise."""


def _field_label(name: str) -> str:
    return _message("protection.readable.field", name) or name


def _value(
    key: str,
    value: Any,
    names: Mapping[uuid.UUID, str],
    staff: Mapping[uuid.UUID, str] | None = None,
) -> str:
    if isinstance(value, bool):
        return t("ui.yes") if value else t("ui.no")
    if isinstance(value, list):
        if key in ("added", "removed"):
            flags = refdata.code_list("case_flags")
            return ", ".join(code_label(flags, str(v)) for v in value)
        return ", ".join(_field_label(str(v)) if key == "fields" else str(v) for v in value)
    text = str(value)
    if key in ("via", "what"):
        return _message(f"protection.audit.{key}", text) or text
    if key in ("from_role", "to_role"):
        return _message("role", text) or text
    if key in ("kind", "request"):
        return right_name(text)
    if key == "ground":
        return ground_name(text)
    if key == "reason":
        return _message("protection.audit.reason", text) or text
    if key in ("from_status", "to_status"):
        return code_label(refdata.REFERRAL_STATUSES, text)
    if key == "destination":
        return destination_name(text)
    if key == "purpose":
        return _message("consent", text) or text
    if key == "route":
        return route_name(text)
    if key == "state":
        return _message("state", text) or text
    if key == "months":
        return t("protection.audit.months", months=text)
    if key == "keep_until":
        try:
            return fmt_date(dt.date.fromisoformat(text))
        except ValueError:
            return text
    if key in STAFF_DETAILS:
        try:
            named = uuid.UUID(text)
        except ValueError:
            return text  # a programme's code (a change of programme)
        return (staff or {}).get(named) or t("fix1.audit.unknown_staff")
    if key in PERSON_DETAILS:
        try:
            person = uuid.UUID(text)
        except ValueError:
            return text
        return person_name(names, person)
    return text


def person_name(names: Mapping[uuid.UUID, str], person: uuid.UUID) -> str:
    """A person of the trail by name; one still on record but outside the reader's scope
    (``""``) is "not shown", never taken for erased; one no longer on record is erased."""
    name = names.get(person)
    if name is None:
        return t("protection.rights.erased_person")
    return name or t("protection.audit.hidden_person")


def details_text(
    row: AuditRow, names: Mapping[uuid.UUID, str], staff: Mapping[uuid.UUID, str] | None = None
) -> str:
    """The details of an event as short text: "fuera de su carga · motivo: colega pidió
    ayuda", "campos: Teléfono, Comuna", "2 casos, 3 atenciones, 1 ficha"."""
    parts: list[str] = []
    counts: dict[str, int] = {}
    for key, value in sorted(row.details.items()):
        if key in HIDDEN_DETAILS or value in (None, "", [], {}):
            continue
        if key == "rows" and isinstance(value, dict):
            counts.update({k: v for k, v in value.items() if isinstance(v, int)})
        elif key in ROW_ORDER and isinstance(value, int) and not isinstance(value, bool):
            counts[key] = value
        elif key == "access":
            parts.append(_message("protection.audit.access", str(value)) or str(value))
        else:
            label = (
                _message("protection.audit.detail", key)
                or _message("spanish.audit.detail", key)
                or key
            )
            parts.append(f"{label}: {_value(key, value, names, staff)}")
    if counts:
        parts.insert(0, records_text(counts))
    return " · ".join(parts)


def load_events(ctx: Context, chosen: AuditFilter, offset: int = 0, limit: int = PAGE) -> TrailPage:
    """Read the filter as typed; a wrong person, user or date is a message, not a crash.
    One page of ``limit`` rows from ``offset`` (-1: the last page)."""
    since: dt.date | str | None
    try:
        since = parse_date(chosen.since)
    except ValueError:
        since = chosen.since  # refused by the service, after the person and the worker
    return desk.trail_page(
        ctx,
        person=chosen.person,
        worker=chosen.worker,
        action=action_key(chosen.action),
        since=since,
        offset=offset,
        limit=limit,
    )


def trail_rows(data: TrailPage) -> RowsPage:
    """A page of the trail as rows of the table, each with its event."""
    return RowsPage(
        [
            (
                str(row.id),
                (
                    fmt_datetime(row.at),
                    row.worker or "—",
                    action_label(row.action),
                    entity_label(row.entity),
                    "—" if row.person_id is None else person_name(data.names, row.person_id),
                    details_text(row, data.names, data.staff),
                ),
            )
            for row in data.rows
        ],
        data.rows.total,
        data.rows.offset,
        list(data.rows),
    )


def read_trail(ctx: Context, chosen: AuditFilter, offset: int, limit: int) -> RowsPage:
    """The next page of the trail as filtered (in the table's worker)."""
    return trail_rows(load_events(ctx, chosen, offset, limit))


class AuditScreen(CaseworkScreen):
    DEFAULT_CSS = """
    #audit-filter { height: auto; }
    #audit-filter Label { padding: 0 1; }
    #audit-filter Input { width: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("ctrl+r", "reload", "key.filter", id="filter"),
        *PAGING_BINDINGS,
    ]

    def __init__(self, person_id: uuid.UUID | None = None) -> None:
        super().__init__()
        self.person_id = person_id
        self.person_named: str | None = None
        """The name shown in the person filter for ``person_id`` (never its id)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("protection.audit.title"), classes="title")
        with Horizontal(id="audit-filter"):
            yield Label(t("protection.audit.person"))
            yield Input(
                "",
                id="person",
                placeholder=t("protection.audit.person_hint"),
                compact=True,
            )
            yield Label(t("protection.audit.worker"))
            yield Input(id="worker", compact=True)
            yield Label(t("protection.audit.action"))
            yield Input(id="action", compact=True)
            yield Label(t("protection.audit.since"))
            yield Input(id="since", placeholder=t("ui.date_hint"), compact=True)
        yield Static("", id="status", classes="help-text")
        yield PagedTable(id="events", page_size=PAGE)
        yield Footer()

    @property
    def rows(self) -> list[AuditRow]:
        """The events of the rows held by the table, in order."""
        table = self.query_one(PagedTable)
        return [table.record(key) for key, _ in table.held]

    def on_mount(self) -> None:
        self.query_one(PagedTable).add_columns(
            t("ui.col.when"),
            t("ui.col.worker"),
            t("protection.audit.col_action"),
            t("protection.audit.col_entity"),
            t("ui.col.person"),
            t("protection.audit.col_details"),
        )
        self.action_reload()

    def current_filter(self) -> AuditFilter:
        chosen = AuditFilter(
            *(self.query_one(f"#{name}", Input).value for name in AuditFilter.__annotations__)
        )
        # The person opened from a file: its id stays behind the name the field shows.
        if self.person_id is not None and chosen.person == (self.person_named or ""):
            chosen = dataclasses.replace(chosen, person=str(self.person_id))
        return chosen

    def action_reload(self) -> None:
        chosen = self.current_filter()
        self.query_one(PagedTable).fetch = lambda o, n: read_trail(self.ctx, chosen, o, n)
        self.call_service(
            load_events,
            self.ctx,
            chosen,
            on_done=self._show,
            on_error=self._failed,
            group="audit",
            exclusive=True,
        )

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_reload()

    def _failed(self, exc: BaseException) -> None:
        self.query_one("#status", Static).update(error_text(exc))

    def _show(self, data: TrailPage) -> None:
        if self.person_id is not None and self.person_named is None:
            field = self.query_one("#person", Input)
            name = data.names.get(self.person_id) or ""
            if not field.value and name:
                field.value = self.person_named = name
        self.query_one(PagedTable).show_page(trail_rows(data))

    @on(PagedTable.Paged)
    def _count_line(self, event: PagedTable.Paged) -> None:
        """The true count of the trail as filtered, and which rows are held."""
        table = event.table
        text = t("protection.audit.count", count=fmt_count(table.total))
        if table.total > table.row_count:
            text += " · " + table.position_text()
        self.query_one("#status", Static).update(text)

    def action_back(self) -> None:
        self.app.pop_screen()
