"""Export periods: calendar quarters and calendar years, nothing else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_PERIOD_RE = re.compile(r"(?P<year>\d{4})(?:-[Qq](?P<quarter>[1-4]))?")
MIN_YEAR = 2000
MAX_YEAR = 2099
YEAR_SLOT = 4
"""Slot of the year in a calendar year's grid (quarters are slots 0..3)."""


def _period_error(text: str) -> ValueError:
    shown = text if len(text) <= 20 else text[:20] + "…"
    return ValueError(
        f"Periodo no válido {shown!r}: use un trimestre calendario (p. ej. 2026-Q3) o un año "
        f"calendario (p. ej. 2026). / Invalid period {shown!r}: use a calendar quarter "
        "(e.g. 2026-Q3) or a calendar year (e.g. 2026)."
    )


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar quarter (``quarter`` 1..4) or a calendar year (``quarter`` None)."""

    year: int
    quarter: int | None = None

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise _period_error(str(self.year))
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise _period_error(f"{self.year}-Q{self.quarter}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``"2026-Q3"`` (or ``"2026-q3"``) or ``"2026"``; anything else raises
        :class:`ValueError`."""
        match = _PERIOD_RE.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise _period_error(str(text))
        quarter = match.group("quarter")
        year = int(match.group("year"))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _period_error(text)
        return cls(year, int(quarter) if quarter else None)

    @property
    def label(self) -> str:
        """``"2026-Q3"`` or ``"2026"``: the only form in which a period is ever exported."""
        return str(self.year) if self.quarter is None else f"{self.year}-Q{self.quarter}"

    def __str__(self) -> str:
        return self.label

    @property
    def is_year(self) -> bool:
        return self.quarter is None

    @property
    def start(self) -> date:
        """First day of the period."""
        month = 1 if self.quarter is None else 3 * self.quarter - 2
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    def quarters(self) -> tuple[Period, ...]:
        """The calendar quarters the period covers (itself, for a quarter)."""
        if self.quarter is None:
            return tuple(Period(self.year, q) for q in range(1, 5))
        return (self,)

    def year_period(self) -> Period:
        """The calendar year the period belongs to."""
        return Period(self.year)

    @property
    def slot(self) -> int:
        """Position in the year's grid: quarters 0..3, the year :data:`YEAR_SLOT`."""
        return YEAR_SLOT if self.quarter is None else self.quarter - 1

    def linked(self, other: Period) -> bool:
        """Can a release of one period be subtracted from a release of the other? Versions
        of one period, or a year and any period of that year (the year minus its quarters
        gives a quarter back); quarters of different periods, or of different years, are
        not linked."""
        return self.year == other.year and (self == other or self.is_year or other.is_year)

    def sort_key(self) -> tuple[int, int]:
        return (self.year, self.slot)
