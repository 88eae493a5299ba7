"""Duplicate persons: candidates at intake, the supervisor's scan queue, and merging.

The scoring is ``casework.matching`` (Fellegi–Sunter with term-frequency adjustment); this
module feeds it from the database: blocking keys live in ``person_key`` (kinds prefixed
``m.``), term frequencies are counted from the persons on record.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.matching import (
    DEFAULT_THRESHOLD,
    Matcher,
    MatchResult,
    PersonRecord,
    Reason,
    TermFrequencies,
    match_keys,
    query_keys,
)
from casework.matching.normalise import normalise_document
from casework.models import IdentityDocument, ImportRef, MatchPair, Person, PersonKey
from casework.services.context import Context
from casework.services.locking import lock_persons, queue_lock, reclaim, release
from casework.services.schemas import PersonSummary
from casework.text import alnum_upper

PREFIX = "m."
STORED_KINDS = frozenset({"rut_body", "phone8", "sur+giv", "sur+sur", "dob_sorted", "giv+yob"})
"""Matcher keys kept in person_key: enough to find a desk's respelling of a person, few
enough that 100,000 persons stay a small table. Documents use the search key (kind doc)."""
CANDIDATES = 100
MAX_POSTINGS = 1000
"""A key shared by more persons than this is too common to pick candidates with."""
TF_MAX_AGE = 300.0
"""Seconds before the term frequencies are counted again from the database."""


def record_of(
    person_id: uuid.UUID | str,
    given_names: str,
    first_surname: str,
    second_surname: str | None,
    birth_date: Any,
    sex: str | None,
    nationality: str | None,
    documents: Iterable[tuple[str, str]] = (),
    phones: Iterable[str | None] = (),
) -> PersonRecord:
    return PersonRecord(
        id=str(person_id),
        given_names=given_names or "",
        first_surname=first_surname or "",
        second_surname=second_surname or None,
        birth_date=birth_date,
        sex=sex,
        nationality=nationality,
        documents=tuple(documents),
        phones=tuple(p for p in phones if p),
    )


def stored_keys(rec: PersonRecord) -> set[tuple[str, str]]:
    """The matcher's keys this person gets in person_key."""
    return {(PREFIX + kind, key[:120]) for kind, key in match_keys(rec) if kind in STORED_KINDS}


# Term frequencies, counted from the database and kept for a few minutes -----------------

_tf_lock = threading.Lock()
_tf_cache: dict[str, tuple[float, TermFrequencies, int]] = {}


def term_frequencies(session: Session, url: str) -> tuple[TermFrequencies, int]:
    """Frequencies of names (per nationality too), phones and documents on record."""
    now = time.monotonic()
    with _tf_lock:
        cached = _tf_cache.get(url)
        if cached is not None and now - cached[0] < TF_MAX_AGE:
            return cached[1], cached[2]
    records = load_records(session)
    tf = TermFrequencies.from_records(records)
    with _tf_lock:
        _tf_cache[url] = (now, tf, len(records))
    return tf, len(records)


def remember_frequencies(url: str, records: Sequence[PersonRecord]) -> Matcher:
    """A matcher on frequencies counted from ``records`` (all persons), cached for later."""
    tf = TermFrequencies.from_records(records)
    with _tf_lock:
        _tf_cache[url] = (time.monotonic(), tf, len(records))
    return Matcher(tf=tf, population=max(len(records), 2))


def warm(ctx: Context) -> None:
    """Count the frequencies ahead of the first keystroke (the intake screen calls this)."""
    with ctx.db.read() as session:
        ctx.actor(session)
        term_frequencies(session, str(ctx.db.url))


def forget_frequencies() -> None:
    with _tf_lock:
        _tf_cache.clear()


def matcher(ctx: Context, session: Session) -> Matcher:
    tf, population = term_frequencies(session, str(ctx.db.url))
    return Matcher(tf=tf, population=max(population, 2))


# Loading records ---------------------------------------------------------------------------


def load_records(session: Session, ids: Sequence[uuid.UUID] | None = None) -> list[PersonRecord]:
    """Live persons as matcher records (all of them when ``ids`` is None)."""
    stmt = sa.select(
        Person.id,
        Person.given_names,
        Person.first_surname,
        Person.second_surname,
        Person.birth_date,
        Person.sex,
        Person.nationality,
        Person.phone,
        Person.phone2,
    ).where(Person.merged_into_id.is_(None))
    doc_stmt = sa.select(
        IdentityDocument.person_id, IdentityDocument.type_key, IdentityDocument.number_norm
    )
    if ids is not None:
        stmt = stmt.where(Person.id.in_(ids))
        doc_stmt = doc_stmt.where(IdentityDocument.person_id.in_(ids))
    docs: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
    for pid, type_key, number in session.execute(doc_stmt):
        docs[pid].append((type_key, number))
    return [
        record_of(
            r.id,
            r.given_names,
            r.first_surname,
            r.second_surname,
            r.birth_date,
            r.sex,
            r.nationality,
            docs.get(r.id, ()),
            (r.phone, r.phone2),
        )
        for r in session.execute(stmt)
    ]


# Intake ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    person: PersonSummary
    score: float
    reasons: tuple[Reason, ...]


def candidate_ids(session: Session, probe: PersonRecord) -> list[uuid.UUID]:
    """Persons sharing the most blocking keys with what has been typed so far."""
    wanted: set[tuple[str, str]] = set()
    for kind, key in query_keys(probe):
        if kind == "doc":
            wanted.add(("doc", alnum_upper(key)))
        elif kind in STORED_KINDS:
            wanted.add((PREFIX + kind, key[:120]))
    if not wanted:
        return []
    # Ids are counted as the driver returns them (no UUID objects for a thousand postings).
    shared: Counter[Any] = Counter()
    too_common: list[list[Any]] = []
    same_document: dict[Any, None] = {}
    raw_id = sa.type_coerce(PersonKey.person_id, sa.String)
    for kind, key in sorted(wanted):
        posting = list(
            session.scalars(
                sa.select(raw_id)
                .where(PersonKey.kind == kind, PersonKey.key == key)
                .limit(MAX_POSTINGS + 1)
            )
        )
        if len(posting) > MAX_POSTINGS:
            too_common.append(posting)  # "Maria Gonzalez" alone says little: type on
        else:
            shared.update(posting)
            if kind == "doc":
                same_document.update(dict.fromkeys(posting))
    if not shared and too_common:
        shared.update(too_common[0][:CANDIDATES])
    # Whoever holds a typed document number always comes first, whatever the names say:
    # the save would refuse the number anyway, so the panel must show who has it.
    ranked = list(same_document) + [
        pid for pid, _ in shared.most_common(CANDIDATES) if pid not in same_document
    ]
    return [_as_uuid(pid) for pid in ranked[:CANDIDATES]]


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _document_numbers(documents: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """(type, number) as the matcher reads them, so typed and stored numbers compare."""
    out = set()
    for type_key, number in documents:
        norm = normalise_document(type_key or "other", number or "")
        if len(norm) >= 3:
            out.add(((type_key or "other").strip().lower(), norm))
    return out


def intake_candidates(
    ctx: Context, probe: PersonRecord, limit: int = 5, min_score: float = 0.02
) -> list[Candidate]:
    """The persons on record who may be the one being typed, best first, with reasons."""
    from casework.services.persons import _summaries

    with ctx.db.read() as session:
        ctx.actor(session)
        ids = candidate_ids(session, probe)
        if not ids:
            return []
        records = load_records(session, ids)
        match = matcher(ctx, session)
        typed = _document_numbers(probe.documents)
        holders = [r for r in records if typed & _document_numbers(r.documents)]
        ranked = match.rank(probe, holders, limit=len(holders)) if holders else []
        held = {r.b_id for r in ranked}
        others = [r for r in records if r.id not in held]
        ranked += match.rank(probe, others, limit=max(0, limit - len(ranked)), min_score=min_score)
        summaries = {str(s.id): s for s in _summaries(session, [uuid.UUID(r.b_id) for r in ranked])}
        return [Candidate(summaries[r.b_id], r.score, r.reasons) for r in ranked]


# The supervisor's scan and queue -------------------------------------------------------------


@dataclass(frozen=True)
class ScanReport:
    persons: int
    pairs_found: int
    new_pairs: int
    seconds: float


def scan(
    ctx: Context,
    min_score: float = DEFAULT_THRESHOLD,
    progress: Callable[[str, float], None] | None = None,
) -> ScanReport:
    """Score every likely pair of live persons and queue the new ones for a human to judge.
    Pairs already judged "not the same person" or merged are never queued again."""
    from casework.models.enums import Role

    started = time.perf_counter()
    with ctx.db.read() as session:
        # Supervisors' work (any programme: a pair is only shown, and merged, in the scope
        # of both of its persons -- see queue and merge).
        ctx.require_role(session, Role.SUPERVISOR)
        records = load_records(session)
        scorer = remember_frequencies(str(ctx.db.url), records)
    if progress:
        progress("scoring", 0.1)
    found: list[MatchResult] = list(scorer.scan_pairs(records, min_score))
    if progress:
        progress("saving", 0.9)
    new = 0
    with ctx.db.write() as session:
        # One scan saves at a time (SQLite's write lock, PostgreSQL's queue lock); the queue
        # and the live persons are read again under it, so a second scan finds the first
        # one's pairs already queued, and no pair names a person merged or erased meanwhile.
        queue_lock(session, exclusive=True)
        known = {
            (a, b) for a, b in session.execute(sa.select(MatchPair.person_a, MatchPair.person_b))
        }
        live = set(session.scalars(sa.select(Person.id).where(Person.merged_into_id.is_(None))))
        rows = []
        for result in found:
            a, b = sorted((uuid.UUID(result.a_id), uuid.UUID(result.b_id)))
            if (a, b) in known or a not in live or b not in live:
                continue
            known.add((a, b))
            rows.append(
                {
                    "person_a": a,
                    "person_b": b,
                    "score": round(result.score, 4),
                    "reasons": [{"code": r.code, "params": dict(r.params)} for r in result.reasons],
                }
            )
        for chunk in range(0, len(rows), 1000):
            session.add_all(MatchPair(**row) for row in rows[chunk : chunk + 1000])
            session.flush()
        new = len(rows)
        from casework.services.context import audit

        audit(session, ctx, "scan", "match_pair", None, pairs=len(found), new=new)
    return ScanReport(len(records), len(found), new, time.perf_counter() - started)


# Reading the queue, judging pairs, merging ------------------------------------------------


@dataclass(frozen=True)
class PairSide:
    id: uuid.UUID
    name: str
    refs: tuple[str, ...]
    summary: PersonSummary


@dataclass(frozen=True)
class QueuedPair:
    id: uuid.UUID
    score: float
    reasons: tuple[Reason, ...]
    a: PairSide
    b: PairSide


def queue(ctx: Context, min_score: float = 0.0, limit: int = 500) -> list[QueuedPair]:
    """Pending pairs, most likely first: for a programme supervisor the pairs whose two
    persons both have a case in their programme; for an office-wide supervisor every pair."""
    from casework.services import gate
    from casework.services.persons import _summaries

    with ctx.db.read() as session:
        in_scope = gate.supervision(session, ctx).persons()
        stmt = sa.select(MatchPair).where(
            MatchPair.status == "pending", MatchPair.score >= min_score
        )
        if in_scope is not None:
            stmt = stmt.where(MatchPair.person_a.in_(in_scope), MatchPair.person_b.in_(in_scope))
        rows = session.scalars(
            stmt.order_by(MatchPair.score.desc(), MatchPair.found_at).limit(limit)
        ).all()
        ids = sorted({p for r in rows for p in (r.person_a, r.person_b)})
        summaries = {s.id: s for s in _summaries(session, ids)}
        refs = dict(
            session.execute(
                sa.select(Person.id, Person.external_refs).where(Person.id.in_(ids))
            ).all()
        )

        def side(pid: uuid.UUID) -> PairSide:
            s = summaries[pid]
            return PairSide(pid, s.full_name, tuple(refs.get(pid) or ()), s)

        return [
            QueuedPair(
                r.id,
                r.score,
                tuple(Reason(x["code"], dict(x.get("params", {}))) for x in r.reasons),
                side(r.person_a),
                side(r.person_b),
            )
            for r in rows
            if r.person_a in summaries and r.person_b in summaries
        ]


def not_same(ctx: Context, pair_id: uuid.UUID) -> None:
    """A supervisor judged the two records to be different people: never shown again."""
    from casework.models.base import utcnow
    from casework.services import gate
    from casework.services.context import audit, get_or_404

    with ctx.db.write() as session:
        gate.supervision(session, ctx)
        pair = get_or_404(session, MatchPair, pair_id, "match_pair")
        worker = gate.supervise(session, ctx, pair.person_a, pair.person_b)
        pair.status = "not_same"
        pair.decided_by = worker.id
        pair.decided_at = utcnow()
        audit(session, ctx, "not_same", "match_pair", pair.id)


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


def _mergeable(session: Session, locked: dict[uuid.UUID, Person], pid: uuid.UUID) -> Person:
    """A locked person still live, or the message the second of two merges gets."""
    from casework.errors import Conflict, NotFound

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
    from casework.errors import Conflict, InvalidInput
    from casework.errors import FieldError as FE
    from casework.models import (
        Case,
        Consent,
        Contact,
        FollowUp,
        Guidance,
        HouseholdMember,
        MigrationStatusRecord,
        Note,
        PersonLanguage,
        PersonMerge,
        Referral,
    )
    from casework.models.base import utcnow
    from casework.services import gate, keys
    from casework.services.context import audit

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
