"""Who is working at this desk."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from casework.i18n import t
from casework.screens.common import CaseworkScreen
from casework.services import workers
from casework.services.schemas import WorkerOut


class SignInScreen(CaseworkScreen):
    def __init__(self) -> None:
        super().__init__()
        self._workers: list[WorkerOut] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="form-box"):
            yield Static(t("ui.sign_in.title"), classes="title")
            yield OptionList(id="workers")
        yield Footer()

    def on_mount(self) -> None:
        self._workers = workers.list_workers(self.ctx)
        options = self.query_one(OptionList)
        for w in self._workers:
            options.add_option(Option(f"{w.full_name}  ({w.username}, {t('role.' + w.role)})"))
        options.focus()
        options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.casework.sign_in(self._workers[event.option_index])
