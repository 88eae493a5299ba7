"""The write rule (issue #12, "no way around a rule"): a write to one person's file by a
worker outside its caseload and programme needs the reason the file was opened with, is
refused without one (nothing written) and records the reason in its audit row.
tests/test_permission_matrix.py proves every write for every kind of actor; these follow
what a desk worker of another programme, and an administrator, actually see."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.errors import InvalidInput, NotAllowed
from casework.models import AuditEvent, FollowUp, Note
from casework.services import followups, persons, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, schedule_follow_up


@pytest.fixture
def other_desk(database: Database, admin: WorkerOut) -> Context:
    """A desk worker of another programme (OMIL), with no case of the person."""
    admin_ctx = Context(database, admin.id)
    staff.create_programme(admin_ctx, {"code": "OMIL", "name": "OMIL"})
    made = staff.create_worker(
        admin_ctx, {"username": "omil", "full_name": "Otra Oficina", "programme_code": "OMIL"}
    )
    return Context(database, made.id)


def _notes(database: Database, person_id: uuid.UUID) -> list[str]:
    with database.read() as s:
        return list(s.scalars(sa.select(Note.text).where(Note.person_id == person_id)))


def _rows(database: Database, entity: str) -> list[AuditEvent]:
    with database.read() as s:
        return list(
            s.scalars(
                sa.select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.at)
            )
        )


def test_another_programmes_desk_adds_a_note_only_with_the_files_reason(
    database: Database, ctx: Context, other_desk: Context
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id

    with pytest.raises(NotAllowed) as refused:
        persons.add_note(other_desk, pid, {"text": "Pasó por la oficina."})
    assert refused.value.code == "reason_required"
    assert _notes(database, pid) == []
    assert _rows(database, "note") == []

    with pytest.raises(InvalidInput):
        persons.add_note(other_desk, pid, {"text": "Pasó por la oficina."}, reason="curiosity")
    assert _notes(database, pid) == []

    persons.add_note(other_desk, pid, {"text": "Pasó por la oficina."}, reason="desk_visit")
    assert _notes(database, pid) == ["Pasó por la oficina."]
    [row] = _rows(database, "note")
    assert row.worker_id == other_desk.actor_id
    assert row.person_id == pid
    assert row.details == {"access": "outside", "reason": "desk_visit"}

    # The person's own worker writes without being asked, and no reason is recorded.
    persons.add_note(ctx, pid, {"text": "Seguimiento."})
    assert _rows(database, "note")[-1].details in ({}, None)


def test_a_write_by_id_checks_the_persons_file_too(
    database: Database, ctx: Context, other_desk: Context
) -> None:
    """A follow-up closed by its id: the rule follows it to its person."""
    pid = persons.register_intake(ctx, intake_data()).person_id
    fu = schedule_follow_up(ctx, pid, {"due_on": dt.date(2026, 12, 1), "what": "Llamar"})

    with pytest.raises(NotAllowed):
        followups.close(other_desk, fu, {"status": "done", "outcome": "Listo"})
    with database.read() as s:
        row = s.get(FollowUp, fu)
        assert row is not None and row.status == "pending"

    followups.close(other_desk, fu, {"status": "done", "outcome": "Listo"}, reason="colleague_help")
    closed = [r for r in _rows(database, "follow_up") if r.action == "done"]
    assert [r.details for r in closed] == [{"access": "outside", "reason": "colleague_help"}]


def test_an_administrator_writes_to_a_file_only_with_its_reason(
    database: Database, ctx: Context, admin: WorkerOut
) -> None:
    """Administrators manage staff: on a person's file they write as anyone outside it."""
    pid = persons.register_intake(ctx, intake_data()).person_id
    admin_ctx = Context(database, admin.id)
    with pytest.raises(NotAllowed):
        persons.change_status(admin_ctx, pid, {"status": "no_permit"})
    assert [r for r in _rows(database, "migration_status") if r.worker_id == admin.id] == []

    persons.change_status(admin_ctx, pid, {"status": "no_permit"}, reason="other")
    [row] = [r for r in _rows(database, "migration_status") if r.worker_id == admin.id]
    assert row.details == {"access": "outside", "reason": "other"}
