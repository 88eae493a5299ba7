"""The one-line strip above the footer that shows background work going on (the duplicate
scan a desk runs by itself): a label and a bar. It never takes the focus, so typing goes on
in the field the worker is in."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from casework.i18n import t


class ScanStrip(Horizontal):
    """``Buscando duplicados… 42 %`` and its bar."""

    can_focus = False

    def __init__(self, fraction: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.percent = _percent(fraction)

    def compose(self) -> ComposeResult:
        yield Static(self._label(), id="scan-strip-label")
        bar = ProgressBar(total=100, show_eta=False, show_percentage=False, id="scan-strip-bar")
        bar.progress = self.percent
        yield bar

    def _label(self) -> str:
        return t("followthrough.scan.progress", percent=self.percent)

    def show(self, fraction: float) -> None:
        """Show how far the work got (0 to 1); before the strip is composed, it starts so."""
        self.percent = _percent(fraction)
        for label in self.query("#scan-strip-label").results(Static):
            label.update(self._label())
        for bar in self.query("#scan-strip-bar").results(ProgressBar):
            bar.update(progress=self.percent)


def _percent(fraction: float) -> int:
    return max(0, min(100, int(fraction * 100)))
