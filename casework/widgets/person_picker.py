"""The list of persons found as the worker types: one row per person (name, age, birth,
nationality, document, last contact); choosing a row posts :class:`PersonPicker.Picked`.
The screen runs the search (widgets never call services) and hands the page to ``show``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from textual import on
from textual.message import Message
from textual.widgets import DataTable

from casework.i18n import t
from casework.widgets.formats import (
    age_text,
    country_name,
    doc_text,
    fmt_date,
    fmt_datetime,
    matched_text,
)
from casework.widgets.table import RecordTable


class PersonPicker(RecordTable):
    class Picked(Message):
        """A person was chosen (Enter or a click on their row)."""

        def __init__(self, picker: PersonPicker, person_id: uuid.UUID) -> None:
            super().__init__()
            self.picker = picker
            self.person_id = person_id

        @property
        def control(self) -> PersonPicker:
            return self.picker

    def __init__(self, *, id: str | None = None, matched: bool = False) -> None:
        super().__init__(id=id)
        self.matched = matched
        """Show what matched (``SearchResult.matched`` codes) beside the name."""

    def on_mount(self) -> None:
        self._columns()

    def _columns(self) -> None:
        self.add_columns(
            t("ui.col.person"),
            *([t("search.col.matched")] if self.matched else []),
            t("ui.col.age"),
            t("ui.col.born"),
            t("ui.col.nationality"),
            t("ui.col.document"),
            t("ui.col.last_contact"),
        )

    def show(self, found: Sequence[Any]) -> None:
        """Replace the rows with ``found`` (``PersonSummary`` rows), in that order. The
        columns are sized anew for these rows: not kept as wide as an earlier result (a
        search typed letter by letter) left them."""
        self.clear(columns=True)
        self._columns()
        for p in found:
            self.add_row(
                p.full_name,
                *([matched_text(p.matched)] if self.matched else []),
                age_text(p.birth_date),
                fmt_date(p.birth_date),
                country_name(p.nationality),
                doc_text(p.document),
                fmt_datetime(p.last_contact),
                key=str(p.id),
            )

    @on(DataTable.RowSelected)
    def _picked(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            event.stop()
            self.post_message(self.Picked(self, uuid.UUID(event.row_key.value)))
