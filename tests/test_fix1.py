"""Fixes after issue #15's merge: the audit trail (F8) reads the new actions -- moves of
work, transfers, leaving the desk, the office's setting -- by label, with workers and
programmes by name, never a code or an id; a failed unlock is recorded as the worker's."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import sqlalchemy as sa

from casework.app import make_app
from casework.db import Database
from casework.models import AuditEvent
from casework.screens.audit import AuditScreen
from casework.services import persons, sessions, staff
from casework.services.context import Context
from casework.widgets import PagedTable

from .factories import intake_data
from .test_admin import rows
from .test_desk import settle, sign_in_as

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def test_the_trail_shows_the_new_actions_by_label_and_names(
    desk_database: Database, frozen_clock: dt.datetime
) -> None:
    db = desk_database
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    a = Context(db, admin.id)
    omil = staff.create_programme(a, {"code": "OMIL", "name": "Intermediación Laboral"})
    ofmig = staff.find_worker(a, "admin")
    assert ofmig is not None

    def make(username: str, name: str, role: str = "worker") -> uuid.UUID:
        return staff.create_worker(
            a, {"username": username, "full_name": name, "programme_code": "OFMIG", "role": role}
        ).id

    daniela = make("dfuentes", "Daniela Fuentes")
    javier = make("jmunoz", "Javier Muñoz")
    carolina = make("creyes", "Carolina Reyes", "supervisor")
    made = persons.register_intake(Context(db, daniela), intake_data())
    with db.read() as s:
        from casework.models import Programme

        ofmig_id = s.scalar(sa.select(Programme.id).where(Programme.code == "OFMIG"))
    moved = {"from_worker": str(daniela), "to_worker": str(javier)}
    transfer = {"transfer": str(uuid.uuid4())}
    programmes = {"from_programme": str(ofmig_id), "to_programme": str(omil.id)}
    events: list[tuple[str, str, uuid.UUID | None, uuid.UUID | None, dict[str, object]]] = [
        ("reassign", "case", made.case_id, made.person_id, {**moved, "follow_ups": 2}),
        (
            "reassign",
            "case",
            made.case_id,
            made.person_id,
            {**moved, "follow_ups": 1, "reason": "deactivate"},
        ),
        (
            "reassign_work",
            "worker",
            daniela,
            None,
            {**moved, "cases": 3, "follow_ups": 4, "referrals": 1, "reason": "reassign"},
        ),
        ("reassign_referral", "referral", uuid.uuid4(), made.person_id, moved),
        (
            "transfer_request",
            "case",
            made.case_id,
            made.person_id,
            {**transfer, "to_programme": str(omil.id)},
        ),
        (
            "transfer_accept",
            "case",
            made.case_id,
            made.person_id,
            {**moved, **transfer, **programmes, "follow_ups": 0},
        ),
        ("transfer_decline", "case", made.case_id, made.person_id, transfer),
        ("transfer_withdraw", "case", made.case_id, made.person_id, transfer),
        ("sign_out", "worker", daniela, None, {"drafts": 1}),
        ("switch_user", "worker", daniela, None, {"drafts": 0}),
        ("desk_locked", "worker", daniela, None, {"minutes": 10}),
        ("unlock", "worker", daniela, None, {}),
        ("update", "office_setting", None, None, {"minutes_before": 10, "minutes_after": 15}),
        ("case_close", "case", made.case_id, made.person_id, {"follow_up": 1, "referral": 1}),
        ("case_hold", "case", made.case_id, made.person_id, {}),
        ("case_reopen", "case", made.case_id, made.person_id, {}),
        ("case_resume", "case", made.case_id, made.person_id, {}),
        ("deactivate", "worker", daniela, None, {}),
    ]
    with db.write() as s:
        for action, entity, entity_id, person_id, details in events:
            s.add(
                AuditEvent(
                    worker_id=carolina,
                    action=action,
                    entity=entity,
                    entity_id=entity_id,
                    person_id=person_id,
                    details=details,
                )
            )
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        app.push_screen(AuditScreen())
        await settle(pilot)
        shown = rows(app.screen.query_one(PagedTable))  # type: ignore[arg-type]
    ours = [r for r in shown if "Carolina Reyes" in r and " Entró " not in r]  # her sign-in
    assert len(ours) == len(events)
    for line in ours:
        assert not SNAKE.findall(line), line
        assert not UUID.search(line), line
        assert "minutes" not in line and "follow_ups" not in line
    text = "\n".join(ours)
    assert "Reasignó el trabajo" in text and "Aceptó un traspaso" in text
    assert "de: Daniela Fuentes" in text and "a: Javier Muñoz" in text
    assert "Intermediación Laboral" in text and "Oficina de Migrantes" in text
    assert "motivo: desactivación" in text


@pytest.mark.parametrize("actor", [True])
def test_a_failed_unlock_is_the_workers_event(
    database: Database, admin: object, worker: object, actor: bool
) -> None:
    from casework.errors import NotAllowed
    from casework.services import auth

    w_id = worker.id  # type: ignore[attr-defined]
    with database.write() as s:
        from casework.models import Worker

        row = s.get(Worker, w_id)
        assert row is not None
        row.password_hash = auth.hash_password("clave-correcta-1")
    with pytest.raises(NotAllowed):
        sessions.unlock(Context(database, w_id), "otra-clave")
    with database.read() as s:
        ev = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).one()
        assert ev.worker_id == w_id and ev.entity_id == w_id
