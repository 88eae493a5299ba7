"""Follow-through (issue #15 points 4 and 5): a referral that ends settles its follow-up, a
route already open is resumed, route deadlines count from their own date and move with it,
and every duplicate scan is recorded, one automatic scan at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import cli, refdata
from casework.db import Database
from casework.i18n import t
from casework.models import AuditEvent, DedupeScan, FollowUp, Guidance
from casework.services import duplicate_queue, followups, guidance, persons, referrals, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut, local_today

from .factories import intake_data, person_data
from .test_concurrency_races import at_once


def _person(ctx: Context, n: int = 0) -> uuid.UUID:
    data = person_data(
        given_names=f"Persona{n}",
        first_surname="Prueba",
        documents=[{"type": "passport", "number": f"PT{n:07d}"}],
    )
    return persons.register_intake(ctx, intake_data(data), allow_likely=True).person_id


def _refer(ctx: Context, pid: uuid.UUID) -> uuid.UUID:
    return referrals.create(
        ctx, pid, {"destination": "cesfam", "reason": "Inscripción", "consent_given": True}
    )


def _follow_up_of(db: Database, rid: uuid.UUID) -> FollowUp:
    with db.read() as s:
        row = s.scalar(sa.select(FollowUp).where(FollowUp.referral_id == rid))
        assert row is not None
        return row


# Referrals settle their follow-up -----------------------------------------------------------


@pytest.mark.parametrize(
    ("moves", "status"),
    [
        (["accepted", "completed"], "done"),
        (["rejected"], "cancelled"),
        (["cancelled"], "cancelled"),
        (["failed"], "cancelled"),
        (["entered-in-error"], "cancelled"),
    ],
)
def test_an_ended_referral_settles_its_follow_up_with_why(
    ctx: Context, moves: list[str], status: str
) -> None:
    pid = _person(ctx)
    rid = _refer(ctx, pid)
    until = local_today() + dt.timedelta(days=30)
    assert [f.referral_id for f in followups.due_for_worker(ctx, until=until)] == [rid]
    for to in moves:
        data: dict[str, object] = {"to": to}
        if to == "rejected":
            data.update(declined_by="provider", decline_reason="Sin cupo")
        referrals.move(ctx, rid, data)
    row = _follow_up_of(ctx.db, rid)
    assert row.status == status and row.completed_at is not None
    assert row.outcome == t(f"followthrough.referral_settled.{moves[-1]}")
    assert followups.due_for_worker(ctx, until=until) == []
    with ctx.db.read() as s:
        actions = s.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity == "follow_up", AuditEvent.entity_id == row.id
            )
        ).all()
    assert status in actions


def test_a_referral_on_hold_and_back_keeps_its_follow_up_pending(ctx: Context) -> None:
    rid = _refer(ctx, _person(ctx))
    referrals.move(ctx, rid, {"to": "on-hold"})
    referrals.move(ctx, rid, {"to": "requested"})
    row = _follow_up_of(ctx.db, rid)
    assert row.status == "pending" and row.outcome is None
    with ctx.db.read() as s:  # back to requested does not ask twice
        assert s.scalar(sa.select(sa.func.count()).where(FollowUp.referral_id == rid)) == 1


def test_a_follow_up_closed_by_hand_first_stays_as_it_was_closed(ctx: Context) -> None:
    rid = _refer(ctx, _person(ctx))
    fid = _follow_up_of(ctx.db, rid).id
    followups.close(ctx, fid, {"status": "done", "outcome": "Llamó el CESFAM"})
    referrals.move(ctx, rid, {"to": "cancelled"})
    row = _follow_up_of(ctx.db, rid)
    assert (row.status, row.outcome) == ("done", "Llamó el CESFAM")


# A route open is resumed, not started twice --------------------------------------------------


def test_starting_an_open_route_again_resumes_it(ctx: Context) -> None:
    pid = _person(ctx)
    first = guidance.open_route(ctx, pid, {"route_id": "refuge"})
    again = guidance.open_route(ctx, pid, {"route_id": "refuge"})
    assert not first.resumed and again.resumed
    assert again.id == first.id and again.since == first.since
    other = guidance.open_route(ctx, pid, {"route_id": "humanitarian_pregnancy"})
    assert other.id != first.id and not other.resumed
    assert len(guidance.for_person(ctx, pid)) == 2


def test_a_closed_route_can_be_opened_anew(ctx: Context) -> None:
    pid = _person(ctx)
    first = guidance.start(ctx, pid, {"route_id": "refuge"})
    with ctx.db.write() as s:
        s.execute(sa.update(Guidance).where(Guidance.id == first).values(closed=True))
    assert guidance.start(ctx, pid, {"route_id": "refuge"}) != first


def test_two_desks_starting_the_same_route_at_once_make_one(
    database: Database, worker: WorkerOut
) -> None:
    ctx = Context(database, worker.id)
    for n in range(6):
        pid = _person(ctx, n)

        def start(pid: uuid.UUID = pid) -> guidance.RouteOpened:
            return guidance.open_route(Context(database, worker.id), pid, {"route_id": "refuge"})

        results = at_once(start, start)
        for r in results:
            assert isinstance(r, guidance.RouteOpened), repr(r)
        assert results[0].id == results[1].id
        assert sorted(r.resumed for r in results) == [False, True]
        with database.read() as s:
            assert s.scalar(sa.select(sa.func.count()).where(Guidance.person_id == pid)) == 1


# Route deadlines count from their own date ---------------------------------------------------


def _deadline_rows(db: Database, gid: uuid.UUID) -> list[FollowUp]:
    with db.read() as s:
        return list(s.scalars(sa.select(FollowUp).where(FollowUp.guidance_id == gid)))


def test_a_deadline_counts_from_its_own_date_and_moves_when_it_is_corrected(
    ctx: Context,
) -> None:
    pid = _person(ctx)
    gid = guidance.start(ctx, pid, {"route_id": "permanent_residence"})
    submitted = local_today() - dt.timedelta(days=10)
    fid = guidance.schedule_deadline(ctx, gid, "additional_documents", submitted)
    [row] = _deadline_rows(ctx.db, gid)
    assert row.due_on == submitted + dt.timedelta(days=60)
    assert (row.deadline_key, row.deadline_from) == ("additional_documents", submitted)

    corrected = submitted + dt.timedelta(days=3)
    assert guidance.schedule_deadline(ctx, gid, "additional_documents", corrected) == fid
    [row] = _deadline_rows(ctx.db, gid)
    assert row.due_on == corrected + dt.timedelta(days=60) and row.deadline_from == corrected
    planned = guidance.get(ctx, gid).planned
    assert planned == {"additional_documents": (corrected, row.due_on)}
    with ctx.db.read() as s:
        moved = s.scalars(
            sa.select(AuditEvent.details).where(
                AuditEvent.entity_id == fid, AuditEvent.action == "reschedule"
            )
        ).all()
    assert [m["moved_days"] for m in moved] == [3]


def test_a_deadline_already_done_is_not_moved(ctx: Context) -> None:
    pid = _person(ctx)
    gid = guidance.start(ctx, pid, {"route_id": "permanent_residence"})
    fid = guidance.schedule_deadline(ctx, gid, "id_card", local_today())
    followups.close(ctx, fid, {"status": "done", "outcome": "Cédula pedida"})
    later = local_today() + dt.timedelta(days=5)
    new = guidance.schedule_deadline(ctx, gid, "id_card", later)
    rows = {r.id: r for r in _deadline_rows(ctx.db, gid)}
    assert rows[fid].due_on == local_today() + dt.timedelta(days=30)
    assert rows[fid].status == "done"
    assert new != fid and rows[new].due_on == later + dt.timedelta(days=30)


def test_a_window_before_a_permit_expires_counts_back_from_the_expiry(ctx: Context) -> None:
    pid = _person(ctx)
    gid = guidance.start(ctx, pid, {"route_id": "permanent_residence"})
    expiry = local_today() + dt.timedelta(days=200)
    guidance.set_application(ctx, gid, None, deadline="renewal_window", deadline_from=expiry)
    [row] = _deadline_rows(ctx.db, gid)
    assert row.due_on == expiry - dt.timedelta(days=90)


def test_working_day_deadlines_skip_weekends() -> None:
    route = refdata.route("refuge")
    assert route is not None
    business = next(d for d in route.deadlines if d.business_days)
    friday = dt.date(2026, 11, 20)
    due = guidance.deadline_due(business, friday)
    days = (due - friday).days
    assert days > business.days and due.weekday() < 5


# Every scan is recorded; one automatic scan at a time ----------------------------------------


def _scans(db: Database) -> list[DedupeScan]:
    with db.read() as s:
        return list(s.scalars(sa.select(DedupeScan).order_by(DedupeScan.started_at)))


def test_a_scan_is_recorded_and_a_fresh_one_is_not_due(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    ctx = Context(database, worker.id)
    assert not duplicate_queue.scan_due(ctx)  # no persons: nothing to scan
    _person(ctx, 1)
    _person(ctx, 2)
    assert duplicate_queue.scan_due(ctx)
    report = duplicate_queue.scan(Context(database, supervisor.id))
    [run] = _scans(database)
    assert (run.status, run.trigger, run.worker_id) == ("done", "manual", supervisor.id)
    assert run.persons_scanned == report.persons == 2
    assert run.pairs_found == report.pairs_found and run.finished_at is not None
    assert duplicate_queue.last_finished(ctx) == run.finished_at
    assert not duplicate_queue.scan_due(ctx)
    assert duplicate_queue.auto_scan(ctx, "startup") is None
    with database.write() as s:  # a day later it is due again
        s.execute(sa.update(DedupeScan).values(finished_at=run.finished_at - dt.timedelta(days=2)))
    assert duplicate_queue.scan_due(ctx)
    assert duplicate_queue.auto_scan(ctx, "startup") is not None
    assert [r.trigger for r in _scans(database)] == ["manual", "startup"]


def test_two_desks_starting_at_once_scan_once(database: Database, worker: WorkerOut) -> None:
    ctx = Context(database, worker.id)
    for n in range(4):
        _person(ctx, n)
    for _round in range(4):
        with database.write() as s:
            s.execute(sa.delete(DedupeScan))
        results = at_once(
            lambda: duplicate_queue.auto_scan(Context(database, worker.id), "startup"),
            lambda: duplicate_queue.auto_scan(Context(database, worker.id), "startup"),
        )
        for r in results:
            assert r is None or isinstance(r, duplicate_queue.ScanReport), repr(r)
        assert sum(r is not None for r in results) == 1
        assert [r.status for r in _scans(database)] == ["done"]


def test_a_dead_desks_claim_goes_stale(database: Database, worker: WorkerOut) -> None:
    ctx = Context(database, worker.id)
    _person(ctx)
    claimed = duplicate_queue._claim(ctx, "startup")
    assert claimed is not None
    assert duplicate_queue._claim(ctx, "startup") is None  # running, fresh
    assert not duplicate_queue.scan_due(ctx)
    with database.write() as s:
        s.execute(
            sa.update(DedupeScan).values(
                heartbeat_at=duplicate_queue.utcnow() - dt.timedelta(hours=1)
            )
        )
    assert duplicate_queue.auto_scan(ctx, "startup") is not None
    assert sorted(r.status for r in _scans(database)) == ["done", "failed"]


def test_an_import_scan_runs_even_when_one_is_fresh(database: Database, worker: WorkerOut) -> None:
    ctx = Context(database, worker.id)
    _person(ctx)
    assert duplicate_queue.auto_scan(ctx, "startup") is not None
    assert duplicate_queue.auto_scan(ctx, "startup") is None
    assert duplicate_queue.auto_scan(ctx, "import") is not None


def test_the_import_command_scans_after_importing(
    desk_database: Database,
    tmp_path: Path,
    cli_user: Callable[[Database, str], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = desk_database
    staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    listed = tmp_path / "lista.csv"
    listed.write_text(
        "ref;nombres;primer_apellido;fecha_nacimiento\n"
        "L1;Yesenia;Rondón;17-04-1991\nL2;Yessenia;Rondon;17-04-1991\n",
        encoding="utf-8",
    )
    command = ["--lang", "es", "import", "persons", str(listed), "--db", db.url.database or ""]
    assert cli.main([*command, *cli_user(db, "admin")]) == 0
    out = capsys.readouterr().out
    [run] = _scans(db)
    assert (run.trigger, run.status, run.persons_scanned) == ("import", "done", 2)
    assert f"Búsqueda de duplicados terminada: {run.new_pairs} par(es) nuevo(s)." in out
