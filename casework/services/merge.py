"""Merging two records of one person: everything of the merged record moves to the
survivor, which keeps a pointer from the merged one (no chains)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.errors import Conflict, InvalidInput, NotFound
from casework.errors import FieldError as FE
from casework.models import (
    Case,
    Consent,
    Contact,
    FollowUp,
    Guidance,
    HouseholdMember,
    ImportRef,
    MatchPair,
    MigrationStatusRecord,
    Note,
    Person,
    PersonLanguage,
    PersonMerge,
    Referral,
)
from casework.models.base import utcnow
from casework.services import gate, keys
from casework.services.context import Context, audit
from casework.services.gate import AccessReason, Read, person_read
from casework.services.locking import lock_persons, queue_lock, reclaim, release
from casework.services.person_file import PersonDetail, detail_as_seen

MERGE_FIELDS = (
    "given_names",
    "first_surname",
    "second_surname",
    "social_name",
    "sex",
    "gender_identity",
    "birth_date",
    "birth_date_precision",
    "nationality",
    "birth_country",
    "phone",
    "phone2",
    "email",
    "address",
    "commune_code",
    "civil_status",
    "schooling",
    "interpreter_needed",
    "arrival_date",
    "stats_opt_out",
)
"""Fields a supervisor chooses between, side by side."""


@dataclass(frozen=True)
class Comparison:
    """Two records of maybe one person, side by side, as the supervisor compares them."""

    a: PersonDetail
    b: PersonDetail


@person_read
def compare(
    ctx: Context,
    a_id: uuid.UUID,
    b_id: uuid.UUID,
    *,
    reason: AccessReason | str | None = None,
) -> Comparison:
    """Both records of a possible duplicate, each read through the gate as
    ``person_file.get_person`` reads one: one view row per person (``a`` first), each with
    its own standing and ``reason`` (the duplicate queue gives ``duplicate_check``). Both
    are read in one transaction: if either is refused, neither read is recorded."""
    sides: list[PersonDetail] = []
    with ctx.db.write() as session:
        for person_id in (a_id, b_id):
            reading = gate.read_person(session, ctx, person_id, Read.DETAIL, reason)
            sides.append(detail_as_seen(session, ctx, reading.person))
    return Comparison(sides[0], sides[1])


def _mergeable(session: Session, locked: dict[uuid.UUID, Person], pid: uuid.UUID) -> Person:
    """A locked person still live, or the message the second of two merges gets."""
    person = locked.get(pid)
    if person is None:
        raise NotFound("not_found", what="person")
    if person.merged_into_id is not None:
        into = session.execute(
            sa.select(Person.given_names, Person.first_surname).where(
                Person.id == person.merged_into_id
            )
        ).first()
        name = f"{into.given_names} {into.first_surname}" if into else str(person.merged_into_id)
        raise Conflict("already_merged", name=name, survivor=str(person.merged_into_id))
    return person


@dataclass(frozen=True)
class MergeResult:
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    moved: dict[str, int]
    fields_from_merged: tuple[str, ...]


def merge(
    ctx: Context,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    take_from_merged: Iterable[str] = (),
) -> MergeResult:
    """Fold ``merged`` into ``survivor``. Every contact, case, status, guidance, referral,
    follow-up, note, consent, document, language and household member moves to the survivor;
    fields named in ``take_from_merged`` take the merged record's value, and any field the
    survivor lacks is filled from the merged one. The merged record stays as a pointer."""
    chosen = tuple(take_from_merged)
    unknown = [f for f in chosen if f not in MERGE_FIELDS]
    if unknown:
        raise InvalidInput([FE("take_from_merged", "unknown_field", {"value": unknown[0]})])
    if survivor_id == merged_id:
        raise Conflict("merge_same_person")
    with ctx.db.write() as session:
        worker = gate.supervision(session, ctx).supervisor
        # Both rows locked (in id order) and read again: of two supervisors merging one
        # pair at once, with either survivor, the second sees the first's merge and stops.
        queue_lock(session, exclusive=False)
        locked = lock_persons(session, [survivor_id, merged_id])
        survivor = _mergeable(session, locked, survivor_id)
        merged = _mergeable(session, locked, merged_id)
        # A supervisor of both persons' programme, or an office-wide one; before any write.
        gate.supervise(session, ctx, survivor_id, merged_id)
        taken: list[str] = []
        for name in MERGE_FIELDS:
            mine, theirs = getattr(survivor, name), getattr(merged, name)
            if (
                (name in chosen or mine in (None, ""))
                and theirs not in (None, "")
                and (mine != theirs)
            ):
                setattr(survivor, name, theirs)
                taken.append(name)
        survivor.external_refs = sorted(
            set(survivor.external_refs or []) | set(merged.external_refs or [])
        )
        session.execute(
            sa.update(ImportRef)
            .where(ImportRef.person_id == merged.id)
            .values(person_id=survivor.id)
            .execution_options(synchronize_session=False)
        )
        # Records merged into this one before now point at the survivor: no chains.
        session.execute(
            sa.update(Person)
            .where(Person.merged_into_id == merged.id)
            .values(merged_into_id=survivor.id)
            .execution_options(synchronize_session=False)
        )
        survivor.sort_name = keys.sort_name(
            survivor.first_surname, survivor.second_surname, survivor.given_names
        )
        # A household line of one naming the other would name its own person once moved.
        session.execute(
            sa.update(HouseholdMember)
            .where(
                sa.or_(
                    sa.and_(
                        HouseholdMember.person_id == merged.id,
                        HouseholdMember.related_person_id == survivor.id,
                    ),
                    sa.and_(
                        HouseholdMember.person_id == survivor.id,
                        HouseholdMember.related_person_id == merged.id,
                    ),
                )
            )
            .values(related_person_id=None)
            .execution_options(synchronize_session=False)
        )
        moved: dict[str, int] = {}
        for model in (
            Case,
            Contact,
            Note,
            Guidance,
            Referral,
            FollowUp,
            Consent,
            MigrationStatusRecord,
            HouseholdMember,
        ):
            result = session.execute(
                sa.update(model)
                .where(model.person_id == merged.id)
                .values(person_id=survivor.id)
                .execution_options(synchronize_session=False)
            )
            moved[model.__tablename__] = int(result.rowcount or 0)  # type: ignore[attr-defined]
        session.execute(
            sa.update(HouseholdMember)
            .where(HouseholdMember.related_person_id == merged.id)
            .values(related_person_id=survivor.id)
            .execution_options(synchronize_session=False)
        )
        have_docs = {(d.type_key, d.number_norm) for d in survivor.documents}
        moved["identity_document"] = 0
        for doc in list(merged.documents):
            if (doc.type_key, doc.number_norm) not in have_docs:
                doc.person_id = survivor.id
                moved["identity_document"] += 1
        released = release(session, merged.id)
        have_langs = {lang.code for lang in survivor.languages}
        for lang in session.scalars(
            sa.select(PersonLanguage).where(PersonLanguage.person_id == merged.id)
        ):
            if lang.code not in have_langs:
                lang.person_id = survivor.id
        latest = session.scalars(
            sa.select(MigrationStatusRecord.status)
            .where(MigrationStatusRecord.person_id == survivor.id)
            .order_by(MigrationStatusRecord.recorded_at.desc())
            .limit(1)
        ).first()
        survivor.current_status = latest or survivor.current_status or merged.current_status
        merged.merged_into_id = survivor.id
        # The merged record's numbers go to whoever holds them live now (the survivor).
        reclaim(session, released)
        session.add(
            PersonMerge(
                survivor_id=survivor.id,
                merged_id=merged.id,
                worker_id=worker.id,
                details={"fields_from_merged": taken, "moved": moved},
            )
        )
        a, b = sorted((survivor.id, merged.id))
        pair = session.scalar(
            sa.select(MatchPair).where(MatchPair.person_a == a, MatchPair.person_b == b)
        )
        if pair is None:
            pair = MatchPair(person_a=a, person_b=b, score=1.0, reasons=[])
            session.add(pair)
        pair.status, pair.decided_by, pair.decided_at = "merged", worker.id, utcnow()
        session.execute(
            sa.delete(MatchPair).where(
                MatchPair.status == "pending",
                sa.or_(MatchPair.person_a == merged.id, MatchPair.person_b == merged.id),
            )
        )
        session.expire(survivor, ["documents", "languages"])
        keys.refresh(session, survivor)
        audit(
            session,
            ctx,
            "merge",
            "person",
            survivor.id,
            person_id=survivor.id,
            merged=str(merged.id),
            fields=taken,
        )
        audit(
            session, ctx, "merge", "person", merged.id, person_id=merged.id, into=str(survivor.id)
        )
        return MergeResult(survivor.id, merged.id, moved, tuple(taken))
