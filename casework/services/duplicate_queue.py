"""The supervisor's duplicate queue: the scan that finds likely pairs, the queue, and the
judgement "not the same person" (merging is ``casework.services.merge``)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.matching import (
    DEFAULT_MAX_BLOCK,
    DEFAULT_THRESHOLD,
    LARGE_SCAN,
    WEAK_ALONE_KINDS,
    WEAK_ALONE_MAX_BLOCK,
    Matcher,
    MatchResult,
    PersonRecord,
    Reason,
    TermFrequencies,
)
from casework.matching.features import Prepared
from casework.models import Case, DedupeScan, IdentityDocument, MatchPair, Person, PersonKey
from casework.models.base import utcnow
from casework.models.enums import Role
from casework.services import gate, paging
from casework.services.context import Context, audit, get_or_404
from casework.services.keys import DOC
from casework.services.locking import advisory_lock, queue_lock
from casework.services.match_records import (
    PREFIX,
    RECORD_COLUMNS,
    STORED_KINDS,
    record_of,
    recount_common,
    recount_totals,
    term_frequencies,
)
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
    watch: Watch | None = None,
    tf: TermFrequencies | None = None,
) -> ScanReport:
    """Score every likely pair of live persons and queue the new ones for a human to judge.
    Pairs already judged "not the same person" or merged are never queued again. A
    supervisor's scan runs whether or not another is running (the queue lock keeps the
    two from queuing a pair twice) and is recorded in ``dedupe_scan`` as ``manual``.
    ``progress`` gets (stage, fraction); ``watch`` the whole :class:`ScanStatus` (blocks
    done, pairs found); ``tf``: term frequencies to score on (default: the stored counts)."""
    with ctx.db.read() as session:
        # Supervisors' work (any programme: a pair is only shown, and merged, in the scope
        # of both of its persons -- see queue and merge).
        ctx.require_role(session, Role.SUPERVISOR)
    with ctx.db.write() as session:
        run = DedupeScan(trigger="manual", worker_id=ctx.actor_id)
        session.add(run)
        session.flush()
        run_id = run.id
    return _run(ctx, run_id, min_score, progress, watch, tf)


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
    ctx: Context,
    run_id: uuid.UUID,
    min_score: float,
    progress: Progress | None,
    watch: Watch | None = None,
    tf: TermFrequencies | None = None,
) -> ScanReport:
    """The scan itself, recorded in its ``dedupe_scan`` row. Reading and scoring hold no
    write lock (a read transaction); the heartbeat is one short write every
    :data:`HEARTBEAT_EVERY` seconds; only the saving of the new pairs -- one transaction, so
    a scan killed meanwhile leaves the queue empty or whole -- holds the write lock.

    Memory stays bounded whatever the number of persons: blocks are streamed from
    ``person_key`` (:func:`stream_pairs`) and only the pairs found are kept until saved.
    ``tf``: the term frequencies to score on (default: read from the stored counts)."""
    started = time.perf_counter()
    status = ScanStatus("counting", 0, 0, 0, 0.0)

    def tell(new: ScanStatus) -> None:
        nonlocal status
        status = new
        if progress:
            progress(new.stage, new.fraction)
        if watch:
            watch(new)

    try:
        tell(status)
        with ctx.db.read() as session:
            persons = _live_count(session)
            if tf is None:
                tf = stored_frequencies(session)
        matcher = Matcher(tf=tf, population=max(persons, 2))
        found: list[MatchResult] = []
        beat = time.monotonic()

        def on_block(done: int, blocks: int, fraction: float) -> None:
            nonlocal beat
            if time.monotonic() - beat >= HEARTBEAT_EVERY:
                beat = time.monotonic()
                _beat(ctx, run_id)
            tell(ScanStatus("scoring", done, blocks, len(found), 0.05 + 0.85 * fraction))

        with ctx.db.read() as session:
            for result in stream_pairs(session, matcher, min_score, persons, on_block=on_block):
                found.append(result)
        tell(ScanStatus("saving", status.blocks, status.blocks, len(found), 0.9))
        new = _save(ctx, run_id, found, persons)
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
    tell(ScanStatus("done", status.blocks, status.blocks, len(found), 1.0))
    return ScanReport(persons, len(found), new, time.perf_counter() - started)


# The streamed scan ---------------------------------------------------------------------------

SCAN_KINDS: tuple[str, ...] = (DOC, *sorted(PREFIX + kind for kind in STORED_KINDS))
"""person_key kinds a full scan blocks on: the matcher's stored keys, and the documents'
search keys (which the intake panel reads as the matcher's document key too)."""
MATCHER_KINDS: frozenset[str] = STORED_KINDS | {"doc"}
"""The same kinds as ``Matcher.scan_pairs(kinds=...)`` names them (its in-memory twin)."""
CACHE_RECORDS = 20_000
"""Prepared records (about 3 KB each with their keys) kept from block to block."""
BATCH_MEMBERS = 5_000
"""Block members read before the records missing from the cache are loaded in one go."""
LOAD_CHUNK = 900
"""Person ids per ``IN (...)`` when loading records and their keys."""


@dataclass(frozen=True)
class ScanStatus:
    """How far a running scan got: for a progress bar and its counters."""

    stage: str
    """counting, scoring, saving, done"""
    blocks_done: int
    blocks: int
    """Blocks of persons sharing a key (2 to the maximum block) done, and in all."""
    pairs_found: int
    fraction: float


Watch = Callable[[ScanStatus], None]
BlockDone = Callable[[int, int, float], None]
"""(blocks done, blocks in all, fraction of the candidate pairs done)"""


def _live_count(session: Session) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count()).select_from(Person).where(Person.merged_into_id.is_(None))
        )
        or 0
    )


# Person ids travel as the driver returns them (hex text on SQLite, uuid on PostgreSQL): a
# scan meets each id many times, and making UUID objects of them cost more than the reading.
_PERSON_ID = sa.type_coerce(Person.id, sa.String)
_KEY_PERSON = sa.type_coerce(PersonKey.person_id, sa.String)
_DOC_PERSON = sa.type_coerce(IdentityDocument.person_id, sa.String)


def _records(session: Session, ids: Sequence[Any]) -> list[tuple[Any, PersonRecord]]:
    """(raw id, record) of the live persons among ``ids`` (as ``load_records`` reads them)."""
    docs: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    for pid, type_key, number in session.execute(
        sa.select(_DOC_PERSON, IdentityDocument.type_key, IdentityDocument.number_norm).where(
            _DOC_PERSON.in_(ids)
        )
    ):
        docs[pid].append((type_key, number))
    rows = session.execute(
        sa.select(_PERSON_ID, *RECORD_COLUMNS).where(
            _PERSON_ID.in_(ids), Person.merged_into_id.is_(None)
        )
    )
    return [
        (
            r[0],
            record_of(str(r[0]), *r[1:7], docs.get(r[0], ()), (r.phone, r.phone2)),
        )
        for r in rows
    ]


def stored_frequencies(session: Session) -> TermFrequencies:
    """Term frequencies of the live persons from the counts person_key keeps (services/
    match_records.py), read in SQL, never a person at a time: the denominators, and each
    value held by two persons or more. A pair can only agree on those (both persons hold
    the value); a value held once weighs as one never seen (the matcher takes at least
    one holder), and phone and document counts are asked only of numbers a pair shares.
    Equal, for scoring, to :func:`streamed_frequencies`, in a few MB."""
    totals = recount_totals(session)
    return term_frequencies(recount_common(session, above=1), totals)


def streamed_frequencies(session: Session, chunk: int = 2_000) -> TermFrequencies:
    """Term frequencies of the live persons, counted from a streamed read (a chunk of
    records in memory at a time, never all of them; every value of every person in the
    counters): the reference :func:`stored_frequencies` is checked against."""
    tf = TermFrequencies()
    ids = session.execute(
        sa.select(_PERSON_ID).where(Person.merged_into_id.is_(None)),
        execution_options={"yield_per": chunk},
    ).scalars()
    for part in ids.partitions(chunk):
        for _, rec in _records(session, part):
            tf.update(rec)
    return tf


Key = tuple[str, str]


class _Cached(NamedTuple):
    prepared: Prepared
    keys: frozenset[Key]


def stream_pairs(
    session: Session,
    matcher: Matcher,
    min_score: float,
    persons: int,
    *,
    max_block: int = DEFAULT_MAX_BLOCK,
    kinds: Sequence[str] = SCAN_KINDS,
    cache_records: int = CACHE_RECORDS,
    on_block: BlockDone | None = None,
) -> Iterator[MatchResult]:
    """Every pair of live persons sharing a stored key and scoring at least ``min_score``,
    each pair once: what ``Matcher.scan_pairs(records, min_score, kinds=MATCHER_KINDS)``
    finds with every record in memory, here in memory bounded by ``cache_records``.

    Blocks (the persons sharing a key) are read from ``person_key`` in (kind, key) order; a
    key held by more than ``max_block`` persons is skipped; in a scan of more than
    :data:`LARGE_SCAN` persons the ``WEAK_ALONE_KINDS`` rule applies as in memory. A pair is
    scored only in the block of the least of the keys that pair it, so no set of the pairs
    seen is kept. The records of a batch of blocks are read in chunks, those not already in
    the cache of prepared records."""
    weak_max = WEAK_ALONE_MAX_BLOCK if persons > LARGE_SCAN else None
    weak_kinds = {PREFIX + k for k in WEAK_ALONE_KINDS}
    small = weak_max if weak_max is not None else max_block
    wanted = set(kinds)
    live = Person.merged_into_id.is_(None)
    # Sizes of the keys past `small` (few: at most persons / small), and the work to do.
    sizes: dict[Key, int] = {}
    blocks = work = 0
    counted = (
        sa.select(PersonKey.kind, PersonKey.key, sa.func.count())
        .join(Person, Person.id == PersonKey.person_id)
        .where(PersonKey.kind.in_(kinds), live)
        .group_by(PersonKey.kind, PersonKey.key)
        .having(sa.func.count() >= 2)
    )
    for kind, key, n in session.execute(counted):
        if n > small:
            sizes[(kind, key)] = n
        if n <= max_block:
            blocks += 1
            work += n * (n - 1) // 2

    def first_key(shared: frozenset[Key]) -> Key | None:
        """The key a pair sharing these keys is scored under (None: not a candidate)."""
        usable = [k for k in shared if sizes.get(k, 2) <= max_block]
        if weak_max is not None and len(usable) == 1:
            k = usable[0]
            if k[0] in weak_kinds and sizes.get(k, 2) > weak_max:
                return None  # a large block of a weak kind pairs only with a second key
        return min(usable) if usable else None

    score_pair = matcher.pair_scorer(min_score)
    cache: OrderedDict[Any, _Cached] = OrderedDict()

    def load(ids: set[Any]) -> None:
        missing = [i for i in ids if i not in cache]
        for start in range(0, len(missing), LOAD_CHUNK):
            part = missing[start : start + LOAD_CHUNK]
            keys: dict[Any, set[Key]] = defaultdict(set)
            # by person only: with the kinds in SQL too, SQLite reads the (kind, key) index
            for kind, key, pid in session.execute(
                sa.select(PersonKey.kind, PersonKey.key, _KEY_PERSON).where(_KEY_PERSON.in_(part))
            ):
                if kind in wanted:
                    keys[pid].add((kind, key))
            for pid, rec in _records(session, part):
                cache[pid] = _Cached(Prepared(rec), frozenset(keys[pid]))
        for pid in ids:
            if pid in cache:
                cache.move_to_end(pid)
        while len(cache) > max(cache_records, len(ids)):  # never the batch's own records
            cache.popitem(last=False)

    done_blocks = done_work = 0

    def score(batch: list[tuple[Key, list[Any]]]) -> Iterator[MatchResult]:
        nonlocal done_blocks, done_work
        load({pid for _, block in batch for pid in block})
        for block_key, block in batch:
            rows = [cache[pid] for pid in block if pid in cache]
            for i, a in enumerate(rows):
                for b in rows[i + 1 :]:
                    if first_key(a.keys & b.keys) == block_key:
                        result = score_pair(a.prepared, b.prepared)
                        if result is not None:
                            yield result
            done_blocks += 1
            done_work += len(block) * (len(block) - 1) // 2
        if on_block:
            on_block(done_blocks, blocks, done_work / work if work else 1.0)

    stream = session.execute(
        sa.select(PersonKey.kind, PersonKey.key, _KEY_PERSON)
        .join(Person, Person.id == PersonKey.person_id)
        .where(PersonKey.kind.in_(kinds), live)
        .order_by(PersonKey.kind, PersonKey.key),
        execution_options={"yield_per": 10_000},
    )
    batch: list[tuple[Key, list[Any]]] = []
    members = 0
    current: Key | None = None
    block: list[Any] = []
    for kind, key, pid in stream:
        if current is None or kind != current[0] or key != current[1]:
            if 2 <= len(block) <= max_block and current is not None:
                batch.append((current, block))
                members += len(block)
                if members >= BATCH_MEMBERS:
                    yield from score(batch)
                    batch, members = [], 0
            current, block = (kind, key), []
        if len(block) <= max_block:
            block.append(pid)
    if current is not None and 2 <= len(block) <= max_block:
        batch.append((current, block))
    yield from score(batch)


def _save(ctx: Context, run_id: uuid.UUID, found: list[MatchResult], persons: int) -> int:
    with ctx.db.write() as session:
        # One scan saves at a time (SQLite's write lock, PostgreSQL's queue lock); the queue
        # and the live persons are read again under it, so a second scan finds the first
        # one's pairs already queued, and no pair names a person merged or erased meanwhile.
        # Only the persons of the pairs found are read (in chunks), never the whole table.
        queue_lock(session, exclusive=True)
        pairs = sorted(
            {tuple(sorted((uuid.UUID(r.a_id), uuid.UUID(r.b_id)))): r for r in found}.items()
        )
        ids = sorted({p for (a, b), _ in pairs for p in (a, b)})
        live: set[uuid.UUID] = set()
        known: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for start in range(0, len(ids), LOAD_CHUNK):
            part = ids[start : start + LOAD_CHUNK]
            live.update(
                session.scalars(
                    sa.select(Person.id).where(Person.id.in_(part), Person.merged_into_id.is_(None))
                )
            )
            known.update(
                (a, b)
                for a, b in session.execute(
                    sa.select(MatchPair.person_a, MatchPair.person_b).where(
                        MatchPair.person_a.in_(part)
                    )
                )
            )
        rows = [
            {
                "person_a": a,
                "person_b": b,
                "score": round(result.score, 4),
                "reasons": [{"code": r.code, "params": dict(r.params)} for r in result.reasons],
            }
            for (a, b), result in pairs
            if (a, b) not in known and a in live and b in live
        ]
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
