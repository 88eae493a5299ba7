"""A case's life (issue #15 point 2): closed with an outcome that settles its follow-ups and
referrals, reopened, put on hold and resumed; who may; two desks closing at once; and the
retention review counting from the closing. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from casework import clock
from casework.db import Database
from casework.errors import Conflict, EditConflict, InvalidInput, NotAllowed
from casework.models import AuditEvent, Case, CaseEvent, FollowUp, Referral
from casework.services import case_lifecycle, followups, person_file, persons, referrals, retention
from casework.services.case_lifecycle import ChangeOut
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data
from .test_concurrency_races import at_once

NOW = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)
REPEAT = 8


@pytest.fixture(autouse=True)
def frozen() -> Any:
    clock.freeze(NOW)
    yield
    clock.freeze(None)


@pytest.fixture
def colleague(database: Database, admin: WorkerOut) -> WorkerOut:
    from casework.services import staff

    return staff.create_worker(
        Context(database, admin.id),
        {"username": "otra", "full_name": "Otra Persona", "programme_code": "OFMIG"},
    )


def _intake(ctx: Context, n: int = 0) -> persons.IntakeResult:
    data = person_data(
        given_names=f"Rosa {n}", documents=[{"type": "passport", "number": f"LC{n:07d}"}]
    )
    return persons.register_intake(ctx, intake_data(data), allow_likely=True)


def _refer(ctx: Context, pid: uuid.UUID) -> uuid.UUID:
    return referrals.create(
        ctx, pid, {"destination": "cesfam", "reason": "Inscripción", "consent_given": True}
    )


def _case(db: Database, case_id: uuid.UUID) -> Case:
    with db.read() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def _statuses(db: Database, model: Any, person_id: uuid.UUID) -> list[str]:
    with db.read() as s:
        return sorted(s.scalars(sa.select(model.status).where(model.person_id == person_id)))


def test_closing_with_an_outcome_settles_follow_ups_and_referrals_in_one_audited_step(
    ctx: Context, database: Database, worker: WorkerOut
) -> None:
    r = _intake(ctx)
    rid = _refer(ctx, r.person_id)  # requested: its automatic follow-up is pending
    followups.schedule(ctx, r.person_id, {"due_on": dt.date(2026, 12, 1), "what": "Llamar"})
    before = case_lifecycle.current(ctx, r.person_id)
    assert before is not None
    assert (before.status, before.pending_follow_ups, before.open_referrals) == ("open", 2, 1)

    out = case_lifecycle.close(ctx, r.case_id, {"outcome": "goal_reached", "note": "Con CESFAM"})

    assert out == ChangeOut(
        case_id=r.case_id, status="closed", follow_ups_cancelled=2, referrals_cancelled=1
    )
    case = _case(database, r.case_id)
    assert (case.status, case.closing_outcome, case.closing_reason, case.closing_note) == (
        "closed",
        "goal_reached",
        "goal_reached",
        "Con CESFAM",
    )
    assert case.closed_at == NOW
    assert _statuses(database, FollowUp, r.person_id) == ["cancelled", "cancelled"]
    assert _statuses(database, Referral, r.person_id) == ["cancelled"]
    # The referral moved through its own service: its history says so.
    assert [e.to_status for e in referrals.get(ctx, rid).events][-1] == "cancelled"
    with database.read() as s:
        actions = sorted(
            (a.entity, a.action)
            for a in s.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.person_id == r.person_id, AuditEvent.at == NOW
                )
            )
            if a.action != "view"
        )
    assert ("case", "case_close") in actions
    assert actions.count(("follow_up", "cancelled")) == 2
    assert ("referral", "transition") in actions
    [entry] = [e for e in person_file.timeline(ctx, r.person_id) if e.kind == "case"]
    assert entry.data["event"] == "close" and entry.data["outcome"] == "goal_reached"
    assert (entry.data["follow_ups_cancelled"], entry.data["referrals_cancelled"]) == (2, 1)
    assert entry.worker_name == worker.full_name


def test_closing_may_keep_follow_ups_and_leave_referrals_open(
    ctx: Context, database: Database
) -> None:
    r = _intake(ctx)
    _refer(ctx, r.person_id)
    out = case_lifecycle.close(
        ctx,
        r.case_id,
        {"outcome": "referred_elsewhere", "follow_ups": "keep", "referrals": "leave"},
    )
    assert (out.follow_ups_cancelled, out.referrals_cancelled) == (0, 0)
    assert _statuses(database, FollowUp, r.person_id) == ["pending"]
    assert _statuses(database, Referral, r.person_id) == ["requested"]


def test_other_needs_a_note_and_an_unknown_outcome_is_refused(
    ctx: Context, database: Database
) -> None:
    r = _intake(ctx)
    with pytest.raises(InvalidInput) as err:
        case_lifecycle.close(ctx, r.case_id, {"outcome": "other", "note": "  "})
    assert [(e.field, e.code) for e in err.value.errors] == [("note", "lifecycle_note_required")]
    assert "obligatoria" in err.value.errors[0].message("es")
    with pytest.raises(InvalidInput) as err:
        case_lifecycle.close(ctx, r.case_id, {"outcome": "done_i_guess"})
    assert err.value.errors[0].field == "outcome"
    assert _case(database, r.case_id).status == "open"
    case_lifecycle.close(ctx, r.case_id, {"outcome": "other", "note": "Volvió a su país"})
    assert _case(database, r.case_id).closing_note == "Volvió a su país"


def test_a_closed_case_cannot_be_closed_again_and_says_who_closed_it(
    ctx: Context, database: Database, worker: WorkerOut
) -> None:
    r = _intake(ctx)
    case_lifecycle.close(ctx, r.case_id, {"outcome": "lost_contact"})
    with pytest.raises(EditConflict) as err:
        case_lifecycle.close(ctx, r.case_id, {"outcome": "goal_reached"})
    assert err.value.code == "lifecycle_already_closed"
    assert worker.full_name in err.value.message("es")
    assert "23-11-2026" in err.value.message("es")
    assert _case(database, r.case_id).closing_outcome == "lost_contact"
    with pytest.raises(EditConflict):
        case_lifecycle.hold(ctx, r.case_id, {"reason": "Viaje"})


def test_reopen_needs_a_reason_clears_the_closing_and_keeps_the_history(
    ctx: Context, database: Database
) -> None:
    r = _intake(ctx)
    with pytest.raises(EditConflict) as err:
        case_lifecycle.reopen(ctx, r.case_id, {"reason": "Volvió"})
    assert err.value.code == "lifecycle_not_closed"
    case_lifecycle.close(ctx, r.case_id, {"outcome": "moved_commune"})
    with pytest.raises(InvalidInput) as bad:
        case_lifecycle.reopen(ctx, r.case_id, {"reason": ""})
    assert bad.value.errors[0].field == "reason"
    out = case_lifecycle.reopen(ctx, r.case_id, {"reason": "Volvió a la comuna"})
    assert out.status == "open"
    case = _case(database, r.case_id)
    assert (case.closed_at, case.closing_outcome, case.closing_reason) == (None, None, None)
    events = [e for e in person_file.timeline(ctx, r.person_id) if e.kind == "case"]
    assert sorted(e.data["event"] for e in events) == ["close", "reopen"]


def test_reopen_is_refused_while_another_case_of_the_programme_is_open(
    ctx: Context, database: Database
) -> None:
    r = _intake(ctx)
    case_lifecycle.close(ctx, r.case_id, {"outcome": "goal_reached"})
    # A new contact after the closing opens a new case of the programme.
    persons.record_contact(ctx, r.person_id, {"note": "Vuelve"})
    with pytest.raises(Conflict) as err:
        case_lifecycle.reopen(ctx, r.case_id, {"reason": "Volvió"})
    assert err.value.code == "lifecycle_other_case_open"
    assert _case(database, r.case_id).status == "closed"


def test_hold_until_a_day_then_resume(ctx: Context, database: Database) -> None:
    r = _intake(ctx)
    with pytest.raises(InvalidInput) as err:
        case_lifecycle.hold(ctx, r.case_id, {"reason": "Viaje", "until": dt.date(2026, 11, 1)})
    assert err.value.errors[0].code == "lifecycle_until_past"
    case_lifecycle.hold(ctx, r.case_id, {"reason": "Viaje al norte", "until": "2027-01-15"})
    case = _case(database, r.case_id)
    assert (case.status, case.hold_until) == ("on_hold", dt.date(2027, 1, 15))
    with pytest.raises(EditConflict) as again:
        case_lifecycle.hold(ctx, r.case_id, {"reason": "Otra vez"})
    assert again.value.code == "lifecycle_already_on_hold"
    current = case_lifecycle.current(ctx, r.person_id)
    assert current is not None and current.status == "on_hold"
    case_lifecycle.resume(ctx, r.case_id)
    case = _case(database, r.case_id)
    assert (case.status, case.hold_until) == ("open", None)
    with pytest.raises(EditConflict) as not_held:
        case_lifecycle.resume(ctx, r.case_id)
    assert not_held.value.code == "lifecycle_not_on_hold"
    # A held case can be closed straight away.
    case_lifecycle.hold(ctx, r.case_id, {"reason": "Espera"})
    case_lifecycle.close(ctx, r.case_id, {"outcome": "lost_contact"})
    assert _case(database, r.case_id).status == "closed"


def test_only_the_case_worker_and_supervisors_change_the_case(
    ctx: Context, database: Database, colleague: WorkerOut, supervisor: WorkerOut
) -> None:
    r = _intake(ctx)
    other = Context(database, colleague.id)
    found = case_lifecycle.current(other, r.person_id, reason="colleague_help")
    assert found is not None and not found.may_change
    with pytest.raises(NotAllowed) as err:
        case_lifecycle.close(other, r.case_id, {"outcome": "goal_reached"}, reason="colleague_help")
    assert err.value.code == "lifecycle_not_allowed"
    sup = Context(database, supervisor.id)
    case_lifecycle.hold(sup, r.case_id, {"reason": "Revisión"}, reason="colleague_help")
    assert _case(database, r.case_id).status == "on_hold"


def test_two_desks_closing_one_case_at_once_one_wins_the_other_is_told(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    sup = Context(database, supervisor.id)
    for i in range(REPEAT):
        r = _intake(ctx, i)
        _refer(ctx, r.person_id)
        results = at_once(
            partial(case_lifecycle.close, ctx, r.case_id, {"outcome": "goal_reached"}),
            partial(case_lifecycle.close, sup, r.case_id, {"outcome": "lost_contact"}),
        )
        won = [x for x in results if isinstance(x, ChangeOut)]
        lost = [x for x in results if isinstance(x, EditConflict)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].code == "lifecycle_already_closed"
        assert won[0].follow_ups_cancelled == 1 and won[0].referrals_cancelled == 1
        with database.read() as s:
            closes = s.scalar(
                sa.select(sa.func.count())
                .select_from(CaseEvent)
                .where(CaseEvent.case_id == r.case_id)
            )
            cancels = s.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.person_id == r.person_id, AuditEvent.action == "cancelled")
            )
        assert (closes, cancels) == (1, 1)
        assert _statuses(database, Referral, r.person_id) == ["cancelled"]


def test_two_desks_reopening_at_once_one_wins(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    sup = Context(database, supervisor.id)
    for i in range(REPEAT // 2):
        r = _intake(ctx, i)
        case_lifecycle.close(ctx, r.case_id, {"outcome": "goal_reached"})
        results = at_once(
            partial(case_lifecycle.reopen, ctx, r.case_id, {"reason": "Volvió"}),
            partial(case_lifecycle.reopen, sup, r.case_id, {"reason": "Llamó"}),
        )
        assert sorted(type(x).__name__ for x in results) == ["ChangeOut", "EditConflict"]


def test_a_closed_case_comes_up_for_review_after_its_period_and_reopening_removes_it(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    sup = Context(database, supervisor.id)
    r = _intake(ctx)
    case_lifecycle.close(ctx, r.case_id, {"outcome": "goal_reached"})
    assert retention.review_queue(sup) == []  # the period (60 months) starts now
    clock.freeze(NOW + dt.timedelta(days=365 * 5 - 10))
    assert retention.review_queue(sup) == []
    clock.freeze(NOW + dt.timedelta(days=365 * 5 + 10))
    [item] = retention.review_queue(sup)
    assert (item.case_id, item.closed_on) == (r.case_id, NOW.date())
    case_lifecycle.reopen(ctx, r.case_id, {"reason": "Volvió después de años"})
    assert retention.review_queue(sup) == []


def test_follow_ups_of_no_case_are_settled_only_with_the_persons_last_case(
    ctx: Context, database: Database, admin: WorkerOut
) -> None:
    from casework.services import staff

    r = _intake(ctx)
    followups.schedule(ctx, r.person_id, {"due_on": dt.date(2026, 12, 1), "what": "Llamar"})
    # Another programme works with the same person: the follow-up, linked to no case,
    # may be theirs, so closing this case leaves it pending.
    boss = Context(database, admin.id)
    staff.create_programme(boss, {"code": "OMIL", "name": "Intermediación Laboral"})
    omil = staff.create_worker(
        boss, {"username": "omil", "full_name": "Olga Mil", "programme_code": "OMIL"}
    )
    persons.record_contact(
        Context(database, omil.id), r.person_id, {"note": "Busca trabajo"}, reason="desk_visit"
    )
    before = case_lifecycle.current(ctx, r.person_id)
    assert before is not None and before.case_id == r.case_id
    assert before.pending_follow_ups == 0
    case_lifecycle.close(ctx, r.case_id, {"outcome": "goal_reached"})
    assert _statuses(database, FollowUp, r.person_id) == ["pending"]
    # The other programme's case is now the person's last one: closing it settles it.
    with database.read() as s:
        [other] = s.scalars(sa.select(Case.id).where(Case.status == "open")).all()
    omil_ctx = Context(database, omil.id)
    assert (
        case_lifecycle.close(omil_ctx, other, {"outcome": "lost_contact"}).follow_ups_cancelled == 1
    )
    assert _statuses(database, FollowUp, r.person_id) == ["cancelled"]
