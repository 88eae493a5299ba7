"""A blocking request (Ley 21.719 arts. 8 ter and 11) suspends the processing of the person's
data: while it is open every change to their file is refused with nothing written, the file
can still be read, and the rights process itself goes on; once lifted, work resumes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from casework import clock
from casework.db import Database
from casework.errors import CaseworkError, Conflict, NotAllowed
from casework.models import AuditEvent, Base, FollowUp, Person, RightsRequest
from casework.services import followups, guidance, merge, person_file, persons, referrals, rights
from casework.services.context import Context
from casework.services.schemas import RightsRequestOut, WorkerOut

from .factories import intake_data, person_data, schedule_follow_up

NOW = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)  # a Monday: the block is due Wednesday


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    clock.freeze(NOW)
    yield
    clock.freeze(None)


@pytest.fixture
def sup(database: Database, supervisor: WorkerOut) -> Context:
    return Context(database, supervisor.id)


@pytest.fixture
def person_id(ctx: Context) -> uuid.UUID:
    return persons.register_intake(ctx, intake_data(), allow_likely=True).person_id


def _new_phone(number: str) -> dict[str, dict[str, str]]:
    """A correction of the phone the intake recorded (factories.person_data's)."""
    return {"phone": {"base": "+56987654321", "new": number}}


def _block(ctx: Context, person_id: uuid.UUID) -> RightsRequestOut:
    return rights.register(ctx, {"person_id": person_id, "kind": "blocking"})


def _everything(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a refused call wrote nothing at all."""
    with database.read() as s:
        return {
            table.name: sorted(
                (tuple(str(v) for v in row) for row in s.execute(sa.select(table))),
            )
            for table in Base.metadata.sorted_tables
        }


def _refused(call: Callable[[], object]) -> CaseworkError:
    with pytest.raises(Conflict) as err:
        call()
    assert err.value.code == "person_blocked"
    return err.value


def test_every_change_to_a_blocked_file_is_refused_and_nothing_is_written(
    ctx: Context, database: Database, sup: Context, person_id: uuid.UUID
) -> None:
    follow_up = schedule_follow_up(
        ctx, person_id, {"due_on": dt.date(2026, 11, 30), "what": "Llamar"}
    )
    guidance_id = guidance.start(ctx, person_id, {"route_id": "humanitarian_pregnancy"})
    # A likely duplicate a supervisor would merge.
    other = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Yesenia",
                phone="934567890",
                documents=[{"type": "passport", "number": "VE7654321"}],
            )
        ),
        allow_likely=True,
    ).person_id
    _block(ctx, person_id)
    before = _everything(database)

    attempts: dict[str, Callable[[], object]] = {
        "contact": lambda: persons.record_contact(ctx, person_id, {"reasons": ["health"]}),
        "note": lambda: persons.add_note(ctx, person_id, {"text": "Trajo su pasaporte."}),
        "status": lambda: persons.change_status(
            ctx, person_id, {"status": "temporary_in_process", "sermig_application": "A-1"}
        ),
        "update": lambda: persons.update_person(ctx, person_id, _new_phone("923456789")),
        "referral": lambda: referrals.create(
            ctx,
            person_id,
            {"destination": "cesfam", "reason": "Inscripción en salud", "consent_given": True},
        ),
        "follow-up done": lambda: followups.close(
            ctx, follow_up, {"status": "done", "outcome": "Tiene hora"}
        ),
        "guidance": lambda: guidance.start(ctx, person_id, {"route_id": "refuge"}),
        "guidance application": lambda: guidance.set_application(ctx, guidance_id, "A-77"),
        "merge into the blocked": lambda: merge.merge(sup, person_id, other),
        "merge the blocked away": lambda: merge.merge(sup, other, person_id),
    }
    for what, call in attempts.items():
        _refused(call)
        assert _everything(database) == before, what

    with database.read() as s:
        row = s.get(FollowUp, follow_up)
        assert row is not None and row.status == "pending"
        assert s.get(Person, person_id).merged_into_id is None  # type: ignore[union-attr]
    # The other person is not blocked: their file goes on as usual.
    persons.add_note(ctx, other, {"text": "Sin relación con el bloqueo."})


def test_the_refusal_names_the_block_and_its_deadline_in_both_languages(
    ctx: Context, person_id: uuid.UUID
) -> None:
    block = _block(ctx, person_id)
    assert block.due_on == dt.date(2026, 11, 25)
    error = _refused(lambda: persons.add_note(ctx, person_id, {"text": "x"}))
    spanish, english = error.message("es"), error.message("en")
    assert "bloqueados por una solicitud de derechos" in spanish and "25-11-2026" in spanish
    assert "Nada se guardó" in spanish
    assert "blocked by a rights request" in english and "2026-11-25" in english
    assert "Nothing was saved" in english


def test_a_blocked_file_can_still_be_read_and_the_reading_is_audited(
    ctx: Context, database: Database, person_id: uuid.UUID
) -> None:
    block = _block(ctx, person_id)
    opened = person_file.open_file(ctx, person_id)  # what the person screen reads, in one call
    assert opened.blocked == block  # the banner
    assert opened.detail.given_names == "Yesenia Carolina"
    assert opened.timeline
    with database.read() as s:
        views = s.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.person_id == person_id, AuditEvent.action == "view"
            )
        ).all()
        assert len(views) == 1


def test_the_rights_process_goes_on_while_blocked(
    ctx: Context, database: Database, sup: Context, person_id: uuid.UUID
) -> None:
    block = _block(ctx, person_id)
    access = rights.register(ctx, {"person_id": person_id, "kind": "access"})
    rights.confirm_identity(sup, access.id)  # the supervisor checks who is asking
    data, _text = rights.answer_access(sup, access.id)
    assert data["person"]["given_names"] == "Yesenia Carolina"
    objection = rights.register(ctx, {"person_id": person_id, "kind": "objection"})
    rights.refuse(sup, objection.id, {"ground": "public_function", "note": "Art. 8."})
    rectification = rights.register(
        sup, {"person_id": person_id, "kind": "rectification", "identity_checked": True}
    )
    # Correcting the data under the rectification request passes the block; nothing else does.
    _refused(lambda: persons.update_person(sup, person_id, _new_phone("912345678")))
    carrying = rights.acting_on(sup, rectification.id)
    assert persons.update_person(carrying, person_id, _new_phone("912345678")) == ["phone"]
    rights.answer(sup, rectification.id, {"note": "Teléfono corregido."})
    with pytest.raises(Conflict):
        rights.acting_on(sup, rectification.id)  # answered: it carries nothing any more
    assert rights.blocked(ctx, person_id) == block  # the block itself is still there

    erasure = rights.register(
        sup, {"person_id": person_id, "kind": "erasure", "identity_checked": True}
    )
    report = rights.erase(sup, erasure.id)
    assert report.rows["person"] == 1 and report.blocks_lifted == 1
    with database.read() as s:
        statuses = dict(s.execute(sa.select(RightsRequest.kind, RightsRequest.status)).all())
    assert statuses == {
        "blocking": "answered",  # nothing left to hold once erased
        "access": "answered",
        "objection": "refused",
        "rectification": "answered",
        "erasure": "answered",
    }


def test_lifting_the_block_lets_work_resume(
    ctx: Context, database: Database, sup: Context, person_id: uuid.UUID
) -> None:
    block = _block(ctx, person_id)
    _refused(lambda: persons.add_note(ctx, person_id, {"text": "Antes"}))
    with pytest.raises(NotAllowed):
        rights.lift_block(ctx, block.id, {"note": "x"})  # supervisors decide
    access = rights.register(ctx, {"person_id": person_id, "kind": "access"})
    with pytest.raises(Conflict) as err:
        rights.lift_block(sup, access.id, {"note": "x"})
    assert err.value.code == "not_a_block"
    lifted = rights.lift_block(sup, block.id, {"note": "Rectificación resuelta."})
    assert lifted.status == "answered" and lifted.answer_note == "Rectificación resuelta."
    assert rights.blocked(ctx, person_id) is None
    persons.add_note(ctx, person_id, {"text": "Después"})
    with database.read() as s:
        actions = list(
            s.scalars(
                sa.select(AuditEvent.action).where(
                    AuditEvent.entity == "rights_request", AuditEvent.entity_id == block.id
                )
            )
        )
    assert "lift_block" in actions


def test_a_refused_block_blocks_nothing(ctx: Context, sup: Context, person_id: uuid.UUID) -> None:
    block = _block(ctx, person_id)
    rights.refuse(sup, block.id, {"ground": "identity_not_verified", "note": "Sin documento."})
    persons.add_note(ctx, person_id, {"text": "Sigue la atención."})


def test_the_check_costs_one_indexed_query_per_write(
    ctx: Context, database: Database, person_id: uuid.UUID
) -> None:
    indexes = sa.inspect(database.engine).get_indexes("rights_request")
    assert any(ix["column_names"] == ["person_id"] for ix in indexes)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "rights_request" in statement:
            statements.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", seen)
    try:
        # Four audited rows in one transaction (referral, legal basis, transition, follow-up).
        referrals.create(
            ctx,
            person_id,
            {"destination": "cesfam", "reason": "Inscripción en salud", "consent_given": True},
        )
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", seen)
    assert len(statements) == 1


def test_the_command_line_lifts_a_block(
    ctx: Context,
    database: Database,
    supervisor: WorkerOut,
    person_id: uuid.UUID,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    from casework.cli import main

    block = _block(ctx, person_id)
    db = database.url.render_as_string(hide_password=False)
    args = ["rights", "lift", str(block.id), "--db", db, "--note", "Oposición resuelta."]
    assert main([*args, *cli_user(database, "dfuentes")]) == 2  # a desk worker cannot
    assert "supervisor" in capsys.readouterr().err
    assert rights.blocked(ctx, person_id) is not None
    assert main([*args, *cli_user(database, "creyes")]) == 0
    assert rights.blocked(ctx, person_id) is None
