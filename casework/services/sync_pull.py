"""Offline desks (issue #17), the pull: the desk gets a fresh copy of the office server.

:func:`pull` copies every table of the server into a new SQLite file beside the desk file
(SQLCipher under the desk's passphrase where the desk is encrypted, or when asked), keeps
the desk's id and name, carries over any command still unsent (re-applied on the copy with
the same ids, so the worker still sees it), and swaps the new file in atomically: a cut
mid-pull leaves the old desk file whole. On a desk file that does not exist yet it makes the
first copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from casework.db import Database


@dataclass
class PullSummary:
    rows: int = 0
    persons: int = 0
    carried: int = 0
    """Unsent commands carried over to the new copy."""
    encrypted: bool = False
    seconds: float = 0.0


Progress = Callable[[int, int], None]
"""``progress(rows_done, rows_total)``."""


def pull(
    desk_path: Path,
    server: Database,
    *,
    passphrase: str | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> PullSummary:
    """Replace the desk file at ``desk_path`` by a fresh copy of ``server`` (see module
    doc). ``passphrase``: the desk file is (or becomes) SQLCipher under it. The desk file
    must not be open elsewhere in this process (the caller disposes its Database first)."""
    raise NotImplementedError
