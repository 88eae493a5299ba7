"""Periods (calendar quarters and years only) and the policy's thresholds."""

from __future__ import annotations

from datetime import date

import pytest

from casework.disclosure import K_FLOOR, Period, Policy


def test_quarter_parses_with_its_dates() -> None:
    period = Period.parse("2026-Q3")
    assert (period.year, period.quarter, period.label) == (2026, 3, "2026-Q3")
    assert (period.start, period.end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert period.quarters() == (period,)
    assert not period.is_year
    assert Period.parse("2026-Q1").end == date(2026, 3, 31)
    assert Period.parse("2026-Q4").end == date(2026, 12, 31)


def test_year_parses_and_lists_its_quarters() -> None:
    period = Period.parse("2026")
    assert period.is_year
    assert period.label == "2026"
    assert (period.start, period.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert [q.label for q in period.quarters()] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert Period.parse("2026-Q2").year_period() == period


@pytest.mark.parametrize(
    "text",
    [
        "2026-Q5",
        "2026-Q0",
        "2026-07",
        "2026-01-01",
        "2026-01-01..2026-03-31",
        "Q3-2026",
        "2026Q3",
        "",
        "26",
        "1999",
        "2026-q5",
        "2026-H1",
    ],
)
def test_anything_but_a_quarter_or_a_year_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="Periodo no válido") as info:
        Period.parse(text)
    assert "Invalid period" in str(info.value)


def test_a_quarter_typed_in_lowercase_is_read() -> None:
    assert Period.parse(" 2026-q3 ") == Period(2026, 3)
    assert Period.parse("2026-q3").label == "2026-Q3"


def test_linked_periods_are_those_one_can_subtract_from_the_other() -> None:
    q1, q2, year = Period(2026, 1), Period(2026, 2), Period(2026)
    assert q2.linked(Period(2026, 2))  # two versions of one quarter
    assert year.linked(q2) and q2.linked(year)  # the year minus its quarters
    assert year.linked(Period(2026))
    assert not q1.linked(q2) and not q2.linked(q1)  # nothing to subtract between quarters
    assert not Period(2025).linked(q2) and not Period(2025, 2).linked(q2)  # another year


def test_k_below_the_floor_is_refused_in_both_languages() -> None:
    with pytest.raises(ValueError, match="menor que el mínimo") as info:
        Policy(k=K_FLOOR - 1)
    assert "below the allowed floor" in str(info.value)
    assert Policy(k=K_FLOOR).k == 5
    with pytest.raises(ValueError, match="rounding base"):
        Policy(rounding_base=0)
    with pytest.raises(TypeError):
        Policy(k=10.0)  # type: ignore[arg-type]


def test_rounding_is_deterministic_and_never_below_k() -> None:
    policy = Policy()
    assert [policy.round_count(v) for v in (0, 10, 12, 13, 17, 18, 102)] == [
        0,
        10,
        10,
        15,
        15,
        20,
        100,
    ]
    seven = Policy(k=7)
    assert [seven.round_count(v) for v in (7, 8, 12, 13)] == [10, 10, 10, 15]
    assert Policy(rounding_base=1).round_count(11) == 11
    assert Policy().min_table_total == 30
