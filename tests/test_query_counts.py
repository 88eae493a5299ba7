"""No screen sends one query per row: the day screen's lists cost the same number of
statements for 3 referrals waiting as for 30 (issue #19: the day screen sent 513)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from casework.db import Database
from casework.services import desk, persons, referrals
from casework.services.context import Context

from .factories import intake_data


def _waiting(ctx: Context, person_id: uuid.UUID, count: int) -> None:
    for i in range(count):
        referrals.create(
            ctx,
            person_id,
            {
                "destination": "cesfam",
                "reason": f"Inscripción en salud {i}",
                "consent_given": True,
            },
        )


def _statements(database: Database, call: Any) -> int:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_day_screen_costs_the_same_for_3_or_30_referrals_waiting(
    ctx: Context, database: Database
) -> None:
    person = persons.register_intake(ctx, intake_data()).person_id
    _waiting(ctx, person, 3)
    few = _statements(database, lambda: desk.day(ctx, limit=50))
    assert len(desk.day(ctx, limit=50).waiting) == 3
    _waiting(ctx, person, 27)
    many = _statements(database, lambda: desk.day(ctx, limit=50))
    day = desk.day(ctx, limit=50)
    assert len(day.waiting) == 30
    assert all(r.events for r in day.waiting)  # each with its history, read in one query
    assert many == few, (few, many)


def test_a_persons_referrals_cost_the_same_for_3_or_30(ctx: Context, database: Database) -> None:
    person = persons.register_intake(ctx, intake_data()).person_id
    _waiting(ctx, person, 3)
    few = _statements(database, lambda: referrals.for_person(ctx, person))
    _waiting(ctx, person, 27)
    many = _statements(database, lambda: referrals.for_person(ctx, person))
    listed = referrals.for_person(ctx, person)
    assert len(listed) == 30 and all(r.events for r in listed)
    assert many == few, (few, many)
