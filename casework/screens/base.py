"""What every casework screen stands on: the desk it runs in (a Protocol, so screens never
import the app), the screen and modal base classes, and background service calls with the
one handler for their failures."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from textual import events
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Select
from textual.worker import Worker, WorkerState

from casework.db import Database
from casework.errors import CaseworkError
from casework.i18n import t
from casework.logs import Code
from casework.services.context import Context
from casework.services.drafts import Draft
from casework.services.schemas import WorkerOut
from casework.widgets.bindings import translate_bindings
from casework.widgets.feedback import SummaryBar, field_of
from casework.widgets.fields import FieldError
from casework.widgets.formats import error_text

R = TypeVar("R")

log = logging.getLogger(__name__)


class Desk(Protocol):
    """What screens need from the running app (casework.app.CaseworkApp is one)."""

    database: Database
    worker: WorkerOut | None
    """The signed-in worker; None before sign-in."""

    @property
    def ctx(self) -> Context: ...

    def sign_in(self, worker: WorkerOut) -> None: ...

    def start_session(self, worker: WorkerOut) -> None: ...

    def open_person(self, person_id: uuid.UUID) -> None: ...

    def action_new_intake(self, names: str = "") -> None: ...

    def discard_intake(self, draft_id: uuid.UUID | None = None) -> None: ...

    def intake_drafts(self) -> list[Draft]: ...

    def resume_intake(self, draft_id: uuid.UUID) -> None: ...


def background_failed(task: str, exc: BaseException) -> None:
    """The one place a failure of background work is recorded: the traceback of anything
    unexpected goes to the log; refusals the services explain (CaseworkError) are noted
    without one. Only the task's name and the exception's type are written, never what was
    typed or read (person data)."""
    where, kind = Code(task), Code(type(exc).__name__)  # names of code: safe to log
    if isinstance(exc, CaseworkError):
        log.info("background task %s refused: %s", where, kind)
    else:
        log.error("background task %s failed: %s", where, kind, exc_info=exc)


def _task_name(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", None) or "?"
    return f"{module}.{getattr(fn, '__qualname__', type(fn).__name__)}"


class CaseworkMixin:
    """What every casework screen shares: the service context and background calls."""

    @property
    def casework(self) -> Desk:
        """The running app, as the desk screens work in."""
        return self.app  # type: ignore[attr-defined, no-any-return]

    @property
    def ctx(self) -> Context:
        return self.casework.ctx

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # A focused widget's own keys join the footer (a Select's open menu: "esc Dismiss
        # menu"): say them in the UI language.
        translate_bindings(event.widget)

    def on_input_changed(self, event: Input.Changed) -> None:
        # The worker is typing into a field a failed save flagged: its message was read and
        # no longer describes what is there; the next save judges the field again. (A field
        # the form itself empties, such as a mistyped repeated password, keeps its message.)
        if event.value and event.input.has_focus and event.input.id:
            hidden = False
            for slot in self.query(f"#error-{event.input.id}"):  # type: ignore[attr-defined]
                hidden = hidden or bool(slot.display)
                slot.display = False
            if hidden:
                self._field_errors_gone()

    def on_select_changed(self, event: Select.Changed) -> None:
        # The same for a choice the worker makes in a flagged list (its slot may be named
        # after the service's field, not the Select's id: it is the slot right after it).
        select = event.select
        if event.value is Select.NULL or not (select.has_focus_within or select.expanded):
            return
        node: Any = self
        hidden = False
        for slot in node.query(FieldError):
            if slot.display and field_of(slot, node) is select:
                slot.display = False
                hidden = True
        if hidden:
            self._field_errors_gone()

    def _field_errors_gone(self) -> None:
        """Once no field shows a message, the summary saying "check the marked fields" no
        longer describes the form: it goes (what else it said, such as a conflict's hint,
        stays). Both kinds of summary: a screen's SummaryBar and a FormModal's line."""
        node: Any = self
        if any(slot.display for slot in node.query(FieldError)):
            return
        fix = t("ui.form.fix_fields")
        for bar in node.query(SummaryBar):
            if bar.message.startswith(fix) and not bar.has_class("-info"):
                rest = bar.message.removeprefix(fix).strip()
                if rest:
                    bar.show(rest)
                else:
                    bar.clear()
        for line in node.query("#form-error"):
            text = str(line.render())
            if text.startswith(fix):
                line.update(text.removeprefix(fix).strip())

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
        """Run a service call in a thread worker; the callbacks run on the UI thread. A
        failure is logged (background_failed), then shown by ``on_error`` or, without one,
        as a notification."""
        node: Any = self
        task = _task_name(fn)

        def work() -> R:
            return fn(*args, **kwargs)

        worker: Worker[R] = node.run_worker(
            work, thread=True, group=group, exclusive=exclusive, exit_on_error=False, name=task
        )

        def finished(event: Worker.StateChanged) -> None:
            if event.worker is not worker:
                return
            if event.state is WorkerState.SUCCESS and on_done is not None:
                on_done(worker.result)  # type: ignore[arg-type]
            elif event.state is WorkerState.ERROR:
                error = worker.error or RuntimeError("worker failed")
                background_failed(task, error)
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
        if callback is None:
            # Other background work of the screen (search-as-you-type): a failure shows
            # nothing on screen, as before, but is logged the same way.
            if event.state is WorkerState.ERROR and event.worker.error is not None:
                background_failed(event.worker.name or "worker", event.worker.error)
            return
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
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
