"""The one table of the desk's list screens: one row per record keyed by its id, refilled
without losing the cursor's place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CursorType, RowDoesNotExist


class RecordTable(DataTable[Any]):
    """A row-cursor, striped table of records (a page of results, a queue, a register):
    ``refill`` puts a new page in, keyed by record id, keeping the cursor on the same
    record. Keys, paging (PgUp/PgDn, Home/End) and messages are DataTable's."""

    def __init__(
        self,
        *,
        id: str | None = None,
        cursor_type: CursorType = "row",
        zebra_stripes: bool = True,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            id=id, cursor_type=cursor_type, zebra_stripes=zebra_stripes, classes=classes
        )
        self._wrap_width = 0

    @property
    def cursor_key(self) -> str | None:
        """The key of the record under the cursor; None when the table is empty."""
        if not self.row_count or not 0 <= self.cursor_row < self.row_count:
            return None
        return self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value

    def refill(self, rows: Iterable[tuple[str, Sequence[Any]]], *, height: int | None = 1) -> None:
        """Replace the rows (``(key, cells)``) keeping the cursor on the same record: after
        an action the next key must not land on another person because the list was
        reloaded. A record that left the list leaves the cursor at the same position.
        ``height=None``: each row as tall as its cells, wrapped in columns of fixed width."""
        old_key = self.cursor_key
        old_row = self.cursor_row
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key, height=height)
        if not self.row_count:
            return
        try:
            target = self.get_row_index(old_key) if old_key is not None else old_row
        except RowDoesNotExist:
            target = old_row
        self.move_cursor(row=max(0, min(target, self.row_count - 1)))

    def move_to(self, fragment: str) -> bool:
        """Put the cursor on the first record whose key contains ``fragment`` (a record's
        id); False when there is none."""
        keys = [k for k in self.rows if k.value == fragment] or [
            k for k in self.rows if k.value is not None and fragment in k.value
        ]
        if keys:
            self.move_cursor(row=self.get_row_index(keys[0]))
        return bool(keys)

    def fill_wrapped(
        self, heads: Sequence[str], rows: Sequence[tuple[str, Sequence[Any]]], wrap: int
    ) -> None:
        """Columns ``heads`` and ``rows``: column ``wrap`` takes the width the others leave
        and its text wraps, each row as tall as it needs, so nothing is cut. Call it again
        when the table's width changes."""

        def width_of(cell: Any) -> int:
            return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))

        others = sum(
            max([width_of(head)] + [width_of(cells[i]) for _, cells in rows]) + 2
            for i, head in enumerate(heads)
            if i != wrap
        )
        # Two cells of padding in the wrapped column, two for the scroll bar.
        width = max(10, self.size.width - others - 4)
        if not self.size.width and len(self.columns) == len(heads):
            width = self._wrap_width  # hidden (another tab): fitted when shown again
        if width != self._wrap_width or len(self.columns) != len(heads):
            self._wrap_width = width
            key = self.cursor_key
            self.clear(columns=True)
            for i, head in enumerate(heads):
                self.add_column(head, width=width if i == wrap else None)
            self.refill(rows, height=None)
            if key is not None:
                self.move_to(key)
        else:
            self.refill(rows, height=None)
