"""Supervisor's audit browser: who saw or changed which record, filtered by person, worker,
action and date. The trail holds ids and field names, never personal values."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from casework.errors import FieldError, InvalidInput
from casework.i18n import t
from casework.screens.common import CaseworkScreen, error_text, fmt_datetime, parse_date
from casework.services import audit_log, workers
from casework.services.audit_log import AuditRow
from casework.services.context import Context

LIMIT = 500


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""
    worker: str = ""
    action: str = ""
    since: str = ""


def load_events(ctx: Context, chosen: AuditFilter) -> list[AuditRow]:
    """Read the filter as typed; a wrong id, user or date is a message, not a crash."""
    person_id = None
    if chosen.person.strip():
        try:
            person_id = uuid.UUID(chosen.person.strip())
        except ValueError:
            raise InvalidInput([FieldError("person", "bad_format")]) from None
    worker_id = None
    if chosen.worker.strip():
        found = workers.find_worker(ctx, chosen.worker.strip().lower())
        if found is None:
            raise InvalidInput([FieldError("worker", "not_found", {"what": chosen.worker.strip()})])
        worker_id = found.id
    try:
        day = parse_date(chosen.since)
    except ValueError:
        raise InvalidInput([FieldError("since", "bad_date")]) from None
    since = dt.datetime.combine(day, dt.time()).astimezone(dt.UTC) if day is not None else None
    return audit_log.events(
        ctx,
        person_id=person_id,
        worker_id=worker_id,
        action=chosen.action.strip() or None,
        since=since,
        limit=LIMIT,
    )


class AuditScreen(CaseworkScreen):
    DEFAULT_CSS = """
    #audit-filter { height: auto; }
    #audit-filter Label { padding: 0 1; }
    #audit-filter Input { width: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("ctrl+r", "reload", "key.filter", id="filter"),
    ]

    def __init__(self, person_id: uuid.UUID | None = None) -> None:
        super().__init__()
        self.person_id = person_id
        self.rows: list[AuditRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("protection.audit.title"), classes="title")
        with Horizontal(id="audit-filter"):
            yield Label(t("protection.audit.person"))
            yield Input(str(self.person_id or ""), id="person", compact=True)
            yield Label(t("protection.audit.worker"))
            yield Input(id="worker", compact=True)
            yield Label(t("protection.audit.action"))
            yield Input(id="action", compact=True)
            yield Label(t("protection.audit.since"))
            yield Input(id="since", placeholder=t("ui.date_hint"), compact=True)
        yield Static("", id="status", classes="help-text")
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(
            t("ui.col.when"),
            t("ui.col.worker"),
            t("protection.audit.col_action"),
            t("protection.audit.col_entity"),
            t("ui.col.person"),
            t("protection.audit.col_details"),
        )
        self.action_reload()

    def current_filter(self) -> AuditFilter:
        return AuditFilter(
            *(self.query_one(f"#{name}", Input).value for name in AuditFilter.__annotations__)
        )

    def action_reload(self) -> None:
        self.call_service(
            load_events,
            self.ctx,
            self.current_filter(),
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

    def _show(self, rows: list[AuditRow]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        table.clear()
        for i, row in enumerate(rows):
            details = json.dumps(row.details, ensure_ascii=False, sort_keys=True)
            table.add_row(
                fmt_datetime(row.at),
                row.worker or "—",
                row.action,
                row.entity,
                str(row.person_id or "—"),
                details if row.details else "",
                key=str(i),
            )
        self.query_one("#status", Static).update(t("protection.audit.count", count=len(rows)))

    def action_back(self) -> None:
        self.app.pop_screen()
