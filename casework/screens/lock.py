"""The idle lock (issue #15, point 6): a desk left untouched covers everything with this
screen until the same worker gives their password again, or hands the desk to a colleague.

The screen is opaque and full-size (app.tcss ``LockScreen``): nothing of the screens beneath
is drawn, so no person's name or document shows. While it is up the app refuses every
action of its own and of the screens beneath (``CaseworkApp.check_action``): Escape,
Ctrl+Q, Ctrl+P, F1 and the F-keys do nothing; Tab only moves within this screen.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from casework.i18n import t
from casework.screens.base import CaseworkModal
from casework.services import sessions
from casework.services.schemas import WorkerOut
from casework.widgets import error_text, labelled


class LockScreen(CaseworkModal[None]):
    """Covers the desk; dismissed only by the worker's own password (or F2: switch user)."""

    BINDINGS = [
        Binding("f2", "switch_user", "key.session_switch_user", id="lock-switch-user"),
        Binding("escape", "stay_locked", show=False),
    ]
    AUTO_FOCUS = "#lock-password"

    def __init__(self, worker: WorkerOut, *, has_password: bool) -> None:
        super().__init__()
        self.worker = worker
        self.has_password = has_password
        self._checking = False

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box", classes="form-box"):
            yield Static(t("session.lock_title"), classes="title")
            yield Static(t("session.lock_who", name=self.worker.full_name), id="lock-who")
            explain = (
                "session.lock_explain" if self.has_password else "session.lock_explain_no_password"
            )
            yield Static(t(explain), classes="help-text")
            yield from labelled(
                t("session.lock_password"), Input(id="lock-password", password=True)
            )
            yield Static("", id="lock-error", classes="error")
            yield Static(t("session.lock_keys"), classes="help-text")

    def action_stay_locked(self) -> None:
        """Escape: the lock stays (it is no dialog to close)."""

    async def action_switch_user(self) -> None:
        """F2: a colleague takes the desk; this worker's unfinished fichas stay theirs."""
        await self.app.run_action("switch_user_from_lock")

    @on(Input.Submitted, "#lock-password")
    def _unlock(self) -> None:
        if self._checking:
            return
        self._checking = True
        field = self.query_one("#lock-password", Input)
        password = field.value
        field.value = ""
        self.query_one("#lock-error", Static).update("")
        self.call_service(
            sessions.unlock, self.ctx, password, on_done=self._unlocked, on_error=self._refused
        )

    def _unlocked(self, worker: WorkerOut) -> None:
        self._checking = False
        self.dismiss(None)

    def _refused(self, exc: BaseException) -> None:
        self._checking = False
        self.query_one("#lock-error", Static).update(f"{error_text(exc)} {t('session.locked_out')}")
        self.query_one("#lock-password", Input).focus()
