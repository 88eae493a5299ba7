"""The duplicate gate at intake (issue #14 point 2), in the service: a likely match on
record refuses the intake until the worker names it "not the same person"; that choice is
recorded on the pair and audited, and the scan does not propose the pair again. On SQLite
and PostgreSQL, including two desks registering the same new person at once."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.errors import InvalidInput
from casework.models import AuditEvent, Contact, MatchPair, Person
from casework.services import duplicate_queue, persons
from casework.services.candidates import LikelyDuplicate
from casework.services.context import Context
from casework.services.drafts import DraftBook
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data
from .test_concurrency_races import REPEAT, _count, at_once

# The same woman typed again at another visit, with another passport number (the
# document check alone would not stop her).
AGAIN = person_data(documents=[{"type": "passport", "number": "VE7654321"}])


SOMEONE = [
    ("Ana", "Quispe"),
    ("Bruno", "Mamani"),
    ("Celia", "Huanca"),
    ("Dario", "Condori"),
    ("Elena", "Choque"),
    ("Fabio", "Flores"),
    ("Gloria", "Tapia"),
    ("Hugo", "Vargas"),
    ("Irene", "Medina"),
    ("Jorge", "Salazar"),
]


def _persons(db: Database) -> int:
    return _count(db, sa.select(Person.id))


def test_a_likely_match_refuses_the_intake_and_writes_nothing(
    ctx: Context, database: Database
) -> None:
    first = persons.register_intake(ctx, intake_data()).person_id
    for _ in range(2):  # "Ctrl+S twice": the second call is refused the same way
        with pytest.raises(LikelyDuplicate) as refused:
            persons.register_intake(ctx, intake_data(AGAIN), request_id=uuid.uuid4())
        assert [c.person.id for c in refused.value.candidates] == [first]
        assert refused.value.candidates[0].reasons  # why they match
        assert "nada se guardó" in refused.value.message()
    assert _persons(database) == 1
    assert _count(database, sa.select(Contact.id)) == 1


def test_naming_another_person_is_not_enough(ctx: Context, database: Database) -> None:
    persons.register_intake(ctx, intake_data())
    with pytest.raises(LikelyDuplicate):
        persons.register_intake(ctx, intake_data(AGAIN), not_same_as=[uuid.uuid4()])
    assert _persons(database) == 1


def test_not_the_same_person_is_created_recorded_on_the_pair_and_audited(
    ctx: Context, database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    first = persons.register_intake(ctx, intake_data()).person_id
    made = persons.register_intake(ctx, intake_data(AGAIN), not_same_as=[first])
    assert _persons(database) == 2
    with database.read() as s:
        pair = s.scalars(sa.select(MatchPair)).one()
        assert {pair.person_a, pair.person_b} == {first, made.person_id}
        assert pair.person_a < pair.person_b
        assert pair.status == "not_same"
        assert pair.decided_by == worker.id and pair.decided_at is not None
        assert pair.reasons  # the codes of why they looked alike
        event = s.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "not_same", AuditEvent.entity_id == pair.id
            )
        ).one()
        assert event.worker_id == worker.id and event.person_id == made.person_id
    report = duplicate_queue.scan(Context(database, supervisor.id))
    assert report.pairs_found >= 1 and report.new_pairs == 0  # found, never proposed again
    assert duplicate_queue.queue(Context(database, supervisor.id)) == []


def test_arrival_before_birth_is_an_error_of_the_arrival_date(ctx: Context) -> None:
    data = intake_data(person_data(arrival_date=dt.date(1990, 1, 1)))
    with pytest.raises(InvalidInput) as refused:
        persons.register_intake(ctx, data)
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("person.arrival_date", "arrival_before_birth")
    ]


def test_two_desks_registering_the_same_new_person_at_once_make_one(
    database: Database, worker: WorkerOut
) -> None:
    """Nothing doubled: the second desk's check runs after the first one's insert and is
    refused with the first as the candidate (documents differ, so only the gate stops it)."""
    for i in range(REPEAT):
        a = person_data(
            given_names=SOMEONE[i][0],
            first_surname=SOMEONE[i][1],
            second_surname=None,
            birth_date=dt.date(1970 + 3 * i, 1 + i, 1 + 2 * i),
            phone=None,
            documents=[{"type": "passport", "number": f"RA{i}001"}],
        )
        b = dict(a, documents=[{"type": "national_id", "number": f"7{i}12345"}])
        results = at_once(
            partial(persons.register_intake, Context(database, worker.id), intake_data(a)),
            partial(persons.register_intake, Context(database, worker.id), intake_data(b)),
        )
        won = [r for r in results if isinstance(r, persons.IntakeResult)]
        lost = [r for r in results if not isinstance(r, persons.IntakeResult)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], LikelyDuplicate), repr(lost[0])
        assert [c.person.id for c in lost[0].candidates] == [won[0].person_id]
    assert _persons(database) == REPEAT


def test_both_desks_declaring_not_the_same_at_once_each_save_once(
    database: Database, worker: WorkerOut
) -> None:
    """Both workers declared the person on record "not the same" for two different new
    persons: both are created (they legitimately said so), the pairs with the one on
    record are recorded once each, and the two new ones -- which look alike -- are not:
    the later one is refused until its worker sees the other."""
    first = persons.register_intake(Context(database, worker.id), intake_data()).person_id
    a = person_data(documents=[{"type": "passport", "number": "VE1111111"}])
    b = person_data(documents=[{"type": "passport", "number": "VE2222222"}])
    results = at_once(
        partial(
            persons.register_intake,
            Context(database, worker.id),
            intake_data(a),
            not_same_as=[first],
        ),
        partial(
            persons.register_intake,
            Context(database, worker.id),
            intake_data(b),
            not_same_as=[first],
        ),
    )
    won = [r for r in results if isinstance(r, persons.IntakeResult)]
    lost = [r for r in results if not isinstance(r, persons.IntakeResult)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], LikelyDuplicate)
    assert won[0].person_id in {c.person.id for c in lost[0].candidates}
    assert _persons(database) == 2
    assert _count(database, sa.select(MatchPair.id)) == 1


def test_a_household_birth_year_that_is_not_a_year_is_an_error_of_the_household(
    ctx: Context, database: Database
) -> None:
    line = {"relationship": "child", "name": "Luis", "birth_year": "20a5"}
    with pytest.raises(InvalidInput) as refused:
        persons.register_intake(ctx, intake_data(person_data(household=[line])))
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("person.household", "not_a_number")
    ]
    assert _persons(database) == 0


def test_a_draft_is_only_its_workers() -> None:
    book = DraftBook()
    daniela, pedro = uuid.uuid4(), uuid.uuid4()
    first = book.start(daniela, form="ficha 1")
    second = book.start(daniela, form="ficha 2")
    assert [d.id for d in book.mine(daniela)] == [second.id, first.id]  # the latest first
    assert book.mine(pedro) == [] and book.mine(None) == []
    assert book.get(pedro, first.id) is None
    assert book.discard(pedro, first.id) is None  # not theirs: kept
    assert book.get(daniela, first.id) is first
    assert book.discard(daniela, first.id) is first
    assert [d.id for d in book.mine(daniela)] == [second.id]
    assert len(book.all()) == 1
