"""The duplicate matcher's denominators: how many values of each kind person_key counts."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.models.base import Base


class MatchTotal(Base):
    """With ``key`` "": the rows of one frequency kind of person_key (``f.sur``,
    ``g.giv.VEN``, ``f.person`` ...), a denominator. With a key: the rows of one common value
    (more holders than services/match_records.py:COMMON), whose count a check would
    otherwise walk. Counted in SQL by services/match_records.py:refresh_totals; the
    rarer values' counts are read live from person_key. These change slowly and are
    recounted every few minutes (services/likely.py), so they may be that old. Any desk may
    recount: the last writer wins."""

    __tablename__ = "match_total"

    kind: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True, default="")
    n: Mapped[int] = mapped_column(sa.BigInteger)
    counted_at: Mapped[dt.datetime]
