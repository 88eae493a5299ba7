"""Two desks editing one record at the same moment, on SQLite and PostgreSQL: nothing lost,
nothing doubled, and a clear message for the one who comes second.

Each race runs two threads, each with its own Context; a barrier lets both read what their
form starts from before either writes, and the race is repeated so that either desk wins
some of the time.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.errors import EditConflict
from casework.models import AuditEvent, Case, FollowUp, Person, Referral, ReferralEvent
from casework.services import cases, files, followups, persons, referrals
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data

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
            return getattr(files.get_person(who, person_id), field)

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
            detail = files.get_person(who, person_id)
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
    import datetime as dt

    def desk(who: Context, fu: uuid.UUID, outcome: str) -> Any:
        def read() -> None:
            return None

        def write(_: None) -> None:
            followups.close(who, fu, {"status": "done", "outcome": outcome})

        return read, write

    names = {ctx.actor_id: "Daniela Fuentes", sup.actor_id: supervisor.full_name}
    for i in range(ROUNDS):
        fu = followups.schedule(ctx, person_id, {"due_on": dt.date(2026, 12, 1), "what": "Llamar"})
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
