"""A yes-or-no question as a modal dialog."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import DescendantFocus
from textual.screen import ModalScreen
from textual.widgets import Static

from casework.widgets.bindings import translate_bindings


class ConfirmModal(ModalScreen[bool]):
    """A yes-or-no question: Enter confirms (True), Escape goes back (False)."""

    BINDINGS = [
        Binding("enter", "confirm", "key.confirm", id="confirm"),
        Binding("escape", "cancel", "key.cancel", id="cancel"),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.title_text = title
        self.question = question

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal-box"):
            yield Static(self.title_text, classes="title")
            yield Static(self.question, id="question")

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        translate_bindings(event.widget)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
