"""The one table of the desk's list screens: one row per record keyed by its id, refilled
without losing the cursor's place."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CursorType, RowDoesNotExist
from textual.worker import Worker, WorkerState

from casework.i18n import fmt_count, t
from casework.widgets.formats import error_text


class RecordTable(DataTable[Any]):
    """A row-cursor, striped table of records (a page of results, a queue, a register):
    ``refill`` puts a new page in, keyed by record id, keeping the cursor on the same
    record. Keys, paging (PgUp/PgDn) and messages are DataTable's; Home/End go to the first
    and last row (DataTable's own scroll sideways, which moved no cursor)."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("home", "first_row", "key.lists_first", show=False),
        Binding("end", "last_row", "key.lists_last", show=False),
    ]

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

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

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


Row = tuple[str, Sequence[Any]]
"""A row of a table: its key (a record id) and its cells."""


@dataclass(frozen=True)
class RowsPage:
    """A page of formatted rows: ``offset`` is the index of the first in the whole list,
    ``total`` the number of rows in the whole list."""

    rows: Sequence[Row]
    total: int
    offset: int
    records: Sequence[Any] = ()
    """The record behind each row, in the same order (optional): :meth:`PagedTable.record`."""


Fetch = Callable[[int, int], RowsPage]
"""Reads ``limit`` rows from ``offset`` (-1: the last page) in a worker thread: the screen's
function, calling its services and formatting the rows."""

PAGING_BINDINGS: Final = [
    Binding("pagedown", "list_page_down", "key.lists_page_down", show=False),
    Binding("pageup", "list_page_up", "key.lists_page_up", show=False),
    Binding("home", "list_first", "key.lists_first", show=False),
    Binding("end", "list_last", "key.lists_last", show=False),
]
"""The paging keys of a :class:`PagedTable`, for the screens that hold one: the table
handles the keys itself; listed on the screen, they appear in F1 help. (Not through the
"focused." namespace: with nothing focused, as under a modal, Textual raises for it.)"""


class PagedTable(RecordTable):
    """A :class:`RecordTable` over a list longer than what is read at once. It holds a
    window of the list (``offset`` .. ``offset + row_count``) and reads the next page in a
    worker when the cursor nears either end of the window; Home and End go to the first and
    last row of the WHOLE list, reading that page. ``total`` is the list's true count;
    :meth:`position_text` says "1–100 de 1.148". Posts :class:`Paged` whenever the window
    or the total changes."""

    NEAR: ClassVar[int] = 20
    """Rows from the window's edge at which the next page is read."""
    MAX_WINDOW: ClassVar[int] = 1000
    """Rows kept at most: reading on drops the farthest rows."""

    BINDINGS = [
        Binding("pagedown", "list_page_down", "key.lists_page_down", show=False),
        Binding("pageup", "list_page_up", "key.lists_page_up", show=False),
        Binding("home", "list_first", "key.lists_first", show=False),
        Binding("end", "list_last", "key.lists_last", show=False),
        Binding("ctrl+home", "list_first", "key.lists_first", show=False),
        Binding("ctrl+end", "list_last", "key.lists_last", show=False),
    ]

    class Paged(Message):
        """The window or the total of a paged table changed."""

        def __init__(self, table: PagedTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> PagedTable:
            return self.table

    def __init__(
        self,
        *,
        fetch: Fetch | None = None,
        page_size: int = 100,
        id: str | None = None,
        cursor_type: CursorType = "row",
        zebra_stripes: bool = True,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            id=id, cursor_type=cursor_type, zebra_stripes=zebra_stripes, classes=classes
        )
        self.fetch = fetch
        self.page_size = page_size
        self.total = 0
        self.start = 0
        self._rows: list[Row] = []
        self._records: dict[str, Any] = {}
        self._columns: list[tuple[str, int]] = []
        self._loading: Worker[RowsPage] | None = None
        self._then: str | None = None
        self._filling = False

    # Columns that give way ---------------------------------------------------------------

    def set_columns(self, columns: Sequence[tuple[str, int]]) -> None:
        """Columns ``(label, width)`` over every cell of the rows; width 0 hides a column (the
        rows keep the cell). Call it again with new widths when the screen is resized: the
        rows held are drawn again, the cursor stays on its record."""
        if list(columns) == self._columns:
            return
        self._columns = list(columns)
        key = self.cursor_key
        self.clear(columns=True)
        for label, width in self._columns:
            if width:
                self.add_column(label, width=width)
        self.refill(self._rows)
        if key is not None:
            self.move_to(key)

    def _shown(self, rows: Iterable[Row]) -> Iterator[Row]:
        if not self._columns or all(width for _, width in self._columns):
            yield from rows
            return
        keep = [i for i, (_, width) in enumerate(self._columns) if width]
        for key, cells in rows:
            yield key, [cells[i] for i in keep]

    def refill(self, rows: Iterable[Row], *, height: int | None = 1) -> None:
        # Clearing puts the cursor on the first row for a moment: not a move to read on.
        self._filling = True
        try:
            super().refill(self._shown(rows), height=height)
        finally:
            self._filling = False

    def record(self, key: str | None) -> Any:
        """The record behind the row ``key`` (from :attr:`RowsPage.records`), or None."""
        return None if key is None else self._records.get(key)

    def _keep_records(self, page: RowsPage, *, replace: bool) -> None:
        if replace:
            self._records = {}
        self._records.update(
            {key: rec for (key, _), rec in zip(page.rows, page.records, strict=False)}
        )

    # What is shown --------------------------------------------------------------------

    @property
    def held(self) -> list[Row]:
        """The rows held (the window), in list order."""
        return list(self._rows)

    @property
    def window_end(self) -> int:
        """Index (in the whole list) after the last row held."""
        return self.start + len(self._rows)

    @property
    def absolute_row(self) -> int:
        """Index of the cursor's row in the whole list."""
        return self.start + self.cursor_row

    def position_text(self) -> str:
        """ "1–100 de 1.148": the rows held, of the whole list ("" when it is empty)."""
        if not self.total or not self._rows:
            return ""
        return t(
            "lists.position",
            first=fmt_count(self.start + 1),
            last=fmt_count(self.window_end),
            total=fmt_count(self.total),
        )

    def show_page(self, page: RowsPage, *, cursor: int | None = None) -> None:
        """Hold ``page`` as the window (a list read again from its first page, or a jump);
        the cursor stays on the same record when it is in the page, else goes to ``cursor``
        (an index in the page; -1 the last row)."""
        self.total = page.total
        self.start = page.offset
        self._rows = list(page.rows)
        self._keep_records(page, replace=True)
        self._filling = True
        try:
            self.refill(self._rows)
            if cursor is not None and self.row_count:
                self.move_cursor(row=cursor if cursor >= 0 else self.row_count - 1, animate=False)
        finally:
            self._filling = False
        self.post_message(self.Paged(self))

    # Reading pages ----------------------------------------------------------------------

    def _read(self, offset: int, then: str) -> None:
        """Read the page at ``offset`` in a worker; ``then`` says what to do with it:
        "append", "prepend", "first" (show it, cursor on the first row) or "last"."""
        if self.fetch is None or (self._loading is not None and then in ("append", "prepend")):
            return
        fetch = self.fetch
        size = self.page_size
        self._then = then
        self._loading = self.run_worker(
            lambda: fetch(offset, size),
            thread=True,
            group=f"page-{self.id}",
            exclusive=True,
            exit_on_error=False,
            name="read_page",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._loading:
            return
        event.stop()
        if event.state is WorkerState.SUCCESS:
            self._loading = None
            page = event.worker.result
            if isinstance(page, RowsPage):
                self._got(page, self._then or "first")
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._loading = None
            if event.state is WorkerState.ERROR:
                self.notify(
                    error_text(event.worker.error or RuntimeError()), severity="error", timeout=8
                )

    def _got(self, page: RowsPage, then: str) -> None:
        if then == "first":
            self.show_page(page, cursor=0)
            return
        if then == "last":
            self.show_page(page, cursor=-1)
            return
        self.total = page.total
        self._keep_records(page, replace=False)
        held = {key for key, _ in self._rows}
        fresh = [row for row in page.rows if row[0] not in held]
        if then == "append" and page.offset == self.window_end:
            rows = self._rows + fresh
            drop = max(0, len(rows) - self.MAX_WINDOW)
            if drop:
                self.start += drop
                self._rows = rows[drop:]
                self._records = {k: self._records[k] for k, _ in self._rows if k in self._records}
                self.refill(self._rows)
            else:
                self._rows = rows
                for key, cells in self._shown(fresh):
                    self.add_row(*cells, key=key)
        elif then == "prepend" and page.offset + len(page.rows) == self.start:
            rows = fresh + self._rows
            self._rows = rows[: self.MAX_WINDOW]
            self._records = {k: self._records[k] for k, _ in self._rows if k in self._records}
            self.start = page.offset
            self.refill(self._rows)  # the cursor stays on its record
        self.post_message(self.Paged(self))

    def reload(self) -> None:
        """Read the window again from where it starts (after a change to the list)."""
        self._read(self.start, "first")

    def _near_edges(self) -> None:
        if not self._rows or self._filling:
            return
        if self.cursor_row >= len(self._rows) - self.NEAR and self.window_end < self.total:
            self._read(self.window_end, "append")
        elif self.cursor_row < self.NEAR and self.start > 0:
            self._read(max(0, self.start - self.page_size), "prepend")

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if old.row != new.row:
            self._near_edges()

    # Keys -------------------------------------------------------------------------------

    def action_list_page_down(self) -> None:
        """A screenful down; at the end of the rows held, the next page is read first."""
        if self.cursor_row >= len(self._rows) - 1 and self.window_end < self.total:
            self._read(self.window_end, "append")
            return
        self.action_page_down()

    def action_list_page_up(self) -> None:
        """A screenful up."""
        self.action_page_up()

    def action_list_first(self) -> None:
        """The first row of the whole list."""
        if self.start == 0:
            if self.row_count:
                self.move_cursor(row=0, animate=False)
            return
        self._read(0, "first")

    def action_list_last(self) -> None:
        """The last row of the whole list."""
        if self.window_end >= self.total:
            if self.row_count:
                self.move_cursor(row=self.row_count - 1, animate=False)
            return
        self._read(LAST_PAGE, "last")


LAST_PAGE: Final = -1
"""The offset that asks a :data:`Fetch` for the last page."""
