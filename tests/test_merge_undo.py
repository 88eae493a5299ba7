"""Merge with care (#14 point 9), services: the preview the confirmation shows, and undo
(everything back where it was, audited; undo twice says so; a desk worker is refused)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.errors import NotAllowed
from casework.models import (
    AuditEvent,
    Contact,
    IdentityDocument,
    MatchPair,
    Note,
    Person,
    PersonMerge,
    Referral,
)
from casework.services import merge, persons, referrals
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data


def two_records(ctx: Context) -> tuple[uuid.UUID, uuid.UUID]:
    """Yesenia twice: the second with another phone, a RUN, a note and a referral. The
    survivor is registered last, so its case is the one a new contact goes to."""
    other = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Yesenia",
                first_surname="Rondon",
                second_surname=None,
                phone="+51 987 654 321",
                documents=[{"type": "run", "number": "24.123.456-8"}],
            ),
        ),
        allow_likely=True,
    ).person_id
    keep = persons.register_intake(
        ctx, intake_data(person_data(phone=None)), allow_likely=True
    ).person_id
    persons.add_note(ctx, other, {"text": "Nota del otro programa"})
    referrals.create(
        ctx, other, {"destination": "omil", "reason": "Trabajo", "consent_given": True}
    )
    return keep, other


def _count(db: Database, model: Any, person_id: uuid.UUID) -> int:
    with db.read() as s:
        return int(
            s.scalar(
                sa.select(sa.func.count()).select_from(model).where(model.person_id == person_id)
            )
            or 0
        )


def _merge_id(db: Database, merged: uuid.UUID) -> uuid.UUID:
    with db.read() as s:
        return s.scalars(sa.select(PersonMerge.id).where(PersonMerge.merged_id == merged)).one()


def test_preview_shows_kept_values_and_counts_and_writes_nothing(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    keep, other = two_records(ctx)
    sup = Context(database, supervisor.id)
    view = merge.preview(sup, keep, other, ["first_surname"])
    assert view.survivor_name.startswith("Yesenia Carolina")
    assert view.merged_name == "Yesenia Rondon"
    kept = {f.name: f.kept for f in view.fields}
    assert kept["first_surname"] == "merged"  # chosen
    assert kept["phone"] == "merged"  # the survivor has none
    assert kept["given_names"] == "survivor"
    assert kept["birth_date"] == "same"
    assert view.moves["contact"] == 1 and view.moves["note"] == 1
    assert view.moves["referral"] == 1 and view.moves["identity_document"] == 1
    assert list(view.moves) == list(merge.PREVIEW_COUNTS)
    result = merge.merge(sup, keep, other, ["first_surname"])
    # The preview said what the merge did.
    for name, count in view.moves.items():
        assert result.moved[name] == count, name
    assert set(result.fields_from_merged) == {"first_surname", "phone"}


def test_undo_puts_everything_back_and_audits(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    keep, other = two_records(ctx)
    sup = Context(database, supervisor.id)
    before_contacts = (_count(database, Contact, keep), _count(database, Contact, other))
    merge.merge(sup, keep, other, ["first_surname"])
    assert _count(database, Contact, other) == 0
    # Something new on the survivor after the merge stays with the survivor.
    persons.record_contact(ctx, keep, {"reasons": ["health"]})
    [listed] = merge.recent(sup)
    assert listed.undoable and listed.merged_id == other

    result = merge.undo(sup, listed.id)

    assert result.kept_newer == ()
    assert set(result.fields_restored) == {"first_surname", "phone"}
    assert (_count(database, Contact, keep), _count(database, Contact, other)) == (
        before_contacts[0] + 1,
        before_contacts[1],
    )
    assert _count(database, Note, other) == 1 and _count(database, Referral, other) == 1
    assert _count(database, IdentityDocument, other) == 1
    with database.read() as s:
        survivor, merged = s.get(Person, keep), s.get(Person, other)
        assert survivor is not None and merged is not None
        assert merged.merged_into_id is None
        assert survivor.first_surname == "Rondón" and survivor.phone is None
        assert s.scalars(sa.select(PersonMerge)).all() == []
        pair = s.scalars(sa.select(MatchPair)).one()
        assert pair.status == "pending" and pair.decided_by is None
        run = s.scalars(
            sa.select(IdentityDocument).where(IdentityDocument.person_id == other)
        ).one()
        assert run.live_key == run.number_norm  # its number is claimed again
        actions = s.execute(
            sa.select(AuditEvent.person_id).where(AuditEvent.action == "merge_undo")
        ).all()
        assert sorted(p for (p,) in actions) == sorted([keep, other])
    # Both are found on their own again.
    assert [p.id for p in persons.search_persons(ctx, "24.123.456-8")] == [other]
    # Undo twice: a clear message, nothing changed.
    with pytest.raises(merge.MergeRefused) as twice:
        merge.undo(sup, listed.id)
    assert "ya fue deshecha" in twice.value.message()
    # The pair can be merged again.
    merge.merge(sup, keep, other)


def test_undo_keeps_a_value_changed_since_and_says_so(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    keep, other = two_records(ctx)
    sup = Context(database, supervisor.id)
    merge.merge(sup, keep, other)
    persons.update_person(ctx, keep, {"phone": {"base": "+51987654321", "new": "+56 9 1234 5678"}})
    result = merge.undo(sup, _merge_id(database, other))
    assert result.kept_newer == ("phone",)
    with database.read() as s:
        survivor = s.get(Person, keep)
        assert survivor is not None and survivor.phone == "+56912345678"


def test_a_desk_worker_cannot_undo(ctx: Context, database: Database, supervisor: WorkerOut) -> None:
    keep, other = two_records(ctx)
    merge.merge(Context(database, supervisor.id), keep, other)
    with pytest.raises(NotAllowed):
        merge.undo(ctx, _merge_id(database, other))
    with database.read() as s:
        merged = s.get(Person, other)
        assert merged is not None and merged.merged_into_id == keep


def test_a_merge_erased_since_or_made_before_undo_existed_is_refused_clearly(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    from casework.services import rights

    sup = Context(database, supervisor.id)
    keep, other = two_records(ctx)
    merge.merge(sup, keep, other)
    mid = _merge_id(database, other)
    with database.write() as s:  # as a merge recorded before this change: no undo plan
        record = s.get(PersonMerge, mid)
        assert record is not None
        record.details = {k: v for k, v in record.details.items() if k != "undo"}
    [listed] = merge.recent(sup)
    assert not listed.undoable
    with pytest.raises(merge.MergeRefused) as old:
        merge.undo(sup, mid)
    assert old.value.code == "not_undoable" and "antes de que" in old.value.message()
    # Erased (rights.erase, retention.anonymise): both records and the merge are gone.
    with database.write() as s:
        rights.erase_person(s, keep)
    with pytest.raises(merge.MergeRefused) as gone:
        merge.undo(sup, mid)
    assert gone.value.code == "undone" and "eliminadas" in gone.value.message()


def test_undoing_the_later_of_two_merges_gives_back_the_records_merged_before(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    """A into B, then B into C: undoing B-into-C gives B back, with A pointing at B again;
    undoing A-into-B while B is merged into C says to undo that one first."""
    sup = Context(database, supervisor.id)
    a, b, c = (
        persons.register_intake(
            ctx,
            intake_data(person_data(given_names=f"Persona {n}", documents=[])),
            allow_likely=True,
        ).person_id
        for n in range(3)
    )
    persons.add_note(ctx, a, {"text": "De la ficha A"})
    merge.merge(sup, b, a)
    merge.merge(sup, c, b)
    with pytest.raises(merge.MergeRefused) as first:
        merge.undo(sup, _merge_id(database, a))
    assert first.value.code == "survivor_merged"
    merge.undo(sup, _merge_id(database, b))
    with database.read() as s:
        pointers = {p: s.get(Person, p).merged_into_id for p in (a, b, c)}  # type: ignore[union-attr]
    assert pointers == {a: b, b: None, c: None}
    assert _count(database, Note, b) == 1  # A's note had moved to B before C
    merge.undo(sup, _merge_id(database, a))
    assert _count(database, Note, a) == 1
    with database.read() as s:
        assert s.get(Person, a).merged_into_id is None  # type: ignore[union-attr]


def test_undo_gives_back_household_links_and_languages(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    """Two records listing each other as household: the merge folds the line; undo puts
    it back, naming the other record again."""
    from casework.models import HouseholdMember

    first = persons.register_intake(ctx, intake_data(), allow_likely=True).person_id
    line = {"relationship": "sibling", "name": "Yesenia", "related_person_id": str(first)}
    second = persons.register_intake(
        ctx,
        intake_data(
            person_data(documents=[{"type": "national_id", "number": "77665544"}], household=[line])
        ),
        allow_likely=True,
    ).person_id
    sup = Context(database, supervisor.id)
    merge.merge(sup, first, second)
    with database.read() as s:
        folded = s.scalars(sa.select(HouseholdMember)).one()
        assert folded.person_id == first and folded.related_person_id is None
    merge.undo(sup, _merge_id(database, second))
    with database.read() as s:
        back = s.scalars(sa.select(HouseholdMember)).one()
        assert (back.person_id, back.related_person_id) == (second, first)
