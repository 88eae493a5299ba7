"""The Textual application, built by one factory shared by the CLI and the tests."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from casework.db import Database
from casework.services.context import Context


class CaseworkApp(App[int]):
    """casework's desk. Screens arrive with the issue "The desk"."""

    TITLE = "casework"

    def __init__(self, database: Database, *, demo: bool = False) -> None:
        super().__init__()
        self.database = database
        self.demo = demo
        self.ctx = Context(database)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"casework — {self.database.describe()}", id="placeholder")
        yield Footer()


def make_app(database: Database, *, demo: bool = False) -> CaseworkApp:
    return CaseworkApp(database, demo=demo)


def run_app(database: Database, *, demo: bool = False) -> int:
    result = make_app(database, demo=demo).run()
    return result or 0
