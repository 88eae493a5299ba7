"""Impossible states are refused by the database itself, whatever code writes to it."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.errors import InvalidTransition
from casework.models import AuditEvent, FollowUp, Referral
from casework.models.base import utcnow
from casework.services import persons, referrals
from casework.services.context import Context

from .factories import intake_data


@pytest.fixture
def person_id(ctx: Context):  # type: ignore[no-untyped-def]
    return persons.register_intake(ctx, intake_data()).person_id


def _insert_fails(db: Database, row: object) -> None:
    with pytest.raises(sa.exc.IntegrityError), db.write() as s:
        s.add(row)
        s.flush()


def test_referral_cannot_be_completed_before_it_was_requested(
    ctx: Context,
    person_id,
    worker,  # type: ignore[no-untyped-def]
) -> None:
    base = {
        "person_id": person_id,
        "worker_id": worker.id,
        "service_area": "health",
        "destination_key": "cesfam",
        "reason": "x",
    }
    _insert_fails(ctx.db, Referral(**base, status="completed", completed_at=utcnow()))
    now = utcnow()
    _insert_fails(
        ctx.db,
        Referral(
            **base, status="completed", requested_at=now, completed_at=now - dt.timedelta(days=1)
        ),
    )
    _insert_fails(ctx.db, Referral(**base, status="accepted"))
    _insert_fails(ctx.db, Referral(**base, status="rejected", requested_at=now))
    _insert_fails(ctx.db, Referral(**base, status="lost"))


def test_follow_up_cannot_be_done_without_a_completion_time(
    ctx: Context,
    person_id,
    worker,  # type: ignore[no-untyped-def]
) -> None:
    base = {"person_id": person_id, "worker_id": worker.id, "due_on": dt.date.today(), "what": "x"}
    _insert_fails(ctx.db, FollowUp(**base, status="done"))
    _insert_fails(ctx.db, FollowUp(**base, status="pending", completed_at=utcnow()))
    _insert_fails(ctx.db, FollowUp(**base, status="postponed"))


def test_foreign_keys_are_enforced(ctx: Context, worker) -> None:  # type: ignore[no-untyped-def]
    import uuid

    _insert_fails(
        ctx.db,
        FollowUp(person_id=uuid.uuid4(), worker_id=worker.id, due_on=dt.date.today(), what="x"),
    )


def test_audit_trail_is_append_only(ctx: Context, person_id) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.read() as s:
        event_id = s.scalars(sa.select(AuditEvent.id)).first()
    assert event_id is not None
    for statement in (
        sa.update(AuditEvent).where(AuditEvent.id == event_id).values(action="tampered"),
        sa.delete(AuditEvent).where(AuditEvent.id == event_id),
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), ctx.db.write() as s:
            s.execute(statement)
    with ctx.db.read() as s:
        assert s.get(AuditEvent, event_id).action == "create"  # type: ignore[union-attr]


def test_a_failed_referral_transition_leaves_no_trace(ctx: Context, person_id) -> None:  # type: ignore[no-untyped-def]
    rid = referrals.create(
        ctx, person_id, {"destination": "cesfam", "reason": "x", "consent_given": True}
    )
    with ctx.db.read() as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    with pytest.raises(InvalidTransition):
        referrals.move(ctx, rid, {"to": "draft"})
    with ctx.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before
