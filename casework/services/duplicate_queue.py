"""The supervisor's duplicate queue: the scan that finds likely pairs, the queue, and the
judgement "not the same person" (merging is ``casework.services.merge``)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.matching import DEFAULT_THRESHOLD, MatchResult, Reason
from casework.models import Case, DedupeScan, MatchPair, Person
from casework.models.base import utcnow
from casework.models.enums import Role
from casework.services import gate, paging
from casework.services.candidates import remember_frequencies
from casework.services.context import Context, audit, get_or_404
from casework.services.locking import advisory_lock, queue_lock
from casework.services.match_records import load_records
from casework.services.outbox import is_desk, online_only
from casework.services.paging import Page
from casework.services.persons import _summaries
from casework.services.schemas import PersonSummary


@dataclass(frozen=True)
class ScanReport:
    persons: int
    pairs_found: int
    new_pairs: int
    seconds: float


STALE_AFTER = dt.timedelta(days=1)
"""A desk starting on a database whose last finished scan is older than this scans again."""
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
"""A running scan whose heartbeat is older than this is taken for dead (its desk crashed)."""
HEARTBEAT_EVERY = 5.0
"""Seconds between a running scan's heartbeats (one short write each)."""
SCAN_CLAIM_LOCK = 0x7363616E  # "scan"
"""The PostgreSQL advisory lock two desks' claims of an automatic scan take in turn."""

Progress = Callable[[str, float], None]


@online_only("duplicate_queue.scan")
def scan(
    ctx: Context,
    min_score: float = DEFAULT_THRESHOLD,
    progress: Progress | None = None,
) -> ScanReport:
    """Score every likely pair of live persons and queue the new ones for a human to judge.
    Pairs already judged "not the same person" or merged are never queued again. A
    supervisor's scan runs whether or not another is running (the queue lock keeps the
    two from queuing a pair twice) and is recorded in ``dedupe_scan`` as ``manual``."""
    with ctx.db.read() as session:
        # Supervisors' work (any programme: a pair is only shown, and merged, in the scope
        # of both of its persons -- see queue and merge).
        ctx.require_role(session, Role.SUPERVISOR)
    with ctx.db.write() as session:
        run = DedupeScan(trigger="manual", worker_id=ctx.actor_id)
        session.add(run)
        session.flush()
        run_id = run.id
    return _run(ctx, run_id, min_score, progress)


def last_finished(ctx: Context) -> dt.datetime | None:
    """When the last scan that ran to its end finished (None: never); any signed-in worker."""
    with ctx.db.read() as session:
        ctx.actor(session)
        return _last_finished(session)


def _last_finished(session: Session) -> dt.datetime | None:
    return session.scalar(
        sa.select(sa.func.max(DedupeScan.finished_at)).where(DedupeScan.status == "done")
    )


def _due(session: Session, now: dt.datetime) -> bool:
    last = _last_finished(session)
    if last is not None:
        return last < now - STALE_AFTER
    return (
        session.scalar(sa.select(Person.id).where(Person.merged_into_id.is_(None)).limit(1))
        is not None
    )


def scan_due(ctx: Context) -> bool:
    """Whether a desk starting now should scan: the last finished scan is older than
    :data:`STALE_AFTER`, or there is none and there are persons; and no other desk's scan
    is running (with a fresh heartbeat)."""
    now = utcnow()
    with ctx.db.read() as session:
        ctx.actor(session)
        if _running(session, now):
            return False
        return _due(session, now)


def _running(session: Session, now: dt.datetime) -> bool:
    return (
        session.scalar(
            sa.select(DedupeScan.id)
            .where(DedupeScan.status == "running", DedupeScan.heartbeat_at >= now - CLAIM_TIMEOUT)
            .limit(1)
        )
        is not None
    )


def _claim(ctx: Context, trigger: str, *, force: bool = False) -> uuid.UUID | None:
    """Claim the automatic scan: its ``running`` row, inserted only when no other desk's
    scan is running and (unless ``force``, after an import) one is due. Claims take turns
    (PostgreSQL's advisory lock, SQLite's one write lock), so of two desks starting at once
    one scans and the other gets None. Stale claims (no heartbeat for
    :data:`CLAIM_TIMEOUT`) are marked failed on the way."""
    with ctx.db.write() as session:
        advisory_lock(session, SCAN_CLAIM_LOCK)
        now = utcnow()
        session.execute(
            sa.update(DedupeScan)
            .where(DedupeScan.status == "running", DedupeScan.heartbeat_at < now - CLAIM_TIMEOUT)
            .values(status="failed")
        )
        if _running(session, now) or not (force or _due(session, now)):
            return None
        run = DedupeScan(trigger=trigger, worker_id=ctx.actor_id, started_at=now, heartbeat_at=now)
        session.add(run)
        session.flush()
        return run.id


def auto_scan(
    ctx: Context,
    trigger: str,
    progress: Progress | None = None,
    min_score: float = DEFAULT_THRESHOLD,
) -> ScanReport | None:
    """The scan a desk runs by itself -- on start-up when one is due, after an import --
    unless another desk's is running (then None). Any signed-in worker's desk may run it:
    it only fills the supervisors' queue and tells the desk counts, no names. An offline
    desk does not scan its copy: the office server does, and the queue comes with a pull."""
    with ctx.db.read() as session:
        ctx.actor(session)
    if is_desk(ctx.db):
        return None
    run_id = _claim(ctx, trigger, force=trigger == "import")
    if run_id is None:
        return None
    return _run(ctx, run_id, min_score, progress)


def _beat(ctx: Context, run_id: uuid.UUID) -> None:
    with ctx.db.write() as session:
        session.execute(
            sa.update(DedupeScan).where(DedupeScan.id == run_id).values(heartbeat_at=utcnow())
        )


def _run(
    ctx: Context, run_id: uuid.UUID, min_score: float, progress: Progress | None
) -> ScanReport:
    """The scan itself, recorded in its ``dedupe_scan`` row. Reading and scoring hold no
    write lock (a read transaction, then none); the heartbeat is one short write every
    :data:`HEARTBEAT_EVERY` seconds; only the saving of the new pairs -- one transaction, so
    a scan killed meanwhile leaves the queue empty or whole -- holds the write lock."""
    started = time.perf_counter()
    try:
        with ctx.db.read() as session:
            records = load_records(session)
            scorer = remember_frequencies(str(ctx.db.url), records)
        if progress:
            progress("scoring", 0.05)
        position = {r.id: i for i, r in enumerate(records)}
        total = max(len(records), 1)
        found: list[MatchResult] = []
        beat = time.monotonic()
        for result in scorer.scan_pairs(records, min_score):
            found.append(result)
            if time.monotonic() - beat >= HEARTBEAT_EVERY:
                beat = time.monotonic()
                _beat(ctx, run_id)
            if progress:
                progress("scoring", 0.05 + 0.85 * position.get(result.a_id, 0) / total)
        if progress:
            progress("saving", 0.9)
        new = _save(ctx, run_id, found, len(records))
    except BaseException:
        try:
            with ctx.db.write() as session:
                session.execute(
                    sa.update(DedupeScan)
                    .where(DedupeScan.id == run_id, DedupeScan.status == "running")
                    .values(status="failed")
                )
        except Exception:  # the scan's own error is the one to report
            pass
        raise
    if progress:
        progress("done", 1.0)
    return ScanReport(len(records), len(found), new, time.perf_counter() - started)


def _save(ctx: Context, run_id: uuid.UUID, found: list[MatchResult], persons: int) -> int:
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
        session.execute(
            sa.update(DedupeScan)
            .where(DedupeScan.id == run_id)
            .values(
                status="done",
                finished_at=utcnow(),
                persons_scanned=persons,
                pairs_found=len(found),
                new_pairs=new,
            )
        )
        audit(session, ctx, "scan", "match_pair", None, pairs=len(found), new=new)
    return new


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


@online_only("duplicate_queue.not_same")
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
