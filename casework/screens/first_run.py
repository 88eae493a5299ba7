"""First run: who is working, and in which programme."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Footer, Header, Input, Static

from casework.errors import field_label
from casework.i18n import t
from casework.screens.base import CaseworkScreen
from casework.services import staff
from casework.services.schemas import WorkerOut
from casework.widgets import error_text, field_errors, labelled


class FirstRunScreen(CaseworkScreen):
    """An empty database: create the first programme and the first worker (an admin)."""

    BINDINGS = [Binding("ctrl+s", "save", "key.save", id="save")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="first-run", classes="form-box"):
            yield Static(t("ui.first_run.title"), classes="title")
            yield Static(t("ui.first_run.explain"), classes="help-text")
            yield from labelled(
                t("ui.first_run.programme_name"),
                Input(t("ui.first_run.programme_default"), id="programme-name", compact=True),
            )
            yield from labelled(
                t("ui.first_run.programme_code"), Input("OFMIG", id="programme-code", compact=True)
            )
            yield from labelled(
                t("ui.first_run.full_name"),
                Input(id="full-name", placeholder=t("ui.first_run.full_name_hint"), compact=True),
            )
            yield from labelled(
                t("ui.first_run.username"),
                Input(id="username", placeholder="dfuentes", compact=True),
            )
            yield Static("", id="error", classes="error")
            yield Button(t("ui.first_run.start"), id="start", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#full-name", Input).focus()

    @on(Button.Pressed, "#start")
    @on(Input.Submitted)
    def _start(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        value = {i.id: i.value for i in self.query(Input)}
        username = (
            value["username"].strip().lower() or value["full-name"].strip().lower().split(" ")[0]
        )

        def done(worker: WorkerOut) -> None:
            self.casework.sign_in(worker)

        def failed(exc: BaseException) -> None:
            errors = field_errors(exc)
            # Each message beside the label the worker sees (never "username:").
            labels = {
                "username": t("ui.first_run.username"),
                "full_name": t("ui.first_run.full_name"),
            }
            labels |= {
                "code": t("ui.first_run.programme_code"),
                "name": t("ui.first_run.programme_name"),
            }
            text = (
                "; ".join(
                    f"{labels.get(k) or field_label(k) or ''}: {v}".lstrip(": ")
                    for k, v in errors.items()
                )
                if errors
                else error_text(exc)
            )
            self.query_one("#error", Static).update(text)

        self.call_service(
            staff.first_run,
            self.ctx,
            {"code": value["programme-code"], "name": value["programme-name"]},
            {"username": username, "full_name": value["full-name"]},
            on_done=done,
            on_error=failed,
        )
