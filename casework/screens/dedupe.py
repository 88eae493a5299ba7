"""Supervisor's duplicate queue: two records side by side, merged field by field."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from casework.i18n import current_language, t
from casework.matching import describe
from casework.screens.base import CaseworkScreen
from casework.screens.merge_confirm import MergeConfirmModal, RecentMergesScreen, field_text
from casework.services import duplicate_queue, merge
from casework.services.duplicate_queue import QueuedPair
from casework.services.merge import MERGE_FIELDS, Comparison, MergePreview, MergeResult
from casework.services.person_file import PersonDetail
from casework.widgets import (
    PAGING_BINDINGS,
    PagedTable,
    RecordTable,
    RowsPage,
    error_text,
    fmt_count,
)
from casework.widgets.scan_strip import ScanStrip


class DedupeQueueScreen(CaseworkScreen):
    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("enter", "compare", "key.compare", id="compare"),
        Binding("s", "scan", "key.scan", id="scan"),
        Binding("m", "recent_merges", "key.merge_recent", id="merge-recent"),
        *PAGING_BINDINGS,
    ]

    PAGE = 200
    """Pairs read at once; the table reads on as the cursor goes (widgets/table.py)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("ui.dedupe.title"), classes="title")
        yield Static("", id="status", classes="help-text")
        yield PagedTable(id="pairs", fetch=self._read, page_size=self.PAGE)
        yield Footer()

    @property
    def pairs(self) -> list[QueuedPair]:
        """The pairs held by the table, in order."""
        table = self.query_one(PagedTable)
        return [table.record(key) for key, _ in table.held]

    def _read(self, offset: int, limit: int) -> RowsPage:
        """A page of the queue as rows (in a worker)."""
        page = duplicate_queue.queue(self.ctx, offset=offset, limit=limit)
        lang = current_language()
        return RowsPage(
            [
                (
                    str(p.id),
                    (
                        f"{round(p.score * 100)}%",
                        p.a.name,
                        p.b.name,
                        ", ".join(describe(r, lang) for r in p.reasons[:3]),
                    ),
                )
                for p in page
            ],
            page.total,
            page.offset,
            list(page),
        )

    def on_mount(self) -> None:
        self.query_one(PagedTable).add_columns(
            t("ui.col.score"), t("ui.col.person"), t("ui.col.person"), t("ui.col.why")
        )
        self.reload()

    def on_return(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.call_service(
            self._read, 0, self.PAGE, on_done=self._show, group="queue", exclusive=True
        )

    def _show(self, page: RowsPage) -> None:
        table = self.query_one(PagedTable)
        table.show_page(page)
        table.focus()

    @on(PagedTable.Paged)
    def _count_line(self, event: PagedTable.Paged) -> None:
        """The true number of pairs waiting ("1.148 pares"), and which rows are held."""
        table = event.table
        key = "ui.dedupe.count" if table.total else "ui.dedupe.none_yet"
        text = t(key, count=fmt_count(table.total))
        if table.total > table.row_count:
            text += " · " + table.position_text()
        self.query_one("#status", Static).update(text)

    def action_scan(self) -> None:
        """Scan in a thread, its progress in a strip above the footer (blocks scored so
        far; the thread only sets a number, the strip is redrawn on a timer)."""
        if self.query("#manual-scan"):
            return  # one scan at a time from this screen
        self.query_one("#status", Static).update(t("ui.dedupe.scanning"))
        strip = ScanStrip(0.0, id="manual-scan", classes="scan-strip")
        self.mount(strip)
        fraction = 0.0

        def progress(_stage: str, share: float) -> None:
            nonlocal fraction
            fraction = share

        timer = self.set_interval(0.2, lambda: strip.show(fraction))

        def finish() -> None:
            timer.stop()
            if strip.is_attached:
                strip.remove()

        def done(report: duplicate_queue.ScanReport) -> None:
            finish()
            self.notify(
                t("ui.dedupe.scanned", new=report.new_pairs, seconds=f"{report.seconds:.1f}")
            )
            self.reload()

        def failed(error: BaseException) -> None:
            finish()
            self.notify(error_text(error), severity="error", timeout=8)
            self.reload()

        self.call_service(
            duplicate_queue.scan,
            self.ctx,
            progress=progress,
            on_done=done,
            on_error=failed,
            group="scan",
            exclusive=True,
        )

    @on(RecordTable.RowSelected)
    def _chosen(self) -> None:
        self.action_compare()

    def action_compare(self) -> None:
        table = self.query_one(PagedTable)
        pair = table.record(table.cursor_key)
        if isinstance(pair, QueuedPair):
            self.app.push_screen(CompareScreen(pair))

    def action_recent_merges(self) -> None:
        self.app.push_screen(RecentMergesScreen())

    def action_back(self) -> None:
        self.app.pop_screen()


def _value(p: PersonDetail, name: str) -> str:
    value: Any = getattr(p, name)
    return field_text(name, value)


class CompareScreen(CaseworkScreen):
    """Left: the record that stays. Space takes the highlighted field from the right."""

    BINDINGS = [
        Binding("escape", "back", "key.back", id="back"),
        Binding("space", "take_field", "key.take_field", id="take-field"),
        Binding("x", "swap", "key.swap_sides", id="swap-sides", show=False),
        Binding("ctrl+s", "merge", "key.merge", id="merge"),
        Binding("n", "not_same", "key.not_same", id="not-same"),
    ]

    def __init__(self, pair: QueuedPair) -> None:
        super().__init__()
        self.pair = pair
        self.left: PersonDetail | None = None
        self.right: PersonDetail | None = None
        self.take: set[str] = set()
        self.merging = False
        """A merge is being confirmed or saved."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            t("ui.dedupe.compare_title", score=round(self.pair.score * 100)), classes="title"
        )
        yield Static(
            ", ".join(describe(r, current_language()) for r in self.pair.reasons),
            classes="help-text",
        )
        yield RecordTable(id="fields")
        yield Static(t("ui.dedupe.compare_help"), classes="help-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RecordTable).add_columns(
            t("ui.col.field"), t("ui.dedupe.stays"), t("ui.dedupe.goes")
        )

        self.call_service(
            merge.compare,
            self.ctx,
            self.pair.a.id,
            self.pair.b.id,
            reason="duplicate_check",
            on_done=self._loaded,
        )

    def _loaded(self, pair: Comparison) -> None:
        self.left, self.right = pair.a, pair.b
        self._show_fields()

    def _show_fields(self) -> None:
        if self.left is None or self.right is None:
            return
        rows: list[tuple[str, tuple[str | Text, ...]]] = []
        for name in MERGE_FIELDS:
            mine, theirs = _value(self.left, name), _value(self.right, name)
            taken = name in self.take or (mine == "—" and theirs != "—")
            rows.append(
                (
                    name,
                    (
                        t(f"ui.merge_field.{name}"),
                        Text(mine, style="strike dim" if taken else "bold"),
                        Text(
                            theirs,
                            style="bold green" if taken else ("" if mine == theirs else "yellow"),
                        ),
                    ),
                )
            )
        counts = f"{len(self.left.documents)} / {len(self.right.documents)}"
        rows.append(("_docs", (t("ui.field.document"), counts, t("ui.dedupe.all_kept"))))
        table = self.query_one(RecordTable)
        table.refill(rows)
        table.focus()

    def action_take_field(self) -> None:
        name = self.query_one(RecordTable).cursor_key
        if name in MERGE_FIELDS:
            self.take ^= {name}
            self._show_fields()

    def action_swap(self) -> None:
        self.left, self.right = self.right, self.left
        self.take.clear()
        self._show_fields()

    def action_merge(self) -> None:
        """Ask first: the confirmation shows both records, what stays and what moves. A
        second Ctrl+S while one is asked or saved does nothing."""
        if self.left is None or self.right is None or self.merging:
            return
        survivor, merged, take = self.left.id, self.right.id, sorted(self.take)
        self.merging = True

        def free(_: object = None) -> None:
            self.merging = False

        def done(result: MergeResult) -> None:
            free()
            self.notify(t("ui.dedupe.merged", moved=sum(result.moved.values())))
            self.app.pop_screen()

        def failed(error: BaseException) -> None:
            free()
            self.notify(str(error), severity="error", timeout=8)

        def answered(yes: bool | None) -> None:
            if not yes:
                free()
                return
            self.notify(t("merge.confirm.merging"), timeout=3)
            self.call_service(
                merge.merge, self.ctx, survivor, merged, take, on_done=done, on_error=failed
            )

        def shown(view: MergePreview) -> None:
            self.app.push_screen(MergeConfirmModal(view), answered)

        self.call_service(
            merge.preview, self.ctx, survivor, merged, take, on_done=shown, on_error=failed
        )

    def action_not_same(self) -> None:
        def done(_: object) -> None:
            self.notify(t("ui.dedupe.kept_apart"))
            self.app.pop_screen()

        self.call_service(duplicate_queue.not_same, self.ctx, self.pair.id, on_done=done)

    def action_back(self) -> None:
        self.app.pop_screen()


__all__ = ["CompareScreen", "DedupeQueueScreen"]
