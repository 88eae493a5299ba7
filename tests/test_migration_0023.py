"""0023 (indexes of the caseload summary): down one revision and up again, the summary says
the same; the indexes it reads are there after, those they replace are gone."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from casework.db import Database
from casework.services import guidance, persons, referrals, reports
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data

NEW = {
    "referral": {"ix_referral_worker_created", "ix_referral_completed", "ix_referral_status"},
    "guidance": {"ix_guidance_worker_created"},
    "guidance_item": {"ix_guidance_item_state"},
}
REPLACED = {
    "referral": {"ix_referral_worker_id"},
    "guidance_item": {"ix_guidance_item_guidance_id"},
}


def _indexes(database: Database) -> dict[str, set[str]]:
    with database.engine.connect() as conn:
        inspector = sa.inspect(conn)
        return {t: {str(i["name"]) for i in inspector.get_indexes(t)} for t in NEW}


def test_the_caseload_reads_the_same_before_and_after_its_indexes(
    database: Database, ctx: Context, supervisor: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    guidance.start(ctx, pid, {"route_id": "refuge"})
    rid = referrals.create(
        ctx, pid, {"destination": "cesfam", "reason": "x", "consent_given": True}
    )
    referrals.move(ctx, rid, {"to": "accepted"})
    referrals.move(ctx, rid, {"to": "completed", "outcome": "resolved"})
    sup = Context(database, supervisor.id)
    after = reports.caseload(sup).as_dict()
    assert after["referral_outcomes"] == {"health": {"completed": 1}}
    assert after["guidance"] == {"refuge": {"pending": 1}}

    cfg = database.alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    before = _indexes(database)
    assert all(REPLACED[t] <= before[t] for t in REPLACED)
    assert "ix_referral_completed" not in before["referral"]
    assert reports.caseload(sup).as_dict() == after

    database.upgrade(backup=False)
    now = _indexes(database)
    assert all(NEW[t] <= now[t] for t in NEW)
    assert not any(REPLACED[t] & now[t] for t in REPLACED)
    assert reports.caseload(sup).as_dict() == after
