"""The import screen's file field: completes folder and file names as the worker types, the
way a shell does (Tab or → accepts what is shown in grey)."""

from __future__ import annotations

import os
from pathlib import Path

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

SUFFIXES = (".csv", ".txt", ".xlsx")
"""The files an import reads (folders are offered too, to go down into)."""
LISTED = 500
"""A folder's first names looked at (a huge folder does not stall the typing)."""
REPORT_ENDINGS = ("-informe.csv", "-informe.xlsx")
"""The reports an import writes beside its file: offered only when nothing else matches."""


def is_report(name: str) -> bool:
    """Whether ``name`` is an import's report (``<stem>-informe.csv``), not a source file."""
    return name.lower().endswith(REPORT_ENDINGS)


def _entries(folder: Path) -> list[tuple[str, bool]]:
    """The names in ``folder`` worth offering: (name, is a folder), sorted."""
    out: list[tuple[str, bool]] = []
    try:
        with os.scandir(folder) as found:
            for count, entry in enumerate(found):
                if count >= LISTED:
                    break
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    continue
                if is_dir or entry.name.lower().endswith(SUFFIXES):
                    out.append((entry.name, is_dir))
    except OSError:
        return []
    return sorted(out, key=lambda entry: (is_report(entry[0]), entry[0]))


def _shared_start(names: list[str]) -> str:
    """The longest start all ``names`` share (letter by letter: names, not paths)."""
    first, last = min(names), max(names)
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]


def complete(value: str) -> str | None:
    """What ``value`` (a path being typed) completes to: the longest name all matches share,
    or the first match when they share nothing more; a folder ends in "/". None: nothing."""
    if not value:
        return None
    head, sep, prefix = value.rpartition("/")
    folder_text = head + sep
    folder = Path(folder_text).expanduser() if folder_text else Path(".")
    if not folder_text and value.startswith("~"):
        return None
    matches = [
        (name, is_dir)
        for name, is_dir in _entries(folder)
        if name.startswith(prefix) and (prefix.startswith(".") or not name.startswith("."))
    ]
    sources = [(name, is_dir) for name, is_dir in matches if is_dir or not is_report(name)]
    matches = sources or matches  # a report only when nothing else is there
    if not matches:
        return None
    if len(matches) == 1:
        name, is_dir = matches[0]
        return folder_text + name + ("/" if is_dir else "")
    shared = _shared_start([name for name, _ in matches])
    if len(shared) > len(prefix):
        return folder_text + shared
    name, is_dir = matches[0]
    return folder_text + name + ("/" if is_dir else "")


class PathSuggester(Suggester):
    """Suggests the rest of a folder or file name (.csv, .txt, .xlsx) as it is typed."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        found = complete(value)
        return found if found is not None and found != value else None


class PathInput(Input):
    """An Input with :class:`PathSuggester`: Tab accepts the grey completion (then moves on
    when there is none), as → at the end of the text does."""

    BINDINGS = [Binding("tab", "accept_or_next", show=False)]

    def __init__(self, value: str = "", **kwargs: object) -> None:
        super().__init__(value, suggester=PathSuggester(), **kwargs)  # type: ignore[arg-type]

    @property
    def suggestion(self) -> str:
        """The completion shown in grey ("" when none)."""
        return self._suggestion

    async def action_submit(self) -> None:
        """Enter: a file shown in grey is what is meant (accepted first, then submitted)."""
        shown = self._suggestion
        if (
            shown
            and len(shown) > len(self.value)
            and shown.startswith(self.value)
            and Path(shown).expanduser().is_file()
        ):
            self.value = shown
            self.cursor_position = len(shown)
        await super().action_submit()

    def action_accept_or_next(self) -> None:
        if self._suggestion and len(self._suggestion) > len(self.value):
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


__all__ = ["PathInput", "PathSuggester", "complete", "is_report"]
