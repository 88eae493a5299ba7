"""Reassigning cases and a worker's whole work, deactivation that leaves nothing orphaned,
and transfers to another programme (services/assignment.py), on SQLite and PostgreSQL,
with the races of two desks at once."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from functools import partial

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.errors import CaseworkError, Conflict, EditConflict, InvalidInput, NotAllowed
from casework.i18n import t
from casework.models import AuditEvent, Case, CaseTransfer, FollowUp
from casework.services import assignment, person_file, persons, referrals, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data, schedule_follow_up
from .test_concurrency_races import at_once

REPEAT = 6


@dataclass
class Office:
    db: Database
    admin: Context
    sup: Context
    desk: Context
    """Daniela, the worker whose cases move."""
    other: Context
    """Another OFMIG worker."""
    third: Context
    omil_sup: Context
    omil_desk: Context
    omil_id: uuid.UUID
    n: int = 0

    def person(self, by: Context | None = None, follow_ups: int = 1) -> tuple[uuid.UUID, uuid.UUID]:
        self.n += 1
        data = person_data(
            given_names=f"Persona{self.n:03d}",
            documents=[{"type": "passport", "number": f"AS{self.n:06d}"}],
        )
        made = persons.register_intake(by or self.desk, intake_data(data), allow_likely=True)
        for i in range(follow_ups):
            schedule_follow_up(
                by or self.desk,
                made.person_id,
                {"due_on": dt.date(2030, 1, 1 + i), "what": "Llamar", "case_id": made.case_id},
            )
        return made.person_id, made.case_id


def _make(admin: Context, username: str, programme: str, role: str = "worker") -> Context:
    made = staff.create_worker(
        admin,
        {
            "username": username,
            "full_name": f"Persona {username}",
            "programme_code": programme,
            "role": role,
        },
    )
    return Context(admin.db, made.id)


@pytest.fixture
def office(
    database: Database, admin: WorkerOut, worker: WorkerOut, supervisor: WorkerOut
) -> Office:
    a = Context(database, admin.id)
    omil = staff.create_programme(a, {"code": "OMIL", "name": "OMIL"})
    return Office(
        database,
        a,
        Context(database, supervisor.id),
        Context(database, worker.id),
        _make(a, "otra", "OFMIG"),
        _make(a, "tercera", "OFMIG"),
        _make(a, "supomil", "OMIL", "supervisor"),
        _make(a, "deskomil", "OMIL"),
        omil.id,
    )


def _case(db: Database, case_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    with db.read() as s:
        row = s.get(Case, case_id)
        assert row is not None
        return row.worker_id, row.programme_id


def _pending_of(db: Database, worker_id: uuid.UUID | None) -> int:
    with db.read() as s:
        return int(
            s.scalar(
                sa.select(sa.func.count()).where(
                    FollowUp.worker_id == worker_id, FollowUp.status == "pending"
                )
            )
            or 0
        )


def test_a_supervisor_reassigns_one_case_with_its_follow_ups(office: Office) -> None:
    pid, cid = office.person(follow_ups=2)
    moved = assignment.reassign_case(
        office.sup,
        cid,
        {"to_worker_id": office.other.actor_id, "base_worker_id": office.desk.actor_id},
    )
    assert (moved.cases, moved.follow_ups) == (1, 2)
    assert _case(office.db, cid)[0] == office.other.actor_id
    assert _pending_of(office.db, office.other.actor_id) == 2
    assert _pending_of(office.db, office.desk.actor_id) == 0
    with office.db.read() as s:
        ev = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "reassign")).one()
        assert ev.person_id == pid and ev.worker_id == office.sup.actor_id
    entries = person_file.timeline(office.sup, pid)
    shown = [e for e in entries if e.kind == "assign_reassign"]
    assert shown and shown[0].data["to_worker"] == "Persona otra"


def test_a_reassigned_case_takes_its_open_referrals_along(office: Office) -> None:
    pid, cid = office.person()
    rid = referrals.create(
        office.desk, pid, {"destination": "cesfam", "reason": "Control", "consent_given": True}
    )
    assignment.reassign_case(
        office.sup,
        cid,
        {"to_worker_id": office.other.actor_id, "base_worker_id": office.desk.actor_id},
    )
    # The receiving worker now waits on it; the one who handed the case on no longer does.
    waiting = {r.id for r in referrals.waiting(office.other)}
    assert rid in waiting
    assert rid not in {r.id for r in referrals.waiting(office.desk)}


def test_only_a_supervisor_of_the_programme_reassigns(office: Office) -> None:
    _pid, cid = office.person()
    data = {"to_worker_id": office.other.actor_id, "base_worker_id": office.desk.actor_id}
    for who in (office.desk, office.omil_sup, office.admin):
        with pytest.raises(NotAllowed):
            assignment.reassign_case(who, cid, data)
    # The receiving worker must be of the case's programme.
    with pytest.raises(InvalidInput):
        assignment.reassign_case(
            office.sup,
            cid,
            {"to_worker_id": office.omil_desk.actor_id, "base_worker_id": office.desk.actor_id},
        )
    assert _case(office.db, cid)[0] == office.desk.actor_id


def test_reassigning_all_of_a_workers_work(office: Office) -> None:
    for _ in range(3):
        office.person(follow_ups=2)
    load = assignment.workload(office.sup, office.desk.actor_id)  # type: ignore[arg-type]
    assert (load.open_cases, load.pending_follow_ups) == (3, 6)
    with office.db.read() as s:
        before = dict(s.execute(sa.select(Case.id, Case.version)).all())
    assert {c.full_name for c in load.receivers} >= {"Persona otra", "Persona tercera"}
    moved = assignment.reassign_work(
        office.admin,
        office.desk.actor_id,  # type: ignore[arg-type]
        {"to_worker_id": office.other.actor_id},
    )
    assert (moved.cases, moved.follow_ups) == (3, 6)
    assert _pending_of(office.db, office.desk.actor_id) == 0
    with office.db.read() as s:
        events = s.execute(
            sa.select(AuditEvent.person_id, AuditEvent.details).where(
                AuditEvent.action == "reassign"
            )
        ).all()
        assert len(events) == 3 and all(p is not None for p, _ in events)
        assert [d["follow_ups"] for _, d in events] == [2, 2, 2]
        after = dict(s.execute(sa.select(Case.id, Case.version)).all())
        assert {k: v - 1 for k, v in after.items()} == before  # each row moved on once
    some_person = events[0][0]
    assert any(e.kind == "assign_reassign" for e in person_file.timeline(office.sup, some_person))
    empty = assignment.workload(office.sup, office.desk.actor_id)  # type: ignore[arg-type]
    assert empty.empty
    with pytest.raises(NotAllowed):
        assignment.reassign_work(
            office.omil_sup,
            office.other.actor_id,  # type: ignore[arg-type]
            {"to_worker_id": office.third.actor_id},
        )


def test_deactivation_asks_where_the_work_goes(office: Office) -> None:
    office.person(follow_ups=1)
    desk_id = office.desk.actor_id
    assert desk_id is not None
    with pytest.raises(Conflict) as refused:
        staff.set_active(office.admin, desk_id, False)
    assert refused.value.code == "assign_needs_receiver"
    assert "1 caso(s)" in refused.value.message("es")
    assert staff.get_worker(office.admin, desk_id).active
    # An OMIL colleague is no receiver of OFMIG's work.
    with pytest.raises(InvalidInput):
        staff.set_active(office.admin, desk_id, False, receiver=office.omil_desk.actor_id)
    assert staff.get_worker(office.admin, desk_id).active
    out = staff.set_active(office.admin, desk_id, False, receiver=office.other.actor_id)
    assert not out.active
    assert _pending_of(office.db, desk_id) == 0
    assert _pending_of(office.db, office.other.actor_id) == 1
    # A worker with no open work is deactivated as before.
    assert not staff.set_active(office.admin, office.third.actor_id, False).active  # type: ignore[arg-type]


def test_an_inactive_worker_receives_nothing(office: Office) -> None:
    _pid, cid = office.person(follow_ups=0)
    staff.set_active(office.admin, office.third.actor_id, False)  # type: ignore[arg-type]
    with pytest.raises(Conflict) as refused:
        assignment.reassign_case(
            office.sup,
            cid,
            {"to_worker_id": office.third.actor_id, "base_worker_id": office.desk.actor_id},
        )
    assert refused.value.code == "assign_receiver_inactive"


def test_transfer_request_accept_moves_case_and_follow_ups(office: Office) -> None:
    pid, cid = office.person(follow_ups=2)
    tid = assignment.request_transfer(
        office.desk, cid, {"to_programme_id": office.omil_id, "reason": "Busca empleo"}
    )
    # Only one request waits per case.
    with pytest.raises(Conflict) as twice:
        assignment.request_transfer(
            office.sup, cid, {"to_programme_id": office.omil_id, "reason": "Otra vez"}
        )
    assert twice.value.code == "assign_transfer_pending"
    # The receiving programme's supervisor sees it; OFMIG's does not.
    waiting = assignment.pending_transfers(office.omil_sup)
    assert [w.id for w in waiting] == [tid]
    assert waiting[0].person_name.startswith("Persona") and waiting[0].reason == "Busca empleo"
    assert assignment.pending_transfers(office.sup) == []
    assert assignment.pending_transfers(office.desk) == []
    with pytest.raises(NotAllowed):
        assignment.accept_transfer(
            office.sup, tid, {"to_worker_id": office.other.actor_id, "version": 1}
        )
    moved = assignment.accept_transfer(
        office.omil_sup, tid, {"to_worker_id": office.omil_desk.actor_id, "version": 1}
    )
    assert moved.follow_ups == 2
    assert _case(office.db, cid) == (office.omil_desk.actor_id, office.omil_id)
    assert _pending_of(office.db, office.omil_desk.actor_id) == 2
    kinds = [e.kind for e in person_file.timeline(office.omil_sup, pid)]
    assert "assign_transfer_accepted" in kinds and "assign_transfer_request" in kinds


def test_a_declined_transfer_leaves_the_case_and_tells_why(office: Office) -> None:
    pid, cid = office.person()
    tid = assignment.request_transfer(
        office.desk, cid, {"to_programme_id": office.omil_id, "reason": "Busca empleo"}
    )
    assignment.decline_transfer(office.omil_sup, tid, {"reason": "Ya tiene empleo", "version": 1})
    assert _case(office.db, cid)[0] == office.desk.actor_id
    declined = [
        e for e in person_file.timeline(office.desk, pid) if e.kind == "assign_transfer_declined"
    ]
    assert declined and declined[0].data["reason"] == "Ya tiene empleo"
    # Once answered, a new request may be made.
    assignment.request_transfer(
        office.desk, cid, {"to_programme_id": office.omil_id, "reason": "De nuevo"}
    )


# Races --------------------------------------------------------------------------------------


def _outcomes(results: list[object]) -> tuple[list[object], list[BaseException]]:
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    for exc in lost:
        assert isinstance(exc, CaseworkError), repr(exc)
        assert exc.message("es") and "error." not in exc.message("es")
    return won, lost


def test_two_supervisors_reassign_one_case_at_once(office: Office) -> None:
    sup2 = _make(office.admin, "sup2", "OFMIG", "supervisor")
    for _ in range(REPEAT):
        _pid, cid = office.person(follow_ups=1)
        base = office.desk.actor_id
        won, lost = _outcomes(
            at_once(
                partial(
                    assignment.reassign_case,
                    office.sup,
                    cid,
                    {"to_worker_id": office.other.actor_id, "base_worker_id": base},
                ),
                partial(
                    assignment.reassign_case,
                    sup2,
                    cid,
                    {"to_worker_id": office.third.actor_id, "base_worker_id": base},
                ),
            )
        )
        assert len(won) == 1 and len(lost) == 1
        assert isinstance(lost[0], EditConflict) and lost[0].code == "assign_case_moved"
        holder = _case(office.db, cid)[0]
        assert holder in (office.other.actor_id, office.third.actor_id)
        with office.db.read() as s:
            fu = s.scalars(sa.select(FollowUp.worker_id).where(FollowUp.case_id == cid)).all()
            assert fu == [holder]  # the follow-up went with the winner, not elsewhere
            assert (
                s.scalar(
                    sa.select(sa.func.count()).where(
                        AuditEvent.entity_id == cid, AuditEvent.action == "reassign"
                    )
                )
                == 1
            )


def test_accept_and_decline_of_one_transfer_at_once(office: Office) -> None:
    sup2 = _make(office.admin, "supomil2", "OMIL", "supervisor")
    for _ in range(REPEAT):
        _pid, cid = office.person(follow_ups=1)
        tid = assignment.request_transfer(
            office.desk, cid, {"to_programme_id": office.omil_id, "reason": "Empleo"}
        )
        won, lost = _outcomes(
            at_once(
                partial(
                    assignment.accept_transfer,
                    office.omil_sup,
                    tid,
                    {"to_worker_id": office.omil_desk.actor_id, "version": 1},
                ),
                partial(assignment.decline_transfer, sup2, tid, {"reason": "No", "version": 1}),
            )
        )
        assert len(won) == 1 and len(lost) == 1
        assert lost[0].code == "assign_transfer_decided"  # type: ignore[attr-defined]
        with office.db.read() as s:
            row = s.get(CaseTransfer, tid)
            assert row is not None
            holder, prog = _case(office.db, cid)
            if row.state == "accepted":
                assert (holder, prog) == (office.omil_desk.actor_id, office.omil_id)
            else:
                assert row.state == "declined" and holder == office.desk.actor_id


def test_deactivation_while_a_supervisor_reassigns(office: Office) -> None:
    """The admin deactivates Daniela (her work to Otra) while a supervisor gives one of her
    cases to Tercera: either the case went to Tercera first and the rest to Otra, or all to
    Otra and the supervisor is told the case moved. Nothing stays with Daniela."""
    for i in range(REPEAT):
        desk = _make(office.admin, f"saliente{i}", "OFMIG")
        _pid, cid = office.person(by=desk, follow_ups=1)
        office.person(by=desk, follow_ups=1)
        assert desk.actor_id is not None
        won, lost = _outcomes(
            at_once(
                partial(
                    staff.set_active,
                    office.admin,
                    desk.actor_id,
                    False,
                    receiver=office.other.actor_id,
                ),
                partial(
                    assignment.reassign_case,
                    office.sup,
                    cid,
                    {"to_worker_id": office.third.actor_id, "base_worker_id": desk.actor_id},
                ),
            )
        )
        assert not staff.get_worker(office.admin, desk.actor_id).active
        assert _pending_of(office.db, desk.actor_id) == 0
        with office.db.read() as s:
            left = s.scalar(
                sa.select(sa.func.count()).where(
                    Case.worker_id == desk.actor_id, Case.status == "open"
                )
            )
            assert left == 0
        assert len(won) >= 1
        if lost:
            assert isinstance(lost[0], EditConflict) and lost[0].code == "assign_case_moved"
            assert _case(office.db, cid)[0] == office.other.actor_id


def test_reassigning_to_a_worker_being_deactivated(office: Office) -> None:
    """One desk gives a case to Tercera while the admin deactivates Tercera without a
    receiver: either the case lands first (and the deactivation is refused: she has open
    work) or she is inactive first (and the reassignment is refused)."""
    for i in range(REPEAT):
        target = _make(office.admin, f"llega{i}", "OFMIG")
        _pid, cid = office.person(follow_ups=0)
        assert target.actor_id is not None
        results = at_once(
            partial(staff.set_active, office.admin, target.actor_id, False),
            partial(
                assignment.reassign_case,
                office.sup,
                cid,
                {"to_worker_id": target.actor_id, "base_worker_id": office.desk.actor_id},
            ),
        )
        won, lost = _outcomes(results)
        assert len(won) == 1 and len(lost) == 1
        active = staff.get_worker(office.admin, target.actor_id).active
        holder = _case(office.db, cid)[0]
        if active:
            assert holder == target.actor_id
            assert lost[0].code == "assign_needs_receiver"  # type: ignore[attr-defined]
        else:
            assert holder == office.desk.actor_id
            assert lost[0].code == "assign_receiver_inactive"  # type: ignore[attr-defined]


def test_messages_are_in_both_languages() -> None:
    for key in ("error.assign_needs_receiver", "assign.reassign_title", "key.assign_reassign"):
        assert t(key, lang="es") != key and t(key, lang="en") != key


def test_erasing_a_person_erases_their_transfers_and_reasons(office: Office) -> None:
    from casework.services import rights

    pid, cid = office.person()
    tid = assignment.request_transfer(
        office.desk, cid, {"to_programme_id": office.omil_id, "reason": "Busca empleo"}
    )
    req = rights.register(office.desk, {"person_id": pid, "kind": "erasure"})
    rights.confirm_identity(office.sup, req.id)
    rights.erase(office.sup, req.id)
    with office.db.read() as s:
        assert s.get(CaseTransfer, tid) is None


def _referral(db: Database, person_id: uuid.UUID, worker_id: uuid.UUID, status: str) -> uuid.UUID:
    """An open (or settled) referral followed by ``worker_id``, written as it stands."""
    from casework.models import Referral

    with db.write() as s:
        row = Referral(
            person_id=person_id,
            worker_id=worker_id,
            service_area="health",
            destination_key="cesfam",
            reason="Control de salud",
            status=status,
            requested_at=None if status == "draft" else dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
            completed_at=dt.datetime(2026, 1, 9, tzinfo=dt.UTC) if status == "completed" else None,
        )
        s.add(row)
        s.flush()
        return row.id


def _referrals_of(db: Database, worker_id: uuid.UUID | None) -> dict[str, int]:
    from casework.models import Referral

    with db.read() as s:
        got = s.execute(
            sa.select(Referral.status, sa.func.count())
            .where(Referral.worker_id == worker_id)
            .group_by(Referral.status)
        ).all()
        return {status: int(n) for status, n in got}


def test_deactivation_moves_the_open_referrals_too(office: Office) -> None:
    """Fix 1: open referrals left with an inactive worker wait on nobody's list."""
    pid, _cid = office.person(follow_ups=0)
    desk_id, other_id = office.desk.actor_id, office.other.actor_id
    assert desk_id is not None and other_id is not None
    for status in ("draft", "requested", "accepted", "in-progress", "on-hold", "completed"):
        _referral(office.db, pid, desk_id, status)
    load = assignment.workload(office.admin, desk_id)
    assert (load.open_cases, load.pending_follow_ups, load.open_referrals) == (1, 0, 5)
    with pytest.raises(Conflict) as refused:
        staff.set_active(office.admin, desk_id, False)
    assert "5 derivación(es)" in refused.value.message("es")
    assert "5 open referral(s)" in refused.value.message("en")
    staff.set_active(office.admin, desk_id, False, receiver=other_id)
    assert _referrals_of(office.db, desk_id) == {"completed": 1}  # settled: stays hers
    assert sum(_referrals_of(office.db, other_id).values()) == 5
    with office.db.read() as s:
        rows = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "reassign_referral")
        ).all()
        assert len(rows) == 5 and all(r.person_id == pid for r in rows)
        summary = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "reassign_work")).one()
        assert summary.details["referrals"] == 5 and summary.details["reason"] == "deactivate"


def test_a_worker_with_only_open_referrals_is_not_deactivated_alone(office: Office) -> None:
    pid, _cid = office.person(follow_ups=0)
    third = office.third.actor_id
    assert third is not None
    _referral(office.db, pid, third, "requested")
    assert not assignment.workload(office.admin, third).empty
    with pytest.raises(Conflict):
        staff.set_active(office.admin, third, False)
    moved = assignment.reassign_work(office.sup, third, {"to_worker_id": office.other.actor_id})
    assert (moved.cases, moved.follow_ups, moved.referrals) == (0, 0, 1)
    assert _referrals_of(office.db, third) == {}
    assert assignment.workload(office.admin, third).empty
