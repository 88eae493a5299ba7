"""Shared screen helpers: translated bindings, date formats, labels, running service calls."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events
from textual.coordinate import Coordinate
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist
from textual.worker import Worker, WorkerState

from casework import clock, refdata, rut
from casework.db import busy_error
from casework.errors import CaseworkError, InvalidInput
from casework.i18n import current_language, t
from casework.services.context import Context

if TYPE_CHECKING:
    from casework.app import CaseworkApp

R = TypeVar("R")


TEXTUAL_DESCRIPTIONS: dict[str, str] = {
    "Focus Next": "key.focus_next",
    "Focus Previous": "key.focus_previous",
    "Copy selected text": "key.copy_text",
    "Show menu": "key.open_menu",
    "Dismiss menu": "key.close_menu",
    "palette": "key.palette",
}
"""Textual's own bindings (Tab on every screen, a Select's menu...) are described in English:
the catalogue key for each, so F1 help, the footer and the palette speak the UI language."""


def _described(text: str, prefix: str) -> str:
    """A binding's description or tooltip in the UI language: our catalogue keys
    ("key.find"), and Textual's own English descriptions."""
    if text.startswith(prefix):
        return t(text)
    if text in TEXTUAL_DESCRIPTIONS:
        return t(TEXTUAL_DESCRIPTIONS[text])
    return text


def translate_bindings(node: DOMNode) -> None:
    """Show the bindings of ``node`` (ours and Textual's) in the UI language; the keys and
    actions stay as they are. Lists with nothing to translate are left alone: this runs on
    every focus change."""
    bindings = node._bindings
    for key, items in bindings.key_to_bindings.items():
        if not any(
            b.description.startswith("key.")
            or b.description in TEXTUAL_DESCRIPTIONS
            or b.tooltip.startswith("tip.")
            for b in items
        ):
            continue
        bindings.key_to_bindings[key] = [
            dataclasses.replace(
                b,
                description=_described(b.description, "key."),
                tooltip=_described(b.tooltip, "tip."),
            )
            for b in items
        ]


# Formatting ---------------------------------------------------------------------------------


def fmt_date(value: dt.date | None) -> str:
    """dd-mm-yyyy in Spanish, yyyy-mm-dd in English."""
    if value is None:
        return "—"
    if current_language() == "es":
        return value.strftime("%d-%m-%Y")
    return value.isoformat()


def fmt_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone()
    return f"{fmt_date(local.date())} {local:%H:%M}"


_DATE_FORMS = (
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)


def parse_date(text: str) -> dt.date | None:
    """dd-mm-yyyy, d/m/yyyy or yyyy-mm-dd; None for empty; ValueError when unreadable."""
    text = text.strip()
    if not text:
        return None
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    raise ValueError(text)


def age_text(birth: dt.date | None) -> str:
    if birth is None:
        return "—"
    today = clock.today()
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return str(years)


def country_name(code: str | None) -> str:
    if not code:
        return "—"
    country = refdata.country(code)
    if country is None:
        return code
    return country.name_es if current_language() == "es" else country.name_en


def commune_name(code: str | None) -> str:
    found = refdata.commune(code) if code else None
    return found.name if found else (code or "—")


def code_label(code_list: tuple[refdata.Code, ...], key: str | None) -> str:
    if not key:
        return "—"
    return refdata.label(code_list, key.replace("-", "_"), current_language()) or key


def doc_text(document: str | None) -> str:
    """ "run:12345678-5" -> "RUN 12.345.678-5"."""
    if not document:
        return "—"
    type_key, _, number = document.partition(":")
    doc_type = refdata.document_type(type_key)
    if doc_type is not None and doc_type.checked_mod11:
        return f"RUN {rut.display(number)}"
    name = (
        doc_type.name_es
        if doc_type and current_language() == "es"
        else (doc_type.name_en if doc_type else type_key)
    )
    short = {"passport": "Pas.", "national_id": "DNI", "ipe": "IPE", "ipa": "IPA"}.get(
        type_key, name
    )
    return f"{short} {number}"


def refill_table(table: DataTable[Any], rows: Iterable[tuple[str, Sequence[Any]]]) -> None:
    """Replace a table's rows (``(key, cells)``) keeping the cursor on the same record: after
    an action the next key must not land on another person because the list was reloaded.
    A record that left the list leaves the cursor at the same position."""
    old_key: str | None = None
    old_row = table.cursor_row
    if table.row_count and 0 <= old_row < table.row_count:
        old_key = table.coordinate_to_cell_key(Coordinate(old_row, 0)).row_key.value
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if not table.row_count:
        return
    try:
        target = table.get_row_index(old_key) if old_key is not None else old_row
    except RowDoesNotExist:
        target = old_row
    table.move_cursor(row=max(0, min(target, table.row_count - 1)))


_LOCAL_NAMES: dict[str, tuple[str, str]] = {}
"""Names of the office's own destinations (services/catalogue.py), deactivated ones too:
loaded at sign-in and whenever the administrator's screen reloads the catalogue."""


def remember_destinations(local: Iterable[Any]) -> None:
    """Keep the names of the office's own destinations (``LocalDestinationOut`` rows)."""
    _LOCAL_NAMES.clear()
    _LOCAL_NAMES.update({d.key: (d.name_es, d.name_en or d.name_es) for d in local})


def destination_name(key: str) -> str:
    dest = refdata.destination(key)
    if dest is not None:
        names = (dest.name_es, dest.name_en)
    elif key in _LOCAL_NAMES:
        names = _LOCAL_NAMES[key]
    else:
        return key
    return names[0] if current_language() == "es" else names[1]


def route_name(route_id: str) -> str:
    route = refdata.route(route_id)
    if route is None:
        return route_id
    return route.name_es if current_language() == "es" else route.name_en


def error_text(exc: BaseException) -> str:
    if isinstance(exc, CaseworkError):
        return exc.message()
    busy = busy_error(exc)  # a lock lost outside a service's session: say so, not "unexpected"
    if busy is not None:
        return busy.message()
    return t("ui.unexpected_error", error=type(exc).__name__)


# Screens --------------------------------------------------------------------------------------


class CaseworkMixin:
    """What every casework screen shares: the service context and background calls."""

    @property
    def casework(self) -> CaseworkApp:
        """The running app, typed as casework's own."""
        return self.app  # type: ignore[attr-defined, no-any-return]

    @property
    def ctx(self) -> Context:
        return self.casework.ctx

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # A focused widget's own keys join the footer (a Select's open menu: "esc Dismiss
        # menu"): say them in the UI language.
        translate_bindings(event.widget)

    def call_service(
        self,
        fn: Callable[..., R],
        *args: Any,
        on_done: Callable[[R], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        group: str = "db",
        exclusive: bool = False,
        **kwargs: Any,
    ) -> Worker[R]:
        """Run a service call in a thread worker; the callbacks run on the UI thread."""
        node: Any = self

        def work() -> R:
            return fn(*args, **kwargs)

        worker: Worker[R] = node.run_worker(
            work, thread=True, group=group, exclusive=exclusive, exit_on_error=False
        )

        def finished(event: Worker.StateChanged) -> None:
            if event.worker is not worker:
                return
            if event.state is WorkerState.SUCCESS and on_done is not None:
                on_done(worker.result)  # type: ignore[arg-type]
            elif event.state is WorkerState.ERROR:
                error = worker.error or RuntimeError("worker failed")
                if on_error is not None:
                    on_error(error)
                else:
                    node.notify(error_text(error), severity="error", timeout=8)

        node._worker_callbacks = getattr(node, "_worker_callbacks", {})
        node._worker_callbacks[worker] = finished
        return worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        callbacks = getattr(self, "_worker_callbacks", {})
        callback = callbacks.get(event.worker)
        if callback is not None and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            callbacks.pop(event.worker, None)
            callback(event)


class CaseworkScreen(CaseworkMixin, Screen[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)
        self._was_suspended = False

    def on_screen_suspend(self) -> None:
        self._was_suspended = True

    def on_screen_resume(self) -> None:
        # Also sent when the screen is first shown: only a real return reloads its data.
        if self._was_suspended:
            self._was_suspended = False
            self.on_return()

    def on_return(self) -> None:
        """Back on this screen after another one: reload what may have changed."""


class CaseworkModal(CaseworkMixin, ModalScreen[R]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)


def field_errors(exc: BaseException) -> dict[str, str]:
    """Field name (last part of the path) -> translated message, for an InvalidInput."""
    if not isinstance(exc, InvalidInput):
        return {}
    out: dict[str, str] = {}
    for error in exc.errors:
        parts = [p for p in error.field.split(".") if not p.isdigit()]
        name = parts[-1] if parts else "form"
        if len(parts) >= 2 and parts[-2] == "documents":
            name = "documents"
        out.setdefault(name, error.message())
    return out
