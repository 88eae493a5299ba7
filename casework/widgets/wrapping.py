"""A checkbox whose label wraps onto as many lines as it needs (Textual's is cut to one
line): a screening question is read whole at 80 columns as at 200."""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Checkbox

BUTTON = 3
"""Cells of the box drawn before the label (▐X▌); wrapped lines start under the label."""


class WrappingCheckbox(Checkbox):
    """A :class:`Checkbox` whose label wraps, lines after the first indented under it,
    instead of being cut with "…"."""

    DEFAULT_CSS = """
    WrappingCheckbox {
        height: auto;
    }
    """

    def _lines(self, width: int) -> list[Content]:
        # The label is padded by one cell each side, as Textual draws it.
        return self._label.wrap(max(1, width - BUTTON - 2)) or [Content("")]

    def render(self) -> Content:
        style = self.get_visual_style("toggle--label")
        lines = [line.pad(1, 1).stylize_before(style) for line in self._lines(self.size.width)]
        indent = Content(" " * BUTTON)
        return Content("\n").join(
            [Content.assemble(self._button, lines[0]), *(indent + line for line in lines[1:])]
        )

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))
