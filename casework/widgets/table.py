"""A table of records, one row per record keyed by its id, refilled without losing the
cursor's place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist


def refill_table(table: DataTable[Any], rows: Iterable[tuple[str, Sequence[Any]]]) -> None:
    """Replace a table's rows (``(key, cells)``) keeping the cursor on the same record: after
    an action the next key must not land on another person because the list was reloaded.
    A record that left the list leaves the cursor at the same position."""
    old_key: str | None = None
    old_row = table.cursor_row
    if table.row_count and 0 <= old_row < table.row_count:
        old_key = table.coordinate_to_cell_key(Coordinate(old_row, 0)).row_key.value
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if not table.row_count:
        return
    try:
        target = table.get_row_index(old_key) if old_key is not None else old_row
    except RowDoesNotExist:
        target = old_row
    table.move_cursor(row=max(0, min(target, table.row_count - 1)))


class RecordTable(DataTable[Any]):
    """A row-cursor, striped table of records (a page of results, a queue): ``refill`` puts
    a new page in, keyed by record id, keeping the cursor on the same record."""

    def __init__(
        self,
        *,
        id: str | None = None,
        cursor_type: Any = "row",
        zebra_stripes: bool = True,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            id=id, cursor_type=cursor_type, zebra_stripes=zebra_stripes, classes=classes
        )

    def refill(self, rows: Iterable[tuple[str, Sequence[Any]]]) -> None:
        refill_table(self, rows)
