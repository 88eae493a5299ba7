"""Two desks editing one record at the same moment, on SQLite and PostgreSQL: nothing lost,
nothing doubled, and a clear message for the one who comes second.

Each race runs two threads, each with its own Context; a barrier lets both read what their
form starts from before either writes, and the race is repeated so that either desk wins
some of the time.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from casework.db import Database, open_database
from casework.errors import EditConflict, InvalidInput
from casework.models import AuditEvent, Case, FollowUp, Person, Referral, ReferralEvent
from casework.services import cases, followups, guidance, person_file, persons, referrals, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, schedule_follow_up

ROUNDS = 10


def race(*desks: tuple[Callable[[], Any], Callable[[Any], Any]]) -> list[Any]:
    """Run each desk's ``read`` (what its form opens with), wait until every desk has read,
    then run each ``write(read value)`` at once; the results, or the exceptions raised."""
    barrier = threading.Barrier(len(desks), timeout=20)
    results: list[Any] = [None] * len(desks)

    def run(i: int, read: Callable[[], Any], write: Callable[[Any], Any]) -> None:
        try:
            base = read()
            barrier.wait()
            results[i] = write(base)
        except Exception as exc:  # the loser's conflict is a result to check
            results[i] = exc

    threads = [
        threading.Thread(target=run, args=(i, read, write)) for i, (read, write) in enumerate(desks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a desk never finished"
    return results


def _winner_and_loser(results: list[Any]) -> tuple[int, EditConflict]:
    """The index of the one desk that saved, and the other's conflict."""
    conflicts = [r for r in results if isinstance(r, EditConflict)]
    others = [r for r in results if isinstance(r, BaseException) and r not in conflicts]
    assert not others, others
    assert len(conflicts) == 1, results
    [won] = [i for i, r in enumerate(results) if not isinstance(r, BaseException)]
    return won, conflicts[0]


@pytest.fixture
def sup(database: Database, supervisor: WorkerOut) -> Context:
    return Context(database, supervisor.id)


@pytest.fixture
def person_id(ctx: Context) -> uuid.UUID:
    return persons.register_intake(ctx, intake_data()).person_id


def test_flags_another_desk_set_meanwhile_survive(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    def desk(who: Context, tick: str, untick: str | None = None) -> Any:
        def read() -> list[str]:
            current = cases.current_case(who, person_id)
            assert current is not None
            return current.flags

        def write(base: list[str]) -> bool:
            case_id = cases.current_case(who, person_id).case_id  # type: ignore[union-attr]
            chosen = [f for f in base if f != untick] + [tick]
            return cases.set_flags(who, case_id, chosen, base=base)

        return read, write

    for _ in range(ROUNDS):
        with database.write() as s:
            s.execute(sa.update(Case).where(Case.person_id == person_id).values(flags=["children"]))
        # The supervisor adds pregnancy and clears children; the worker adds violence.
        assert race(desk(sup, "pregnancy", untick="children"), desk(ctx, "violence")) == [
            True,
            True,
        ]
        with database.read() as s:
            case = s.scalars(sa.select(Case).where(Case.person_id == person_id)).one()
        assert case.flags == ["pregnancy", "violence"]

    with database.read() as s:
        trail = s.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == "case", AuditEvent.action == "update")
            .order_by(AuditEvent.at)
        ).all()
    assert len(trail) == 2 * ROUNDS  # one row per save, none doubled
    assert {tuple(e.details["added"]) for e in trail} == {("pregnancy",), ("violence",)}
    assert {tuple(e.details["removed"]) for e in trail} == {("children",), ()}


def _phone(database: Database, person_id: uuid.UUID) -> tuple[str | None, str | None]:
    with database.read() as s:
        p = s.get(Person, person_id)
        assert p is not None
        return p.phone, p.email


def test_corrections_of_different_fields_of_one_person_both_stand(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    def desk(who: Context, field: str, value: str) -> Any:
        def read() -> Any:
            return getattr(person_file.get_person(who, person_id), field)

        def write(base: Any) -> list[str]:
            return persons.update_person(who, person_id, {field: {"base": base, "new": value}})

        return read, write

    for i in range(ROUNDS):
        phone, email = f"+5691234{i:04d}", f"yesenia{i}@example.org"
        assert race(desk(ctx, "phone", phone), desk(sup, "email", email)) == [
            ["phone"],
            ["email"],
        ]
        assert _phone(database, person_id) == (phone, email)


def test_the_same_field_corrected_at_two_desks_keeps_one_and_tells_the_other(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    def desk(who: Context, phone: str, email: str) -> Any:
        def read() -> tuple[str | None, str | None]:
            detail = person_file.get_person(who, person_id)
            return detail.phone, detail.email

        def write(base: tuple[str | None, str | None]) -> list[str]:
            return persons.update_person(
                who,
                person_id,
                {
                    "phone": {"base": base[0], "new": phone},
                    "email": {"base": base[1], "new": email},
                },
            )

        return read, write

    for i in range(ROUNDS):
        before = _phone(database, person_id)
        typed = [(f"+5692000{i:04d}", f"a{i}@example.org"), (f"+5693000{i:04d}", None)]
        results = race(desk(ctx, *typed[0]), desk(sup, *typed[1]))
        won, conflict = _winner_and_loser(results)
        lost = 1 - won
        # The winner's values are on record; nothing of the loser's command was written.
        assert _phone(database, person_id) == typed[won]
        clash = conflict.for_field("phone")
        assert clash is not None
        assert (clash.base, clash.current, clash.typed) == (
            before[0],
            typed[won][0],
            typed[lost][0],
        )
        message = conflict.message("es")
        assert "Teléfono" in message and typed[won][0] in message and typed[lost][0] in message
    with database.read() as s:
        updates = s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "person", AuditEvent.action == "update")
        )
    assert updates == ROUNDS


def test_two_desks_closing_one_follow_up_record_only_the_first_outcome(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID, supervisor: WorkerOut
) -> None:
    def desk(who: Context, fu: uuid.UUID, outcome: str) -> Any:
        def read() -> None:
            return None

        def write(_: None) -> None:
            followups.close(who, fu, {"status": "done", "outcome": outcome})

        return read, write

    names = {ctx.actor_id: "Daniela Fuentes", sup.actor_id: supervisor.full_name}
    for i in range(ROUNDS):
        fu = schedule_follow_up(ctx, person_id, {"due_on": dt.date(2026, 12, 1), "what": "Llamar"})
        typed = [f"Tiene hora el lunes ({i})", f"No contesta ({i})"]
        who = [ctx, sup]
        won, conflict = _winner_and_loser(race(desk(ctx, fu, typed[0]), desk(sup, fu, typed[1])))
        with database.read() as s:
            row = s.get(FollowUp, fu)
            assert row is not None
            closes = s.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.entity_id == fu, AuditEvent.action == "done")
            )
        assert (row.status, row.outcome) == ("done", typed[won])
        assert closes == 1
        assert conflict.code == "follow_up_closed_by"
        clash = conflict.for_field("outcome")
        assert clash is not None and (clash.current, clash.typed) == (typed[won], typed[1 - won])
        message = conflict.message("es")
        assert names[who[won].actor_id] in message
        assert typed[won] in message and typed[1 - won] in message


def test_two_moves_of_one_referral_from_the_same_status_make_one_move(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    def desk(who: Context, rid: uuid.UUID, move: dict[str, str]) -> Any:
        def read() -> str:
            return referrals.get(who, rid).status

        def write(status: str) -> None:
            referrals.move(who, rid, {**move, "from_status": status})

        return read, write

    accept = {"to": "accepted", "note": "Hora dada"}
    reject = {"to": "rejected", "declined_by": "provider", "decline_reason": "Sin cupos"}
    for _ in range(ROUNDS):
        rid = referrals.create(
            ctx,
            person_id,
            {"destination": "cesfam", "reason": "Inscripción", "consent_given": True},
        )
        results = race(desk(ctx, rid, accept), desk(sup, rid, reject))
        won, conflict = _winner_and_loser(results)
        with database.read() as s:
            ref = s.get(Referral, rid)
            assert ref is not None
            moves = s.scalars(
                sa.select(ReferralEvent.to_status).where(
                    ReferralEvent.referral_id == rid, ReferralEvent.from_status == "requested"
                )
            ).all()
        assert ref.status == ("accepted", "rejected")[won]
        assert moves == [ref.status]
        assert ref.declined_by == (None, "provider")[won]  # nothing of the loser's move
        clash = conflict.for_field("status")
        assert clash is not None
        assert (clash.base, clash.current) == ("requested", ref.status)
        message = conflict.message("es")
        assert "Estado" in message and "Aceptada" in message and "Rechazada" in message


def test_two_desks_revoking_one_consent_revoke_it_once(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    for _ in range(ROUNDS // 2):
        consent = persons.record_consent(ctx, person_id, {"purpose": "statistics"})
        desks = [
            (lambda: None, lambda _, who=who, c=consent: persons.revoke_consent(who, c))
            for who in (ctx, sup)
        ]
        assert race(*desks) == [None, None]
        with database.read() as s:
            revokes = s.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.entity_id == consent, AuditEvent.action == "revoke")
            )
        assert revokes == 1


# One desk after another: what a form started from, checked -----------------------------------


def test_a_correction_checks_each_field_against_what_the_form_started_from(
    ctx: Context, database: Database, person_id: uuid.UUID
) -> None:
    # A field typed wrong is named as the form names it, and nothing is written.
    with pytest.raises(InvalidInput) as bad:
        persons.update_person(ctx, person_id, {"email": {"base": None, "new": "sin-arroba"}})
    assert bad.value.errors[0].field == "email"
    with pytest.raises(InvalidInput) as bad:
        persons.update_person(
            ctx, person_id, {"arrival_date": {"base": None, "new": dt.date(1980, 1, 1)}}
        )
    assert bad.value.errors[0].code == "arrival_before_birth"
    # The same value typed meanwhile at another desk: nothing to do, nothing audited.
    assert (
        persons.update_person(
            ctx, person_id, {"phone": {"base": "+56900000000", "new": "987654321"}}
        )
        == []
    )
    # A stale base: refused with both values, in Spanish and in English.
    with pytest.raises(EditConflict) as stale:
        persons.update_person(
            ctx,
            person_id,
            {
                "phone": {"base": "+56900000000", "new": "911111111"},
                "nationality": {"base": "VEN", "new": "PER"},
            },
        )
    assert [c.field for c in stale.value.conflicts] == ["phone"]
    assert "Teléfono: ahora registrado «+56987654321», usted escribió «+56911111111»" in (
        stale.value.message("es")
    )
    assert "now on record «+56987654321», you typed «+56911111111»" in stale.value.message("en")
    detail = person_file.get_person(ctx, person_id)
    assert (detail.phone, detail.nationality) == ("+56987654321", "VEN")  # nothing half-written
    # Names and dates are checked the same way; the sort name follows the names.
    assert persons.update_person(
        ctx,
        person_id,
        {
            "first_surname": {"base": "Rondón", "new": "Rondon"},
            "birth_date": {"base": "1991-04-17", "new": dt.date(1991, 4, 18)},
        },
    ) == ["birth_date", "first_surname"]
    with database.read() as s:
        person = s.get(Person, person_id)
        assert person is not None
        assert person.sort_name.startswith("rondon") and person.version == 2


def test_a_stale_copy_of_a_row_is_refused_by_its_version(
    ctx: Context, database: Database, person_id: uuid.UUID
) -> None:
    fu = schedule_follow_up(ctx, person_id, {"due_on": dt.date(2026, 12, 1), "what": "Llamar"})
    with database.read() as s:
        copy = s.get(FollowUp, fu)  # a desk's copy, read a moment ago
    assert copy is not None and copy.version == 1
    # Another desk's write reaches the row first.
    with database.engine.begin() as other:
        other.execute(sa.update(FollowUp).where(FollowUp.id == fu).values(version=2, what="Otro"))
    with pytest.raises(EditConflict) as stale, database.write() as s:
        s.add(copy)
        copy.what = "Llamar dos veces"
    assert stale.value.code == "record_changed"
    assert "Otra persona cambió este registro" in stale.value.message("es")
    with database.read() as s:
        assert s.get(FollowUp, fu).what == "Otro"  # type: ignore[union-attr]


def test_reschedules_guidance_items_and_application_numbers_check_their_base(
    ctx: Context, sup: Context, person_id: uuid.UUID
) -> None:
    fu = schedule_follow_up(ctx, person_id, {"due_on": dt.date(2026, 12, 1), "what": "Llamar"})
    followups.reschedule(sup, fu, dt.date(2026, 12, 8), base=dt.date(2026, 12, 1))
    with pytest.raises(EditConflict) as clash:
        followups.reschedule(ctx, fu, dt.date(2026, 12, 15), base=dt.date(2026, 12, 1))
    assert "Fecha: ahora registrado «08-12-2026», usted escribió «15-12-2026»" in (
        clash.value.message("es")
    )
    followups.reschedule(ctx, fu, dt.date(2026, 12, 8), base=dt.date(2026, 12, 1))  # the same
    followups.close(sup, fu, {"status": "missed"})
    with pytest.raises(EditConflict) as closed:
        followups.reschedule(ctx, fu, dt.date(2026, 12, 20), base=dt.date(2026, 12, 8))
    assert "Carolina Reyes ya cerró este seguimiento" in closed.value.message("es")
    assert "«no se pudo»" in closed.value.message("es")

    gid = guidance.start(ctx, person_id, {"route_id": "refuge"})
    [first] = [i.item_key for i in guidance.for_person(ctx, person_id)[0].items][:1]
    guidance.set_item(sup, gid, {"item_key": first, "state": "explained", "from_state": "pending"})
    with pytest.raises(EditConflict) as moved:
        guidance.set_item(
            ctx, gid, {"item_key": first, "state": "not_applicable", "from_state": "pending"}
        )
    assert "Avance: ahora registrado «explicado», usted escribió «no aplica»" in (
        moved.value.message("es")
    )
    guidance.set_application(sup, gid, "SOL-1", base=None)
    with pytest.raises(EditConflict):
        guidance.set_application(ctx, gid, "SOL-2", base=None)
    guidance.set_application(ctx, gid, "SOL-2", base="SOL-1")
    assert guidance.for_person(ctx, person_id)[0].sermig_application == "SOL-2"


def test_row_versions_survive_a_downgrade_and_start_at_one(tmp_path: Path) -> None:
    from alembic import command

    db = open_database(str(tmp_path / "v.db"))
    admin = staff.first_run(
        Context(db), {"code": "OFMIG", "name": "Oficina"}, {"username": "admin", "full_name": "A"}
    )
    pid = persons.register_intake(Context(db, admin.id), intake_data()).person_id
    cfg = db.alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    db.upgrade(backup=False)
    with db.read() as s:
        person = s.get(Person, pid)
        assert person is not None and person.version == 1
    assert persons.update_person(
        Context(db, admin.id), pid, {"phone": {"base": "+56987654321", "new": "912345678"}}
    ) == ["phone"]
    db.dispose()
