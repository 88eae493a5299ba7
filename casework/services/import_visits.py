"""`casework import visits`: a sheet of attentions (one row per visit) onto the persons'
timelines. Placeholder signature; the body lands with its own change."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from casework.models.enums import Role
from casework.services.context import Context
from casework.services.import_types import ImportReport, Progress, ReadOptions


def import_visits(
    ctx: Context,
    path: Path,
    options: ReadOptions | None = None,
    *,
    programme: str | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Each row's visit on its person's timeline (``programme``: the programme of rows that
    name none). ``dry_run``: the preview, nothing written."""
    with ctx.db.read() as session:
        ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
    return ImportReport(dry_run=dry_run)


__all__ = ["import_visits"]
