"""The current time, with one seam so tests and screenshots can fix "today"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_frozen: dt.datetime | None = None
_replayed_at: ContextVar[dt.datetime | None] = ContextVar("casework_replayed_at", default=None)


def now() -> dt.datetime:
    """Aware UTC now (or the frozen instant, or the moment a replayed command was made)."""
    at = _replayed_at.get()
    if at is not None:
        return at
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The local date the desk is working on."""
    at = _replayed_at.get() or _frozen
    if at is not None:
        return at.astimezone().date()
    return dt.date.today()


@contextmanager
def as_of(at: dt.datetime | None) -> Iterator[None]:
    """Within this block (this thread or task only), "now" is ``at``: an offline desk's
    command replayed on the server is dated when the worker did it, not when it synced."""
    if at is not None and at.tzinfo is None:
        raise ValueError("as_of() needs an aware datetime")
    token = _replayed_at.set(at)
    try:
        yield
    finally:
        _replayed_at.reset(token)


def freeze(at: dt.datetime | None) -> None:
    """Fix the clock at ``at`` (aware), or let it run again with None."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at
