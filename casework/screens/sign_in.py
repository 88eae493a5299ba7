"""Who is working at this desk: username and password, or the first admin choosing one,
or a worker replacing the temporary password an administrator gave them."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Header, Input, Static

from casework.errors import NotAllowed
from casework.i18n import t
from casework.screens.base import CaseworkScreen
from casework.services import auth, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import error_text, labelled


class SignInScreen(CaseworkScreen):
    """Sign in with a password. With ``choose_for`` the first admin picks their password."""

    def __init__(self, username: str = "", choose_for: WorkerOut | None = None) -> None:
        super().__init__()
        self._username = username
        self._choose_for = choose_for
        self._renew: tuple[WorkerOut, str] | None = None
        """Signed in with a temporary password: the worker, and that password."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sign-in", classes="form-box"):
            if self._choose_for is not None or self._renew is not None:
                area = "security.choose" if self._renew is None else "security.renew"
                yield Static(t(f"{area}.title"), classes="title")
                yield Static(
                    t(f"{area}.explain", length=auth.MIN_PASSWORD_LENGTH), classes="help-text"
                )
                yield from labelled(
                    t("security.choose.password"), Input(id="password", password=True)
                )
                yield from labelled(t("security.choose.repeat"), Input(id="repeat", password=True))
            else:
                yield Static(t("security.sign_in.title"), classes="title")
                yield from labelled(
                    t("security.sign_in.username"), Input(self._username, id="username")
                )
                yield from labelled(
                    t("security.sign_in.password"), Input(id="password", password=True)
                )
            yield Static("", id="error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self._focus_first()

    def _focus_first(self) -> None:
        if self._choose_for is None and self._renew is None and not self._username:
            self.query_one("#username", Input).focus()
        else:
            self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#username")
    def _to_password(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def _password_entered(self) -> None:
        if self._choose_for is not None or self._renew is not None:
            self.query_one("#repeat", Input).focus()
        else:
            self._submit()

    @on(Input.Submitted, "#repeat")
    def _repeat_entered(self) -> None:
        self._submit()

    def _show_error(self, text: str) -> None:
        self.query_one("#error", Static).update(text)
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()

    def _submit(self) -> None:
        password = self.query_one("#password", Input).value
        ctx = Context(self.casework.database)

        def failed(exc: BaseException) -> None:
            self._show_error(error_text(exc))

        if self._choose_for is not None or self._renew is not None:
            repeat = self.query_one("#repeat", Input)
            if repeat.value != password:
                repeat.value = ""
                self._show_error(t("security.choose.mismatch"))
                return
        if self._renew is not None:
            worker, temporary = self._renew
            if password == temporary:
                self.query_one("#repeat", Input).value = ""
                self._show_error(t("security.renew.same"))
                return
            self.call_service(
                auth.set_password,
                Context(self.casework.database, worker.id),
                worker.id,
                password,
                current_password=temporary,
                on_done=lambda _: self.casework.start_session(
                    worker.model_copy(update={"password_temporary": False})
                ),
                on_error=failed,
            )
            return
        if self._choose_for is not None:
            self.call_service(
                auth.choose_first_password,
                ctx,
                self._choose_for.id,
                password,
                on_done=self.casework.start_session,
                on_error=failed,
            )
            return
        username = self.query_one("#username", Input).value

        def refused(exc: BaseException) -> None:
            if getattr(exc, "code", None) == "password_not_set" and not password:
                self._without_password(username, failed)
            else:
                failed(exc)

        self.call_service(
            auth.authenticate,
            ctx,
            username,
            password,
            on_done=lambda worker: self._authenticated(worker, password),
            on_error=refused,
        )

    def _without_password(self, username: str, failed: Callable[[BaseException], None]) -> None:
        """A worker who has no password (the synthetic demo desk, after signing out or
        switching user): let in only where services/staff.py ``sign_in`` allows it."""
        ctx = Context(self.casework.database)

        def sign_in() -> WorkerOut:
            found = staff.find_worker(ctx, username.strip().lower())
            if found is None:
                raise NotAllowed("bad_credentials")
            return staff.sign_in(ctx, found.id)

        self.call_service(sign_in, on_done=self.casework.start_session, on_error=failed)

    def _authenticated(self, worker: WorkerOut, password: str) -> None:
        if not worker.password_temporary:
            self.casework.start_session(worker)
            return
        self._renew = (worker, password)
        self.call_later(self._ask_new_password)

    async def _ask_new_password(self) -> None:
        await self.recompose()
        self._focus_first()
