"""The supervisor's duplicate queue: the scan that finds likely pairs, the queue, and the
judgement "not the same person" (merging is ``casework.services.merge``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from casework.matching import DEFAULT_THRESHOLD, MatchResult, Reason
from casework.models import Case, MatchPair, Person
from casework.models.base import utcnow
from casework.models.enums import Role
from casework.services import gate, paging
from casework.services.candidates import remember_frequencies
from casework.services.context import Context, audit, get_or_404
from casework.services.locking import queue_lock
from casework.services.match_records import load_records
from casework.services.paging import Page
from casework.services.persons import _summaries
from casework.services.schemas import PersonSummary


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
        audit(session, ctx, "scan", "match_pair", None, pairs=len(found), new=new)
    return ScanReport(len(records), len(found), new, time.perf_counter() - started)


# Reading the queue, judging pairs ---------------------------------------------------------


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


def queue(
    ctx: Context, min_score: float = 0.0, *, offset: int = 0, limit: int | None = None
) -> Page[QueuedPair]:
    """Pending pairs, most likely first: for a programme supervisor the pairs whose two
    persons both have a case in their programme; for an office-wide supervisor every pair.
    A page of ``limit`` pairs from ``offset`` (services/paging.py: ``total`` counts every
    pending pair in scope)."""
    with ctx.db.read() as session:
        scope = gate.supervision(session, ctx)
        stmt = sa.select(MatchPair).where(
            MatchPair.status == "pending", MatchPair.score >= min_score
        )
        if scope.programme_id is not None:
            # Scope.persons() as a check per pair (the index ix_case_person_programme):
            # counting the whole queue no longer lists every case of the programme twice.
            stmt = stmt.where(
                *(
                    sa.exists().where(
                        Case.person_id == side, Case.programme_id == scope.programme_id
                    )
                    for side in (MatchPair.person_a, MatchPair.person_b)
                )
            )
        order = [(MatchPair.score, True), (MatchPair.found_at, False), (MatchPair.id, False)]
        page = paging.fetch(session, stmt, order, offset=offset, limit=limit)
        rows = [r[0] for r in page]
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

        return page.mapped(
            QueuedPair(
                r.id,
                r.score,
                tuple(Reason(x["code"], dict(x.get("params", {}))) for x in r.reasons),
                side(r.person_a),
                side(r.person_b),
            )
            for r in rows
            if r.person_a in summaries and r.person_b in summaries
        )


def not_same(ctx: Context, pair_id: uuid.UUID) -> None:
    """A supervisor judged the two records to be different people: never shown again."""
    with ctx.db.write() as session:
        gate.supervision(session, ctx)
        pair = get_or_404(session, MatchPair, pair_id, "match_pair")
        worker = gate.supervise(session, ctx, pair.person_a, pair.person_b)
        pair.status = "not_same"
        pair.decided_by = worker.id
        pair.decided_at = utcnow()
        audit(session, ctx, "not_same", "match_pair", pair.id)
