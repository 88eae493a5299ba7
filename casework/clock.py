"""The current time, with one seam so tests and screenshots can fix "today"."""

from __future__ import annotations

import datetime as dt

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Aware UTC now (or the frozen instant)."""
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The local date the desk is working on."""
    if _frozen is not None:
        return _frozen.astimezone().date()
    return dt.date.today()


def freeze(at: dt.datetime | None) -> None:
    """Fix the clock at ``at`` (aware), or let it run again with None."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at
