"""Who may open a person's file and at what cost (services/person_file.py), and the case's
vulnerability flags (services/cases.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.errors import InvalidInput, NotAllowed
from casework.models import AuditEvent, Case
from casework.services import cases, person_file, persons, staff, visibility
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data


def _colleague(database: Database, admin: WorkerOut, username: str = "otra") -> Context:
    other = staff.create_worker(
        Context(database, admin.id),
        {"username": username, "full_name": "Otra Persona", "programme_code": "OFMIG"},
    )
    return Context(database, other.id)


def _views(database: Database, person_id: uuid.UUID) -> list[AuditEvent]:
    with database.read() as s:
        return list(
            s.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.person_id == person_id, AuditEvent.action == "view"
                )
            )
        )


def _case(database: Database, person_id: uuid.UUID) -> Case:
    with database.read() as s:
        return s.scalars(sa.select(Case).where(Case.person_id == person_id)).one()


# Access to the file ------------------------------------------------------------------------


def test_access_is_own_programme_or_outside(
    ctx: Context, database: Database, admin: WorkerOut, supervisor: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    other = _colleague(database, admin)
    staff.create_programme(Context(database, admin.id), {"code": "OMIL", "name": "OMIL"})
    elsewhere = staff.create_worker(
        Context(database, admin.id),
        {
            "username": "omil",
            "full_name": "Supervisora OMIL",
            "role": "supervisor",
            "programme_code": "OMIL",
        },
    )
    assert person_file.access(ctx, pid) == "own"
    assert person_file.access(Context(database, supervisor.id), pid) == "programme"
    assert person_file.access(other, pid) == "outside"
    assert person_file.access(Context(database, elsewhere.id), pid) == "outside"
    # Admins manage the office; they do not read files silently.
    assert person_file.access(Context(database, admin.id), pid) == "outside"
    with pytest.raises(NotAllowed):  # nobody signed in stands nowhere: refused
        person_file.access(Context(database), pid)
    # An office-wide supervisor's programme is the whole office.
    wide = staff.create_worker(
        Context(database, admin.id),
        {
            "username": "jefa",
            "full_name": "Jefa de Oficina",
            "role": "supervisor",
            "programme_code": "OMIL",
            "office_wide": True,
        },
    )
    assert person_file.access(Context(database, wide.id), pid) == "office"


def test_an_outside_view_needs_a_reason_and_records_only_its_code(
    ctx: Context, database: Database, admin: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    other = _colleague(database, admin)
    with pytest.raises(NotAllowed) as refused:
        person_file.get_person(other, pid)
    assert refused.value.code == "reason_required"
    assert _views(database, pid) == []  # refused: no view recorded
    with pytest.raises(InvalidInput):
        person_file.get_person(other, pid, reason="curiosidad")
    assert _views(database, pid) == []

    detail = person_file.get_person(other, pid, reason="colleague_help")
    assert detail.given_names == "Yesenia Carolina"
    [view] = _views(database, pid)
    assert view.worker_id == other.actor_id
    assert view.details == {"access": "outside", "reason": "colleague_help", "what": "detail"}

    # Her own caseload opens as before, without a reason and without one recorded.
    person_file.get_person(ctx, pid)
    assert [v.details for v in _views(database, pid) if v.worker_id == ctx.actor_id] == [
        {"access": "own", "what": "detail"}
    ]


def test_a_contact_recorded_at_the_desk_makes_the_person_part_of_the_caseload(
    ctx: Context, database: Database, admin: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    other = _colleague(database, admin)
    assert person_file.access(other, pid) == "outside"
    person_file.get_person(other, pid, reason="desk_visit")
    # Recording the visit is no way around the reason: without it nothing is written.
    with pytest.raises(NotAllowed) as refused:
        persons.record_contact(other, pid, {"reasons": ["health"]})
    assert refused.value.code == "reason_required"
    assert person_file.access(other, pid) == "outside"
    persons.record_contact(other, pid, {"reasons": ["health"]}, reason="desk_visit")
    assert person_file.access(other, pid) == "own"
    person_file.get_person(other, pid)  # no reason asked any more


# Case flags ----------------------------------------------------------------------------------


def test_the_case_worker_sets_flags_audited_without_values(
    ctx: Context, database: Database
) -> None:
    result = persons.register_intake(ctx, intake_data())
    current = cases.current_case(ctx, result.person_id)
    assert current is not None and current.case_id == result.case_id
    assert current.editable and current.flags == []
    assert "violence" in current.choices

    assert cases.set_flags(ctx, result.case_id, ["violence", "children"]) is True
    assert _case(database, result.person_id).flags == ["children", "violence"]
    with database.read() as s:
        [event] = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity == "case", AuditEvent.action == "update")
        ).all()
    assert event.entity_id == result.case_id and event.person_id == result.person_id
    # Which flag codes came and went (the trail is read by supervisors, who see them all).
    assert event.details == {"fields": ["flags"], "added": ["children", "violence"], "removed": []}

    # Unchanged: nothing written, not even an audit row.
    assert cases.set_flags(ctx, result.case_id, ["children", "violence"]) is False
    with database.read() as s:
        n = s.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.entity == "case")
        )
    assert n == 1


def test_unknown_flags_are_refused(ctx: Context) -> None:
    result = persons.register_intake(ctx, intake_data())
    with pytest.raises(InvalidInput) as bad:
        cases.set_flags(ctx, result.case_id, ["children", "rich"])
    assert bad.value.errors[0].code == "unknown_flag"


def test_only_the_case_worker_or_a_supervisor_of_the_programme_set_flags(
    ctx: Context, database: Database, admin: WorkerOut, supervisor: WorkerOut
) -> None:
    result = persons.register_intake(ctx, intake_data())
    other = _colleague(database, admin)
    with pytest.raises(NotAllowed) as refused:
        cases.set_flags(other, result.case_id, ["pregnancy"])
    assert refused.value.code == "not_case_worker"
    with pytest.raises(NotAllowed) as refused:
        cases.current_case(other, result.person_id)  # outside her caseload: why?
    assert refused.value.code == "reason_required"
    seen = cases.current_case(other, result.person_id, reason="colleague_help")
    assert seen is not None and not seen.editable
    assert cases.set_flags(Context(database, supervisor.id), result.case_id, ["pregnancy"])
    with pytest.raises(NotAllowed) as refused:  # administrators manage staff, not files
        cases.set_flags(Context(database, admin.id), result.case_id, ["disability"])
    assert refused.value.code == "not_case_worker"
    assert _case(database, result.person_id).flags == ["pregnancy"]


def test_flags_a_reader_cannot_see_are_kept_when_they_save(
    ctx: Context, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = persons.register_intake(ctx, intake_data())
    with database.write() as s:
        row = s.get(Case, result.case_id)
        assert row is not None
        row.flags = ["trafficking", "children", "legacy_flag"]
    # Suppose the office hides the extra-sensitive flags even from the case's worker.
    monkeypatch.setattr(visibility, "sees_case", lambda reader, _wid: visibility.sees_all(reader))
    current = cases.current_case(ctx, result.person_id)
    assert current is not None
    assert current.flags == ["children", "legacy_flag"]
    assert "trafficking" not in current.choices
    # She unticks "children", ticks "pregnancy" and even tries "violence" she cannot see.
    assert cases.set_flags(ctx, result.case_id, ["pregnancy", "violence"])
    assert _case(database, result.person_id).flags == ["pregnancy", "trafficking", "legacy_flag"]


def test_the_current_case_is_the_readers_own_open_one(
    ctx: Context, database: Database, admin: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    staff.create_programme(Context(database, admin.id), {"code": "OMIL", "name": "OMIL"})
    omil = staff.create_worker(
        Context(database, admin.id),
        {"username": "omil", "full_name": "Olga Omil", "programme_code": "OMIL"},
    )
    omil_ctx = Context(database, omil.id)
    persons.record_contact(omil_ctx, pid, {"reasons": ["work"]}, reason="desk_visit")
    mine = cases.current_case(omil_ctx, pid)
    assert mine is not None and mine.programme_name == "OMIL" and mine.editable
    hers = cases.current_case(ctx, pid)
    assert hers is not None and hers.programme_name == "Oficina de Migrantes"
