"""Feedback where the worker looks: after a key press that failed, the cursor goes to the
first field in error (scrolled into view, its message beside it) and a one-line summary
stays visible above the footer.

Use in any form screen or dialog::

    def compose(self):
        ...
        yield SummaryBar()          # after the 1fr body, just before the Footer
        yield Footer()

    def _failed(self, exc):
        ...show the FieldError slots...
        self.query_one(SummaryBar).show(t("ui.form.fix_fields"))
        focus_first_error(self)     # the field of the first visible FieldError

A FieldError slot ``error-<name>`` belongs to the focusable widget just before it in the
form (``labelled``/``labelled_row`` compose them that way); ``focus_first_error`` finds it
so, and the slot is scrolled into view after the field so both show. Widgets post no
messages and call no services here."""

from __future__ import annotations

from collections.abc import Iterable

from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Static

from casework.widgets.fields import FieldError


class SummaryBar(Static):
    """One line above the footer saying what the last action did (or why it did not);
    hidden while empty. Its message stays until :meth:`clear` or the next one. Compose it
    right before the Footer, after a body whose height is ``1fr``, so it takes its line
    from the body and is never drawn over."""

    DEFAULT_CSS = """
    SummaryBar {
        height: auto;
        max-height: 2;
        width: 100%;
        padding: 0 1;
        display: none;
        background: $error 30%;
        color: $text;
        text-style: bold;
    }
    SummaryBar.-info {
        background: $primary 30%;
    }
    """

    def __init__(self, *, id: str = "summary-bar") -> None:
        super().__init__("", id=id)

    def show(self, message: str, *, error: bool = True) -> None:
        self.update(message)
        self.set_class(not error, "-info")
        self.display = bool(message)

    def clear(self) -> None:
        self.update("")
        self.display = False

    @property
    def message(self) -> str:
        return str(self.render()) if self.display else ""


def field_of(slot: FieldError, root: DOMNode) -> Widget | None:
    """The field an error slot belongs to: the last focusable widget before ``slot`` in
    document order under ``root``."""
    before = None
    for node in root.query("*"):
        if node is slot:
            return before
        if isinstance(node, Widget) and node.focusable and node.display:
            before = node
    return None


def shown_errors(root: DOMNode) -> list[FieldError]:
    """The FieldError slots under ``root`` showing a message, in reading order."""
    return [slot for slot in root.query(FieldError) if slot.display]


def focus_first_error(root: DOMNode, slots: Iterable[FieldError] | None = None) -> Widget | None:
    """Focus the field of the first shown error slot (of ``slots``, or under ``root``) and
    scroll it and its message into view. Returns the focused widget (None if none)."""
    shown = list(slots) if slots is not None else shown_errors(root)
    if not shown:
        return None
    slot = shown[0]
    field = field_of(slot, root)
    if field is not None:
        field.focus(scroll_visible=False)
    target = field or slot

    def scroll() -> None:
        # The field at the middle of its scrolling form(s): its message, right below it,
        # shows too (after a refresh, so a bar that just appeared has taken its line).
        target.screen.scroll_to_center(target, animate=False, immediate=True)

    target.call_after_refresh(scroll)
    return field
