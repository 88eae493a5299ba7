"""Find a person: search-as-you-type by names (one wrong letter forgiven), document, phone
or birth date; each row says what matched (the rules are services/search.py)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Input, Static
from textual.worker import get_current_worker

from casework.i18n import t
from casework.screens.base import CaseworkScreen
from casework.services import persons, search
from casework.services.search import Reading, SearchResult
from casework.widgets import PersonPicker

LIMIT = 30


class SearchScreen(CaseworkScreen):
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("down", "to_results", "key.results", show=False),
        Binding("ctrl+n", "new_intake", "key.new_intake_named", id="new-intake-named"),
    ]

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.initial = text
        self.results: list[SearchResult] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("ui.search.title"), classes="title")
        yield Input(self.initial, placeholder=t("search.placeholder"), id="query")
        yield Static(t("ui.search.hint"), id="status", classes="help-text")
        yield PersonPicker(id="results", matched=True)
        yield Footer()

    def on_mount(self) -> None:
        self.focus_query()
        if self.initial:
            self._search(self.initial)

    def focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, text: str) -> None:
        if not text.strip():
            self._show(text, [])
            return

        def work() -> None:
            found = persons.search_persons(self.ctx, text, limit=LIMIT)
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._show, text, found)

        self.run_worker(
            work, thread=True, exclusive=True, group="search", exit_on_error=False, name="search"
        )

    def _show(self, text: str, found: list[SearchResult]) -> None:
        if text != self.query_one("#query", Input).value:
            return  # an older answer arriving late
        self.results = found
        self.query_one("#results", PersonPicker).show(found)
        status = self.query_one("#status", Static)
        how, _ = search.reading(text)
        if not text.strip():
            status.update(t("ui.search.hint"))
        elif how is Reading.PARTIAL_DATE:
            status.update(t("search.partial_date"))
        elif how is Reading.BAD_DATE:
            status.update(t("search.bad_date", text=text.strip()))
        elif not found:
            status.update(t("ui.search.none", text=text))
        elif len(found) >= LIMIT:
            status.update(t("ui.search.many", count=LIMIT))
        else:
            status.update(t("ui.search.count", count=len(found)))

    @on(Input.Submitted, "#query")
    def _submitted(self) -> None:
        if self.results:
            self.action_to_results()

    def action_to_results(self) -> None:
        table = self.query_one("#results", PersonPicker)
        if table.row_count:
            table.focus()

    @on(PersonPicker.Picked, "#results")
    def _open(self, event: PersonPicker.Picked) -> None:
        self.casework.open_person(event.person_id)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_new_intake(self) -> None:
        text = self.query_one("#query", Input).value
        looks_like_doc = any(ch.isdigit() for ch in text)
        self.casework.action_new_intake("" if looks_like_doc else text)
