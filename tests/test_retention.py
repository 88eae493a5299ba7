"""Retention: closed cases past their period come up for review; a supervisor keeps them
for a stated reason or anonymises them, and anonymising really erases the person."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import clock
from casework.cli import main
from casework.db import Database
from casework.errors import Conflict, InvalidInput, NotAllowed
from casework.models import AuditEvent, Case, Person, RetentionReview, Tombstone
from casework.services import person_file, persons, retention
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

NOW = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    clock.freeze(NOW)
    yield
    clock.freeze(None)


def _person(ctx: Context, name: str, doc: str) -> tuple[uuid.UUID, uuid.UUID]:
    data = person_data(given_names=name, documents=[{"type": "passport", "number": doc}])
    result = persons.register_intake(ctx, intake_data(data), allow_likely=True)
    return result.person_id, result.case_id


def _close(db: Database, case_id: uuid.UUID, years_ago: float) -> None:
    with db.write() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.opened_at = NOW - dt.timedelta(days=365 * years_ago + 30)
        case.status = "closed"
        case.closed_at = NOW - dt.timedelta(days=365 * years_ago)
        case.closing_reason = "Objetivos cumplidos"


def test_only_closed_cases_past_the_period_come_up_for_review(
    ctx: Context, database: Database, supervisor: WorkerOut, admin: WorkerOut
) -> None:
    sup = Context(database, supervisor.id)
    old, old_case = _person(ctx, "Marisol", "RT0000001")
    _recent, recent_case = _person(ctx, "Ramona", "RT0000002")
    _open, _ = _person(ctx, "Esperanza", "RT0000003")
    _close(database, old_case, 6)
    _close(database, recent_case, 2)
    [item] = retention.review_queue(sup)
    assert (item.case_id, item.person_id, item.blocked_by) == (old_case, old, 0)
    assert item.person_name.startswith("Marisol")
    assert item.review_since < clock.today()
    with pytest.raises(NotAllowed):
        retention.review_queue(ctx)  # a desk worker does not see the queue

    # An admin shortens the period to one year: the recent case comes up too.
    with pytest.raises(NotAllowed):
        retention.set_policy(sup, {"record_type": "closed_case", "months": 12})
    with pytest.raises(InvalidInput):
        retention.set_policy(Context(database, admin.id), {"record_type": "notes", "months": 1})
    retention.set_policy(Context(database, admin.id), {"record_type": "closed_case", "months": 12})
    assert [p.months for p in retention.policies(sup)] == [12]
    assert [i.case_id for i in retention.review_queue(sup)] == [old_case, recent_case]


def test_keeping_needs_a_reason_and_brings_the_case_back_after_the_date(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    sup = Context(database, supervisor.id)
    _, case_id = _person(ctx, "Marisol", "RT0000001")
    _close(database, case_id, 6)
    with pytest.raises(Conflict) as err:
        retention.keep(sup, case_id, "   ")
    assert err.value.code == "keep_needs_reason"
    with pytest.raises(NotAllowed):
        retention.keep(ctx, case_id, "Causa judicial pendiente")
    until = retention.keep(sup, case_id, "Causa judicial pendiente")
    assert until == dt.date(2027, 11, 23)
    assert retention.review_queue(sup) == []
    with pytest.raises(Conflict) as err:
        retention.anonymise(sup, case_id)
    assert err.value.code == "retention_not_due"
    clock.freeze(NOW + dt.timedelta(days=370))
    [back] = retention.review_queue(sup)
    assert back.kept_until == until
    with database.read() as s:
        [event] = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "retention_keep"))
        assert "Causa" not in json.dumps(event.details)  # the reason stays in the review row
        assert s.scalar(sa.select(RetentionReview.reason)) == "Causa judicial pendiente"


def test_anonymising_erases_the_person_and_leaves_only_a_tombstone(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    sup = Context(database, supervisor.id)
    person_id, case_id = _person(ctx, "Marisol", "RT0000001")
    other, _ = _person(ctx, "Ramona", "RT0000002")
    _close(database, case_id, 6)
    with pytest.raises(NotAllowed):
        retention.anonymise(ctx, case_id)
    report = retention.anonymise(sup, case_id)
    assert report.rows["person"] == 1
    assert retention.review_queue(sup) == []
    with database.read() as s:
        assert s.get(Person, person_id) is None
        assert s.get(Person, other) is not None
        [stone] = s.scalars(sa.select(Tombstone)).all()
        assert (stone.person_id, stone.reason) == (person_id, "retention")
        trail = s.scalars(sa.select(AuditEvent).where(AuditEvent.person_id == person_id)).all()
        assert "retention_anonymise" in {e.action for e in trail}
        assert all("Marisol" not in json.dumps(e.details) for e in trail)
    assert person_file.get_person(sup, other).given_names == "Ramona"
    path = database.file_path
    if path is not None:
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert b"Marisol" not in raw and b"RT0000001" not in raw


def test_a_person_with_another_current_case_is_not_anonymised(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    sup = Context(database, supervisor.id)
    person_id, case_id = _person(ctx, "Marisol", "RT0000001")
    _close(database, case_id, 6)
    persons.record_contact(ctx, person_id, {"reasons": ["housing"]})  # opens a new case
    [item] = retention.review_queue(sup)
    assert item.blocked_by == 1
    with pytest.raises(Conflict) as err:
        retention.anonymise(sup, case_id)
    assert err.value.code == "retention_other_case"
    assert person_file.get_person(sup, person_id).given_names == "Marisol"
    retention.keep(sup, case_id, "Sigue en atención", dt.date(2027, 6, 1))
    assert retention.review_queue(sup) == []


def test_cli_lists_the_review_queue(
    ctx: Context,
    database: Database,
    supervisor: WorkerOut,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    if database.file_path is None:
        pytest.skip("the CLI test runs on the SQLite file")
    _, case_id = _person(ctx, "Marisol", "RT0000001")
    creyes = cli_user(database, "creyes")
    assert main(["retention", "review", "--db", str(database.file_path), *creyes]) == 0
    assert "No hay casos" in capsys.readouterr().out
    _close(database, case_id, 6)
    assert main(["retention", "review", "--db", str(database.file_path), *creyes]) == 0
    out = capsys.readouterr().out
    assert str(case_id) in out and "Marisol" not in out
    assert main(["retention", "policy", "--db", str(database.file_path)]) == 0
    assert "closed_case: 60" in capsys.readouterr().out
