"""Pages of a long list: the rows asked for, with the true number of rows in the list.

A screen never shows ``len(page)`` as a total: every list service returns a :class:`Page`
(a list of its rows, so callers that want the rows keep working) carrying ``total``, the
COUNT of the whole list, and ``offset``, where the page starts in it. ``offset=-1`` asks for
the last page (End). A page in the far half of the list is read in the reverse order from
its end, so that End costs what Home costs instead of skipping every row before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

T = TypeVar("T")

LAST: int = -1
"""The offset that asks for the last page of a list."""


class Page(list[T]):
    """The rows of one page, in list order, with ``total`` (rows in the whole list) and
    ``offset`` (index of the first row of the page in the whole list)."""

    def __init__(self, rows: Iterable[T] = (), total: int | None = None, offset: int = 0):
        super().__init__(rows)
        self.total = len(self) if total is None else total
        self.offset = offset

    def mapped(self, rows: Iterable[Any]) -> Page[Any]:
        """The same page position with other rows (the rows converted for output)."""
        return Page(rows, self.total, self.offset)


Order = Sequence[tuple[Any, bool]]
"""The order of a list: ``(column, descending)`` pairs, ending with a unique column so that
every row has one place (pages neither repeat nor skip a row)."""


def count(session: Session, stmt: Any) -> int:
    """How many rows ``stmt`` selects (a COUNT, not the length of a page)."""
    inner = stmt.order_by(None).limit(None).offset(None).subquery()
    return int(session.scalar(sa.select(sa.func.count()).select_from(inner)) or 0)


def fetch(
    session: Session, stmt: Any, order: Order, *, offset: int = 0, limit: int | None
) -> Page[Any]:
    """Rows (``sa.Row``) ``offset .. offset+limit`` of the select ``stmt`` in ``order``
    (``limit=None``: all the rest), with the list's total. ``offset`` past the end gives
    the last page; :data:`LAST` too."""
    total = count(session, stmt)
    if limit is None:
        limit = max(total, 1)
    if offset < 0 or offset >= total:
        offset = max(0, total - limit)
    n = max(0, min(limit, total - offset))
    if n == 0:
        return Page([], total, offset)
    forward = [(col.desc() if desc else col.asc()) for col, desc in order]
    if offset > total - offset - n:  # nearer the end: read back from the end
        backward = [(col.asc() if desc else col.desc()) for col, desc in order]
        rows = list(session.execute(stmt.order_by(*backward).offset(total - offset - n).limit(n)))
        rows.reverse()
    else:
        rows = list(session.execute(stmt.order_by(*forward).offset(offset).limit(n)))
    return Page(rows, total, offset)
