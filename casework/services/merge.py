"""Merging two records of one person: everything of the merged record moves to the
survivor, which keeps a pointer from the merged one (no chains)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

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
    IdentityDocument,
    ImportRef,
    MatchPair,
    MigrationStatusRecord,
    Note,
    Person,
    PersonLanguage,
    PersonMerge,
    Referral,
    Worker,
)
from casework.models.base import utcnow
from casework.services import gate, keys, match_records
from casework.services.context import Context, audit
from casework.services.gate import AccessReason, Read, person_read
from casework.services.locking import claim_free, lock_persons, queue_lock, reclaim, release
from casework.services.outbox import online_only
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


def _empty(value: object) -> bool:
    return value is None or value == ""


def _taken_fields(survivor: Person, merged: Person, chosen: Iterable[str]) -> list[str]:
    """The fields the survivor takes from the merged record: those chosen, and those the
    survivor lacks, whenever the merged one has a different value."""
    chosen = set(chosen)
    return [
        name
        for name in MERGE_FIELDS
        if (name in chosen or _empty(getattr(survivor, name)))
        and not _empty(getattr(merged, name))
        and getattr(survivor, name) != getattr(merged, name)
    ]


def _check_choice(chosen: Iterable[str]) -> tuple[str, ...]:
    out = tuple(chosen)
    unknown = [f for f in out if f not in MERGE_FIELDS]
    if unknown:
        raise InvalidInput([FE("take_from_merged", "unknown_field", {"value": unknown[0]})])
    return out


def _dump(value: Any) -> Any:
    """A field's value as JSON holds it."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _load(name: str, value: Any) -> Any:
    if value is not None and name in ("birth_date", "arrival_date"):
        return dt.date.fromisoformat(value)
    return value


MOVED_MODELS: tuple[Any, ...] = (
    Case,
    Contact,
    Note,
    Guidance,
    Referral,
    FollowUp,
    Consent,
    MigrationStatusRecord,
    HouseholdMember,
)
"""The person's rows that move to the survivor, by their person_id."""

PREVIEW_COUNTS = (
    "contact",
    "case_file",
    "referral",
    "follow_up",
    "guidance",
    "note",
    "identity_document",
    "household_member",
    "consent",
    "migration_status",
)
"""What the confirmation counts, in the order it shows them (table names)."""


@dataclass(frozen=True)
class FieldChoice:
    """One field of the two records: both values and which one the survivor keeps."""

    name: str
    survivor: Any
    merged: Any
    kept: Literal["survivor", "merged", "same"]


@dataclass(frozen=True)
class MergePreview:
    """What a merge will do, before it is done: the confirmation's read model."""

    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    survivor_name: str
    merged_name: str
    fields: tuple[FieldChoice, ...]
    moves: dict[str, int]
    """Rows of the merged record moving to the survivor, by table name (PREVIEW_COUNTS)."""
    documents_kept_apart: int
    """The merged record's documents the survivor already holds: they stay with the merged
    record (the survivor's copy is the live one)."""


def _name(p: Person) -> str:
    return " ".join(x for x in (p.given_names, p.first_surname, p.second_surname) if x)


def _moving_documents(survivor: Person, merged: Person) -> list[IdentityDocument]:
    """The merged record's documents a merge moves to the survivor: those the survivor does
    not hold already (a repeated one stays with the merged record)."""
    have = {(d.type_key, d.number_norm) for d in survivor.documents}
    return [d for d in merged.documents if (d.type_key, d.number_norm) not in have]


def preview(
    ctx: Context,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    take_from_merged: Iterable[str] = (),
) -> MergePreview:
    """Both records side by side as ``merge`` would fold them with these choices: the value
    of each field the survivor keeps, and how many rows of each kind move. Supervisors of
    both persons only; nothing is written."""
    chosen = _check_choice(take_from_merged)
    if survivor_id == merged_id:
        raise Conflict("merge_same_person")
    with ctx.db.read() as session:
        gate.supervision(session, ctx)
        people = {
            p.id: p
            for p in session.scalars(
                sa.select(Person).where(Person.id.in_([survivor_id, merged_id]))
            )
        }
        survivor = _mergeable(session, people, survivor_id)
        merged = _mergeable(session, people, merged_id)
        gate.supervise(session, ctx, survivor_id, merged_id)
        taken = set(_taken_fields(survivor, merged, chosen))
        fields = tuple(
            FieldChoice(
                name,
                getattr(survivor, name),
                getattr(merged, name),
                "merged"
                if name in taken
                else ("same" if getattr(survivor, name) == getattr(merged, name) else "survivor"),
            )
            for name in MERGE_FIELDS
        )
        moves: dict[str, int] = {}
        for model in MOVED_MODELS:
            moves[model.__tablename__] = int(
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(model)
                    .where(model.person_id == merged.id)
                )
                or 0
            )
        moves["identity_document"] = len(_moving_documents(survivor, merged))
        ordered = {k: moves.get(k, 0) for k in PREVIEW_COUNTS}
        return MergePreview(
            survivor.id,
            merged.id,
            _name(survivor),
            _name(merged),
            fields,
            ordered,
            len(merged.documents) - ordered["identity_document"],
        )


@dataclass(frozen=True)
class MergeResult:
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    moved: dict[str, int]
    fields_from_merged: tuple[str, ...]


@online_only("merge.merge")
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
    chosen = _check_choice(take_from_merged)
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
        # What undo needs to put everything back: ids of what moves, values before.
        undo: dict[str, Any] = {
            "before": {},
            "external_refs": list(survivor.external_refs or []),
            "current_status": survivor.current_status,
            "import_refs": list(
                session.scalars(sa.select(ImportRef.ref).where(ImportRef.person_id == merged.id))
            ),
            "chained": [
                str(i)
                for i in session.scalars(
                    sa.select(Person.id).where(Person.merged_into_id == merged.id)
                )
            ],
        }
        taken = _taken_fields(survivor, merged, chosen)
        for name in taken:
            undo["before"][name] = _dump(getattr(survivor, name))
            setattr(survivor, name, getattr(merged, name))
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
        linked = sa.or_(
            sa.and_(
                HouseholdMember.person_id == merged.id,
                HouseholdMember.related_person_id == survivor.id,
            ),
            sa.and_(
                HouseholdMember.person_id == survivor.id,
                HouseholdMember.related_person_id == merged.id,
            ),
        )
        undo["household_unlinked"] = [
            [str(h.id), str(h.related_person_id)]
            for h in session.scalars(sa.select(HouseholdMember).where(linked))
        ]
        session.execute(
            sa.update(HouseholdMember)
            .where(linked)
            .values(related_person_id=None)
            .execution_options(synchronize_session=False)
        )
        moved: dict[str, int] = {}
        moved_ids: dict[str, list[str]] = {}
        for model in MOVED_MODELS:
            moved_ids[model.__tablename__] = [
                str(i)
                for i in session.scalars(sa.select(model.id).where(model.person_id == merged.id))
            ]
            result = session.execute(
                sa.update(model)
                .where(model.person_id == merged.id)
                .values(person_id=survivor.id)
                .execution_options(synchronize_session=False)
            )
            moved[model.__tablename__] = int(result.rowcount or 0)  # type: ignore[attr-defined]
        undo["household_related"] = [
            str(i)
            for i in session.scalars(
                sa.select(HouseholdMember.id).where(HouseholdMember.related_person_id == merged.id)
            )
        ]
        session.execute(
            sa.update(HouseholdMember)
            .where(HouseholdMember.related_person_id == merged.id)
            .values(related_person_id=survivor.id)
            .execution_options(synchronize_session=False)
        )
        moved["identity_document"] = 0
        # The merged record's live claims, and the survivor's, before anything changes.
        undo["claims"] = {str(d.id): d.live_key for d in merged.documents if d.live_key is not None}
        survivor_claims = {d.id for d in survivor.documents if d.live_key is not None}
        moved_ids["identity_document"] = []
        for doc in _moving_documents(survivor, merged):
            doc.person_id = survivor.id
            moved["identity_document"] += 1
            moved_ids["identity_document"].append(str(doc.id))
        released = release(session, merged.id)
        have_langs = {lang.code for lang in survivor.languages}
        moved_ids["person_language"] = []
        for lang in session.scalars(
            sa.select(PersonLanguage).where(PersonLanguage.person_id == merged.id)
        ):
            if lang.code not in have_langs:
                lang.person_id = survivor.id
                moved_ids["person_language"].append(str(lang.id))
        undo["moved_ids"] = moved_ids
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
        # Numbers the survivor's documents claimed only now, from the merged record.
        undo["reclaimed"] = [
            str(i)
            for i in session.scalars(
                sa.select(IdentityDocument.id).where(
                    IdentityDocument.person_id == survivor.id,
                    IdentityDocument.live_key.is_not(None),
                )
            )
            if i not in survivor_claims and str(i) not in undo["claims"]
        ]
        a, b = sorted((survivor.id, merged.id))
        pair = session.scalar(
            sa.select(MatchPair).where(MatchPair.person_a == a, MatchPair.person_b == b)
        )
        if pair is None:
            pair = MatchPair(person_a=a, person_b=b, score=1.0, reasons=[])
            session.add(pair)
        pair.status, pair.decided_by, pair.decided_at = "merged", worker.id, utcnow()
        undo["pending_pairs"] = [
            [str(p.person_a), str(p.person_b), p.score, p.reasons]
            for p in session.scalars(
                sa.select(MatchPair).where(
                    MatchPair.status == "pending",
                    sa.or_(MatchPair.person_a == merged.id, MatchPair.person_b == merged.id),
                )
            )
        ]
        session.add(
            PersonMerge(
                survivor_id=survivor.id,
                merged_id=merged.id,
                worker_id=worker.id,
                details={"fields_from_merged": taken, "moved": moved, "undo": undo},
            )
        )
        session.execute(
            sa.delete(MatchPair).where(
                MatchPair.status == "pending",
                sa.or_(MatchPair.person_a == merged.id, MatchPair.person_b == merged.id),
            )
        )
        session.expire(survivor, ["documents", "languages"])
        keys.refresh(session, survivor)
        # The merged record stays findable, but only its survivor counts as a person in
        # the matcher's frequencies (an undo's refresh counts it again).
        match_records.uncount(session, merged.id)
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


class MergeRefused(Conflict):
    """An undo that cannot be done, with its reason (``merge.error.<code>``)."""

    def message(self, lang: str | None = None) -> str:
        from casework.i18n import t

        return t(f"merge.error.{self.code}", lang=lang, **self.params)


@dataclass(frozen=True)
class MergeListed:
    """One merge in the supervisor's list of recent merges."""

    id: uuid.UUID
    at: dt.datetime
    survivor_id: uuid.UUID
    survivor_name: str
    merged_id: uuid.UUID
    merged_name: str
    worker_name: str
    undoable: bool
    """False for a merge recorded before undo existed, or whose survivor was merged since."""


def recent(ctx: Context, limit: int = 50) -> list[MergeListed]:
    """The latest merges a supervisor may undo (their programme's, or all), newest first."""
    with ctx.db.read() as session:
        scope = gate.supervision(session, ctx)
        stmt = sa.select(PersonMerge)
        in_scope = scope.persons()
        if in_scope is not None:
            stmt = stmt.where(PersonMerge.survivor_id.in_(in_scope))
        rows = session.scalars(stmt.order_by(PersonMerge.at.desc()).limit(limit)).all()
        ids = {i for r in rows for i in (r.survivor_id, r.merged_id)}
        people = {p.id: p for p in session.scalars(sa.select(Person).where(Person.id.in_(ids)))}
        workers = dict(
            session.execute(
                sa.select(Worker.id, Worker.full_name).where(
                    Worker.id.in_({r.worker_id for r in rows})
                )
            ).all()
        )
        return [
            MergeListed(
                r.id,
                r.at,
                r.survivor_id,
                _name(people[r.survivor_id]),
                r.merged_id,
                _name(people[r.merged_id]),
                workers.get(r.worker_id, ""),
                "undo" in (r.details or {}) and people[r.survivor_id].merged_into_id is None,
            )
            for r in rows
        ]


@dataclass(frozen=True)
class UndoResult:
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    restored: dict[str, int]
    """Rows given back to the merged person, by table name."""
    fields_restored: tuple[str, ...]
    kept_newer: tuple[str, ...]
    """Fields the survivor took in the merge and that were changed since: the newer value
    stays (a later edit is never undone behind the worker's back)."""


def _ids(values: Iterable[str]) -> list[uuid.UUID]:
    return [uuid.UUID(v) for v in values]


@online_only("merge.undo")
def undo(ctx: Context, merge_id: uuid.UUID) -> UndoResult:
    """Undo a merge: the merged person is live again with everything that was theirs (the
    rows, documents and claims, languages, import references, household links and records
    once merged into them), the survivor's fields go back to their values before the merge
    unless changed since, the pair goes back to the queue as pending, audited on both.
    Rows added to the survivor after the merge stay with the survivor, except those inside
    a case that goes back (they go with their case). A supervisor of
    the survivor only; an undone merge (or one erased since) is refused clearly."""
    with ctx.db.write() as session:
        gate.supervision(session, ctx)
        queue_lock(session, exclusive=False)
        record = session.get(PersonMerge, merge_id)
        if record is None:
            raise MergeRefused("undone")
        locked = lock_persons(session, [record.survivor_id, record.merged_id], key_share=True)
        # Read again under the locks: a second undo sees the first one's.
        record = session.scalar(
            sa.select(PersonMerge)
            .where(PersonMerge.id == merge_id)
            .execution_options(populate_existing=True)
        )
        if record is None:
            raise MergeRefused("undone")
        survivor = locked.get(record.survivor_id)
        merged = locked.get(record.merged_id)
        if survivor is None or merged is None:
            raise MergeRefused("undone")
        plan: dict[str, Any] | None = (record.details or {}).get("undo")
        if plan is None:
            raise MergeRefused("not_undoable")
        # Merged on since (its records, this one too, now point further): that merge first.
        if survivor.merged_into_id is not None:
            raise MergeRefused("survivor_merged")
        if merged.merged_into_id != survivor.id:
            raise MergeRefused("undone")
        # The merged record's cases are the survivor's now: its scope decides.
        gate.supervise(session, ctx, survivor.id)

        moved_ids: dict[str, list[str]] = plan["moved_ids"]
        restored: dict[str, int] = {}
        for model in (*MOVED_MODELS, PersonLanguage, IdentityDocument):
            name = model.__tablename__
            ids = _ids(moved_ids.get(name, []))
            count = 0
            if ids:
                # Locked and read again: a desk writing to one of them meanwhile goes first.
                for row in session.scalars(
                    sa.select(model)
                    .where(model.id.in_(ids), model.person_id == survivor.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                ):
                    row.person_id = merged.id
                    count += 1
            restored[name] = count
        session.flush()
        # A row added on the survivor since, inside a case that goes back, goes with its case
        # (a contact never hangs on another person's case).
        cases = _ids(moved_ids.get(Case.__tablename__, []))
        if cases:
            for model in (Contact, Note, Guidance, Referral, FollowUp):
                result = session.execute(
                    sa.update(model)
                    .where(model.case_id.in_(cases), model.person_id == survivor.id)
                    .values(person_id=merged.id)
                    .execution_options(synchronize_session=False)
                )
                restored[model.__tablename__] += int(result.rowcount or 0)  # type: ignore[attr-defined]
        for hid, related in plan["household_unlinked"]:
            session.execute(
                sa.update(HouseholdMember)
                .where(
                    HouseholdMember.id == uuid.UUID(hid),
                    HouseholdMember.related_person_id.is_(None),
                )
                .values(related_person_id=uuid.UUID(related))
                .execution_options(synchronize_session=False)
            )
        if plan["household_related"]:
            session.execute(
                sa.update(HouseholdMember)
                .where(
                    HouseholdMember.id.in_(_ids(plan["household_related"])),
                    HouseholdMember.related_person_id == survivor.id,
                )
                .values(related_person_id=merged.id)
                .execution_options(synchronize_session=False)
            )
        if plan["import_refs"]:
            session.execute(
                sa.update(ImportRef)
                .where(ImportRef.ref.in_(plan["import_refs"]), ImportRef.person_id == survivor.id)
                .values(person_id=merged.id)
                .execution_options(synchronize_session=False)
            )
        if plan["chained"]:
            session.execute(
                sa.update(Person)
                .where(Person.id.in_(_ids(plan["chained"])), Person.merged_into_id == survivor.id)
                .values(merged_into_id=merged.id)
                .execution_options(synchronize_session=False)
            )
        merged.merged_into_id = None
        # The merged record's numbers: claimed again where the survivor took them over.
        reclaimed = set(plan["reclaimed"])
        for doc_id, number in plan["claims"].items():
            doc = session.get(IdentityDocument, uuid.UUID(doc_id))
            if doc is None or doc.person_id != merged.id or doc.live_key == number:
                continue
            holder = session.scalar(
                sa.select(IdentityDocument).where(
                    IdentityDocument.type_key == doc.type_key,
                    IdentityDocument.live_key == number,
                )
            )
            if holder is not None:
                if str(holder.id) not in reclaimed:
                    continue
                holder.live_key = None
                session.flush()
            doc.live_key = number
            session.flush()
        claim_free(session, merged.id)

        refs_before = set(plan["external_refs"])
        theirs = set(merged.external_refs or [])
        survivor.external_refs = sorted(
            r for r in survivor.external_refs or [] if r in refs_before or r not in theirs
        )
        back: list[str] = []
        kept: list[str] = []
        for name, before in plan["before"].items():
            if getattr(survivor, name) == getattr(merged, name):
                setattr(survivor, name, _load(name, before))
                back.append(name)
            else:
                kept.append(name)
        survivor.sort_name = keys.sort_name(
            survivor.first_surname, survivor.second_surname, survivor.given_names
        )
        latest = session.scalars(
            sa.select(MigrationStatusRecord.status)
            .where(MigrationStatusRecord.person_id == survivor.id)
            .order_by(MigrationStatusRecord.recorded_at.desc())
            .limit(1)
        ).first()
        survivor.current_status = latest or plan["current_status"]

        # The pair goes back to the queue to be judged again; so do the merged record's
        # pending pairs the merge dropped.
        a, b = sorted((survivor.id, merged.id))
        pair = session.scalar(
            sa.select(MatchPair).where(MatchPair.person_a == a, MatchPair.person_b == b)
        )
        if pair is not None:
            pair.status, pair.decided_by, pair.decided_at = "pending", None, None
        for pa, pb, score, reasons in plan["pending_pairs"]:
            pa, pb = uuid.UUID(pa), uuid.UUID(pb)
            live = session.scalar(
                sa.select(sa.func.count())
                .select_from(Person)
                .where(Person.id.in_([pa, pb]), Person.merged_into_id.is_(None))
            )
            exists = session.scalar(
                sa.select(MatchPair.id).where(MatchPair.person_a == pa, MatchPair.person_b == pb)
            )
            if live == 2 and exists is None:
                session.add(MatchPair(person_a=pa, person_b=pb, score=score, reasons=reasons))
        session.delete(record)
        session.flush()
        for person in (survivor, merged):
            session.expire(person, ["documents", "languages"])
            keys.refresh(session, person)
        audit(
            session,
            ctx,
            "merge_undo",
            "person",
            survivor.id,
            person_id=survivor.id,
            merged=str(merged.id),
            merge=str(merge_id),
            fields=back,
            kept_newer=kept,
        )
        audit(
            session,
            ctx,
            "merge_undo",
            "person",
            merged.id,
            person_id=merged.id,
            survivor=str(survivor.id),
            merge=str(merge_id),
        )
        return UndoResult(survivor.id, merged.id, restored, tuple(back), tuple(kept))
