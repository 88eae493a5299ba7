"""F1 / ?: the keys of the screen you were on, and how the desk works."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from casework.i18n import t
from casework.screens.base import CaseworkModal


class HelpScreen(CaseworkModal[None]):
    BINDINGS = [
        Binding("escape", "close", "key.back", id="close"),
        Binding("f1", "close", "key.back", show=False),
        Binding("question_mark", "close", "key.back", show=False),
    ]

    def __init__(self, for_screen: Screen[object]) -> None:
        super().__init__()
        self.for_screen = for_screen

    def compose(self) -> ComposeResult:
        name = type(self.for_screen).__name__
        text = Text()
        text.append(t(f"help.{name}") + "\n\n")
        text.append(t("ui.help.keys") + "\n", style="bold")
        seen = set()
        for node in (self.for_screen, self.app):
            for bindings in node._bindings.key_to_bindings.values():
                for b in bindings:
                    if b.description and b.action not in seen:
                        seen.add(b.action)
                        text.append(f"  {self.app.get_key_display(b):>10}  ", style="bold")
                        text.append(f"{b.description}\n")
        text.append("\n" + t("ui.help.palette"))
        with VerticalScroll(classes="modal-box"):
            yield Static(t("ui.help.title"), classes="title")
            yield Static(text)

    def action_close(self) -> None:
        self.dismiss(None)
