"""Merge with care (#14 point 9), races on both backends: two supervisors undoing one merge
at once, an undo against a merge of the survivor, and an undo while another desk writes to
the survivor. Nothing lost, nothing doubled, a clear message for the one that lost."""

from __future__ import annotations

import uuid
from functools import partial

import sqlalchemy as sa

from casework.db import Database
from casework.errors import EditConflict
from casework.models import AuditEvent, Case, Contact, Person, PersonMerge, Referral
from casework.services import merge, persons, referrals
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data
from .test_concurrency_races import at_once

REPEAT = 4


def pair(ctx: Context, i: int) -> tuple[uuid.UUID, uuid.UUID]:
    keep = persons.register_intake(
        ctx, intake_data(person_data(given_names=f"Persona {i}", documents=[])), allow_likely=True
    ).person_id
    other = persons.register_intake(
        ctx,
        intake_data(person_data(given_names=f"PERSONA {i}", documents=[], phone=None)),
        allow_likely=True,
    ).person_id
    referrals.create(
        ctx, other, {"destination": "omil", "reason": "Trabajo", "consent_given": True}
    )
    return keep, other


def rows(db: Database, model: type[Contact] | type[Referral], pid: uuid.UUID) -> int:
    with db.read() as s:
        return int(
            s.scalar(sa.select(sa.func.count()).select_from(model).where(model.person_id == pid))
            or 0
        )


def pointer(db: Database, pid: uuid.UUID) -> uuid.UUID | None:
    with db.read() as s:
        person = s.get(Person, pid)
        assert person is not None
        return person.merged_into_id


def merge_of(db: Database, merged: uuid.UUID) -> uuid.UUID:
    with db.read() as s:
        return s.scalars(sa.select(PersonMerge.id).where(PersonMerge.merged_id == merged)).one()


def test_two_undos_of_one_merge_at_once_undo_it_once(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    ctx = Context(database, worker.id)
    for i in range(REPEAT):
        keep, other = pair(ctx, i)
        merge.merge(Context(database, supervisor.id), keep, other)
        mid = merge_of(database, other)
        results = at_once(
            partial(merge.undo, Context(database, supervisor.id), mid),
            partial(merge.undo, Context(database, supervisor.id), mid),
        )
        won = [r for r in results if isinstance(r, merge.UndoResult)]
        lost = [r for r in results if not isinstance(r, merge.UndoResult)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], merge.MergeRefused) and lost[0].code == "undone", lost
        assert "ya fue deshecha" in lost[0].message()
        assert pointer(database, other) is None
        assert (rows(database, Contact, keep), rows(database, Contact, other)) == (1, 1)
        assert (rows(database, Referral, keep), rows(database, Referral, other)) == (0, 1)
        with database.read() as s:
            undos = s.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "merge_undo", AuditEvent.person_id == other)
            )
            assert undos == 1


def test_undo_against_a_merge_of_the_survivor_at_once(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    """One supervisor undoes A into S while another merges S into T: either the undo comes
    first (A live with its rows, S into T) or the merge (then undo says undo that first)."""
    ctx = Context(database, worker.id)
    for i in range(REPEAT):
        survivor, other = pair(ctx, i)
        third = persons.register_intake(
            ctx,
            intake_data(person_data(given_names=f"Persona {i} B", documents=[])),
            allow_likely=True,
        ).person_id
        merge.merge(Context(database, supervisor.id), survivor, other)
        mid = merge_of(database, other)
        undo, fold = at_once(
            partial(merge.undo, Context(database, supervisor.id), mid),
            partial(merge.merge, Context(database, supervisor.id), third, survivor),
        )
        assert isinstance(fold, merge.MergeResult), repr(fold)
        assert pointer(database, survivor) == third
        if isinstance(undo, merge.UndoResult):
            assert pointer(database, other) is None
            assert rows(database, Referral, other) == 1
            assert rows(database, Referral, third) == 0
        else:
            assert isinstance(undo, merge.MergeRefused), repr(undo)
            assert undo.code == "survivor_merged" and "deshaga primero" in undo.message()
            assert pointer(database, other) == third  # no chain
            assert rows(database, Referral, third) == 1
        total = rows(database, Contact, other) + rows(database, Contact, third)
        assert total == 3  # one contact each, none lost or doubled


def test_undo_while_another_desk_writes_to_the_survivor(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    ctx = Context(database, worker.id)
    for i in range(REPEAT):
        keep, other = pair(ctx, i)
        merge.merge(Context(database, supervisor.id), keep, other)
        mid = merge_of(database, other)
        undone, contact = at_once(
            partial(merge.undo, Context(database, supervisor.id), mid),
            partial(
                persons.record_contact, Context(database, worker.id), keep, {"reasons": ["health"]}
            ),
        )
        assert isinstance(undone, merge.UndoResult), repr(undone)
        if isinstance(contact, uuid.UUID):
            # The new contact is kept, on the case it was recorded in and with that case's
            # person; what was the other's is the other's again.
            with database.read() as s:
                row = s.get(Contact, contact)
                assert row is not None
                case = s.get(Case, row.case_id)
                assert case is not None and case.person_id == row.person_id
            assert rows(database, Contact, keep) + rows(database, Contact, other) == 3
        else:
            # The desk's case moved back under it: told to try again, nothing half-written.
            assert isinstance(contact, EditConflict), repr(contact)
            assert "nada se guardó" in contact.message(), contact.message()
            assert rows(database, Contact, keep) + rows(database, Contact, other) == 2
        assert rows(database, Contact, other) >= 1 and rows(database, Contact, keep) >= 1
        assert rows(database, Referral, other) == 1 and pointer(database, other) is None
