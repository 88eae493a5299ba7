"""Who may open which screen and use which control: services/permissions.py, the one place
the desk asks (the services' gate stays the authority for the data)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from casework import clock
from casework.db import Database
from casework.services import desk, permissions, persons, rights
from casework.services.context import Context
from casework.services.permissions import (
    ADMIN,
    AUDIT,
    CASELOAD,
    DEDUPE,
    IMPORT,
    PANEL,
    RETENTION,
    RIGHTS,
)
from casework.services.schemas import WorkerOut

from .factories import intake_data, schedule_follow_up


def _worker(role: str, office_wide: bool = False) -> WorkerOut:
    return WorkerOut(
        id=uuid.uuid4(),
        username=role,
        full_name=f"Persona {role}",
        role=role,
        programme_id=uuid.uuid4(),
        active=True,
        office_wide=office_wide,
    )


DESK, SUPERVISOR, OFFICE, ADMINISTRATOR = (
    _worker("worker"),
    _worker("supervisor"),
    _worker("supervisor", office_wide=True),
    _worker("admin"),
)

OPENS = {
    # screen: (nobody, desk worker, supervisor, office-wide supervisor, administrator)
    CASELOAD: (False, False, True, True, False),
    DEDUPE: (False, False, True, True, False),
    RIGHTS: (False, False, True, True, False),
    PANEL: (False, False, True, True, True),
    AUDIT: (False, False, True, True, True),
    RETENTION: (False, False, True, True, True),
    ADMIN: (False, False, False, False, True),
    IMPORT: (False, False, True, True, True),
    "today": (False, True, True, True, True),
    "find": (False, True, True, True, True),
}


@pytest.mark.parametrize("screen", sorted(OPENS))
def test_who_opens_which_screen(screen: str) -> None:
    who = (None, DESK, SUPERVISOR, OFFICE, ADMINISTRATOR)
    assert tuple(permissions.may_open(w, screen) for w in who) == OPENS[screen]


def test_screens_for_lists_what_may_open_allows() -> None:
    for worker in (None, DESK, SUPERVISOR, OFFICE, ADMINISTRATOR):
        allowed = permissions.screens_for(worker)
        assert allowed <= permissions.RESTRICTED_SCREENS
        for screen in permissions.RESTRICTED_SCREENS:
            assert (screen in allowed) == permissions.may_open(worker, screen)


def test_controls_by_role() -> None:
    who = (None, DESK, SUPERVISOR, OFFICE, ADMINISTRATOR)
    assert [permissions.may_override_consent(w) for w in who] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert [permissions.may_read_person_trail(w) for w in who] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert [permissions.may_set_retention_periods(w) for w in who] == [
        False,
        False,
        False,
        False,
        True,
    ]
    assert [permissions.sees_rights_due(w) for w in who] == [False, False, True, True, False]


# The day's read model decides what is overdue and who sees the rights requests ------------


def test_the_day_marks_what_is_overdue_and_lists_requests_for_supervisors(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    desk_ctx = Context(database, worker.id)
    pid = persons.register_intake(desk_ctx, intake_data()).person_id
    today = clock.today()
    late = schedule_follow_up(
        desk_ctx, pid, {"due_on": today - dt.timedelta(days=2), "what": "Llamar al CESFAM"}
    )
    now = schedule_follow_up(desk_ctx, pid, {"due_on": today, "what": "Revisar documentos"})
    rights.register(desk_ctx, {"person_id": pid, "kind": "access"})

    day = desk.day(desk_ctx)
    assert [f.id for f in day.due] == [late, now]
    assert day.overdue == {late} and day.overdue_count == 1
    assert day.rights == []  # a desk worker does not handle the requests

    supervising = Context(database, supervisor.id)
    assert desk.day(supervising).rights == []  # not due within the week yet
    due_on = rights.due(supervising)[0].due_on
    clock.freeze(dt.datetime.combine(due_on, dt.time(12)).astimezone() - dt.timedelta(days=3))
    try:
        seen = desk.day(supervising)
    finally:
        clock.freeze(None)
    assert [r.person_id for r in seen.rights] == [pid]
    assert seen.names[str(pid)] == "Yesenia Carolina Rondón Briceño"


@pytest.mark.parametrize(
    ("day", "period"), [(dt.date(2026, 2, 10), "2025-Q4"), (dt.date(2026, 11, 23), "2026-Q3")]
)
def test_the_panel_proposes_the_last_quarter_that_ended(day: dt.date, period: str) -> None:
    clock.freeze(dt.datetime.combine(day, dt.time(12)).astimezone())
    try:
        assert desk.last_quarter() == period
    finally:
        clock.freeze(None)
