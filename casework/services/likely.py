"""Who on record is likely the person being registered: the matcher's session-level pieces
(term frequencies, blocking-key candidates) and the intake's duplicate gate.

Below ``persons`` (which calls the gate inside its write) and ``candidates`` (the live
warning while typing), so neither imports the other.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import Conflict
from casework.matching import (
    DEFAULT_THRESHOLD,
    Matcher,
    MatchResult,
    PersonRecord,
    Reason,
    TermFrequencies,
    query_keys,
)
from casework.matching.features import Prepared, compare_levels, prepare
from casework.matching.normalise import normalise_document
from casework.matching.tf import DOCUMENT, GIVEN, GIVEN_TOKEN, PHONE, SURNAME
from casework.models import MatchTotal, PersonKey
from casework.models.base import UTCDateTime
from casework.services.locking import advisory_lock
from casework.services.match_records import (
    COMMON,
    GROUP_KINDS,
    GROUP_MAX,
    KEY_MAX,
    PERSONS,
    PREFIX,
    STORED_KINDS,
    category_of,
    frequency_kind,
    load_records,
    recount_common,
    recount_totals,
    refresh_totals,
)
from casework.services.schemas import PersonSummary
from casework.text import alnum_upper

CANDIDATES = 100
MAX_POSTINGS = 1000
"""A key shared by more persons than this is too common to pick candidates with."""
LIKELY = DEFAULT_THRESHOLD
"""Candidates at or above this score are likely the same person: an intake is refused
until the worker declares each of them "not the same person"."""
INTAKE_LOCK = 0x696E7461  # "inta": one intake's duplicate check and insert at a time (PG)


@dataclass(frozen=True)
class Candidate:
    person: PersonSummary
    score: float
    reasons: tuple[Reason, ...]


class LikelyDuplicate(Conflict):
    """The intake names someone likely already on record: nothing was written. The worker
    opens the existing file, or declares each candidate "not the same person"."""

    code = "likely_duplicate"

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        super().__init__(self.code, count=len(self.candidates))


def likely(found: Sequence[Candidate]) -> list[Candidate]:
    """The candidates likely the same person (:data:`LIKELY`)."""
    return [c for c in found if c.score >= LIKELY]


# Term frequencies: live counts from person_key, denominators from match_total -------------
#
# Each check reads, in one statement, the counts of the values it may score (the probe's
# names, documents and phones; each a row count of person_key, exact and live) with the
# postings of its blocking keys and the stored denominators. The denominators are recounted
# in SQL when older than TF_MAX_AGE, in a background thread, never in a keystroke: they
# are at most that old (plus the recount's own time).

log = logging.getLogger(__name__)

TF_MAX_AGE = 300.0
"""Seconds before the stored denominators (match_total) are counted again."""
SMALL = 2_000
"""Below this many persons on record a check counts the denominators itself (a few
milliseconds): a new office's figures are exact from its first person on."""

_lock = threading.Lock()
_recounts: dict[str, threading.Thread] = {}  # url -> the background recount running


Key = tuple[str, str]
Value = tuple[str, str, str]  # (category, value, group)


def _value_keys(values: Iterable[Value]) -> set[Key]:
    """The person_key (kind, key) rows counting each value, overall and in its group."""
    out: set[Key] = set()
    for cat, value, group in values:
        if not value:
            continue
        key = value[:KEY_MAX]
        out.add((frequency_kind(cat), key))
        if group and cat in GROUP_KINDS and len(group) <= GROUP_MAX:
            out.add((frequency_kind(cat, group), key))
    return out


def probe_values(probe: Prepared) -> set[Value]:
    """Values the matcher may ask the frequency of when scoring ``probe``: those a pair
    agrees on are the probe's own (its name fields, in either role for fields typed swapped,
    its given tokens, documents and phones)."""
    group = probe.nat
    names = {probe.given.key} if probe.given is not None else set()
    for reading in probe.sur_opts:
        names.update(unit.key for unit in reading if unit is not None)
    out: set[Value] = set()
    for name in names:
        out.update(((SURNAME, name, group), (GIVEN, name, group)))
    if probe.given is not None:
        out.update((GIVEN_TOKEN, tok, group) for tok in probe.given.tokens)
    out.update((DOCUMENT, doc.number, "") for doc in probe.docs)
    out.update((PHONE, phone, "") for phone in probe.phones)
    return out


def compared_values(probe: Prepared, records: Iterable[PersonRecord]) -> set[Value]:
    """Every value the matcher asks about when ranking ``records`` against ``probe`` (a
    shortened given name may take a candidate's own token: "Mria" against "María José")."""
    out: set[Value] = set()
    for rec in records:
        cmp = compare_levels(probe, prepare(rec))
        group = cmp.group
        if cmp.tf_given:
            out.add((GIVEN, cmp.tf_given, group))
        if cmp.tf_given_tok:
            out.update((GIVEN_TOKEN, tok, group) for tok in cmp.tf_given_tok.split("|"))
        out.update((SURNAME, v, group) for v in (cmp.tf_s1, cmp.tf_s2) if v)
        if cmp.tf_doc:
            out.add((DOCUMENT, cmp.tf_doc, ""))
        if cmp.tf_phone:
            out.add((PHONE, cmp.tf_phone, ""))
    return out


@dataclass
class _Read:
    """What one statement read: live row counts per (kind, key), up to CAP + 1; the stored
    denominators and the stored counts of the common values asked about."""

    counts: dict[Key, int]
    stored: dict[str, int]
    common: dict[Key, int]
    counted_at: dt.datetime | None


CAP = max(MAX_POSTINGS, COMMON)
"""Rows counted live per key: enough to tell a common value or a too common blocking key."""


def _count_rows(keys: Iterable[Key]) -> list[sa.Select[str, str, int, dt.datetime]]:
    """Per key, its rows counted up to CAP + 1 (one short walk of the lookup index)."""
    out = []
    for kind, key in sorted(keys):
        hits = (
            sa.select(PersonKey.person_id)
            .where(PersonKey.kind == kind, PersonKey.key == key)
            .limit(CAP + 1)
            .subquery()
        )
        out.append(
            sa.select(
                sa.literal(kind, sa.String()),
                sa.literal(key, sa.String()),
                sa.func.count(),
                sa.cast(sa.null(), UTCDateTime()),
            ).select_from(hits)
        )
    return out


def _read(session: Session, keys: set[Key], *, totals: bool = True) -> _Read:
    """Row counts of ``keys`` and (``totals``) what match_total holds for them and the
    denominators, in one statement."""
    parts: list[sa.Select[str, str, int, dt.datetime]] = []
    if totals:
        asked = sorted({key for _, key in keys})
        parts.append(
            sa.select(MatchTotal.kind, MatchTotal.key, MatchTotal.n, MatchTotal.counted_at).where(
                sa.or_(MatchTotal.key == "", MatchTotal.key.in_(asked))
            )
        )
    parts += _count_rows(keys)
    out = _Read({}, {}, {}, None)
    if not parts:
        return out
    stmt = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    for kind, key, n, counted_at in session.execute(stmt):
        if counted_at is None:
            out.counts[(kind, key)] = int(n)
        elif key:
            out.common[(kind, key)] = int(n)
        else:
            out.stored[kind] = int(n)
            out.counted_at = (
                counted_at if out.counted_at is None else min(out.counted_at, counted_at)
            )
    return out


def _denominators(session: Session, read: _Read) -> dict[str, int]:
    """The denominators to score with: the stored ones; a new office's (or a database
    never counted) counted here; a recount started in the background when they are old.
    Counts of common values are completed the same way."""
    stored, at = read.stored, read.counted_at
    if not stored or stored.get(PERSONS, 0) < SMALL:
        totals = recount_totals(session)
        if any(n > COMMON for n in read.counts.values()):
            read.common = recount_common(session)
        if totals.get(PERSONS, 0) >= SMALL and (not stored or is_stale(at)):
            recount_later(session.get_bind())
        return totals
    if is_stale(at):
        recount_later(session.get_bind())
    return stored


def _exact(read: _Read) -> dict[Key, int]:
    """Each value's count: live up to COMMON holders; beyond, the stored count (at most a
    recount old; at least what is on record now)."""
    return {k: max(n, read.common.get(k, 0)) if n > COMMON else n for k, n in read.counts.items()}


def is_stale(at: dt.datetime | None) -> bool:
    return at is None or (clock.now() - at).total_seconds() > TF_MAX_AGE


def _frequencies(counts: dict[Key, int], totals: dict[str, int]) -> TermFrequencies:
    by_value: dict[tuple[str, str], dict[str, int]] = {}
    for (kind, key), n in counts.items():
        found = category_of(kind)
        if found is not None:
            by_value.setdefault(found, {})[key] = n
    denominators = {}
    for kind, n in totals.items():
        found = category_of(kind)
        if found is not None:
            denominators[found] = n
    return TermFrequencies.from_counts(by_value, denominators, totals.get(PERSONS, 0))


def recount_later(bind: Any) -> None:
    """Start a background recount of the denominators (one per database at a time)."""
    engine = bind.engine if isinstance(bind, sa.Connection) else bind
    url = str(engine.url)
    with _lock:
        running = _recounts.get(url)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=_recount, args=(engine,), name="match-totals", daemon=True)
        _recounts[url] = thread
    thread.start()


def _recount(engine: sa.Engine) -> None:
    try:
        refresh_totals(engine)
    except Exception:  # another desk's recount, a closed database: the next check retries
        log.warning("recount of the matcher's totals failed", exc_info=True)


def forget_frequencies() -> None:
    """Wait for any background recount (a test's clean slate, a database closing)."""
    with _lock:
        running = list(_recounts.values())
        _recounts.clear()
    for thread in running:
        thread.join()


def remember_frequencies(url: str, records: Sequence[PersonRecord]) -> Matcher:
    """A matcher on frequencies counted from ``records`` (all live persons: the full
    duplicate scan, which scores every pair and counts its own)."""
    tf = TermFrequencies.from_records(records)
    return Matcher(tf=tf, population=max(len(records), 2))


def matcher_for(session: Session, probe: PersonRecord) -> Matcher:
    """A matcher holding the frequencies of ``probe``'s own values (what a pair agrees on
    is the probe's, but for a candidate's shortened given name: :func:`ranked` adds those)."""
    read = _read(session, _value_keys(probe_values(prepare(probe))))
    totals = _denominators(session, read)
    return _matcher(_frequencies(_exact(read), totals))


def _matcher(tf: TermFrequencies) -> Matcher:
    return Matcher(tf=tf, population=max(tf.records, 2))


# Candidates by blocking keys ---------------------------------------------------------------


def blocking_keys(probe: PersonRecord) -> set[Key]:
    """The stored blocking keys (kind, key) of what has been typed so far."""
    wanted: set[Key] = set()
    for kind, key in query_keys(probe):
        if kind == "doc":
            wanted.add(("doc", alnum_upper(key)))
        elif kind in STORED_KINDS:
            wanted.add((PREFIX + kind, key[:KEY_MAX]))
    return wanted


def candidate_ids(session: Session, probe: PersonRecord) -> list[uuid.UUID]:
    """Persons sharing the most blocking keys with what has been typed so far."""
    wanted = blocking_keys(probe)
    return _candidates(session, wanted, _read(session, wanted, totals=False).counts)


def _candidates(session: Session, wanted: set[Key], counts: dict[Key, int]) -> list[uuid.UUID]:
    """Whoever holds a typed document first (the save would refuse the number anyway, so
    the panel must show who has it, whatever the names say), then most keys shared; keys
    held by more than MAX_POSTINGS persons pick nobody ("Maria Gonzalez" alone says
    little: type on), unless no key is rarer."""
    usable = sorted(k for k in wanted if 0 < counts.get(k, 0) <= MAX_POSTINGS)
    if not usable:
        common = sorted(k for k in wanted if counts.get(k, 0) > MAX_POSTINGS)
        if not common:
            return []
        kind, key = common[0]
        return list(
            session.scalars(
                sa.select(PersonKey.person_id)
                .where(PersonKey.kind == kind, PersonKey.key == key)
                .order_by(PersonKey.person_id)
                .limit(CANDIDATES)
            )
        )
    # One indexed walk per key (a row-value IN is planned by SQLite as a scan of the whole
    # index), grouped by person.
    postings = sa.union_all(
        *(
            sa.select(
                PersonKey.person_id.label("pid"),
                sa.literal(1 if kind == "doc" else 0, sa.Integer()).label("doc"),
            ).where(PersonKey.kind == kind, PersonKey.key == key)
            for kind, key in usable
        )
    ).subquery()
    shared = sa.func.count().label("shared")
    holds = sa.func.max(postings.c.doc).label("holds")
    stmt = (
        sa.select(postings.c.pid, holds, shared)
        .group_by(postings.c.pid)
        .order_by(holds.desc(), shared.desc(), postings.c.pid)
        .limit(CANDIDATES)
    )
    return [pid for pid, _, _ in session.execute(stmt)]


def document_numbers(documents: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """(type, number) as the matcher reads them, so typed and stored numbers compare."""
    out = set()
    for type_key, number in documents:
        norm = normalise_document(type_key or "other", number or "")
        if len(norm) >= 3:
            out.add(((type_key or "other").strip().lower(), norm))
    return out


def ranked(
    session: Session, url: str, probe: PersonRecord, limit: int = 5, min_score: float = 0.02
) -> list[MatchResult]:
    """The persons on record who may be ``probe``, best first: document holders first.

    Two statements pick them (counts of the blocking keys, of the values the matcher
    may weigh and the stored denominators; then the persons sharing the keys that are not
    too common), then their records are read. ``url`` is kept for the callers' sake."""
    del url
    wanted = blocking_keys(probe)
    if not wanted:
        return []
    pp = prepare(probe)
    asked = _value_keys(probe_values(pp))
    read = _read(session, wanted | asked)
    ids = _candidates(session, wanted, read.counts)
    if not ids:
        return []
    records = load_records(session, ids)
    totals = _denominators(session, read)
    missing = _value_keys(compared_values(pp, records)) - asked
    if missing:  # rare: a candidate's own given token (see compared_values)
        more = _read(session, missing, totals=False)
        read.counts.update(more.counts)
        if any(n > COMMON for n in more.counts.values()):
            read.common.update(recount_common(session))  # rarer still: one of those common
    match = _matcher(_frequencies(_exact(read), totals))
    typed = document_numbers(probe.documents)
    holders = [r for r in records if typed & document_numbers(r.documents)]
    out = match.rank(probe, holders, limit=len(holders)) if holders else []
    held = {r.b_id for r in out}
    others = [r for r in records if r.id not in held]
    out += match.rank(probe, others, limit=max(0, limit - len(out)), min_score=min_score)
    return out


# The intake's gate ---------------------------------------------------------------------------


def intake_lock(session: Session) -> None:
    """PostgreSQL: one intake checks and inserts at a time (transaction-scoped), so two
    desks registering the same new person see each other; SQLite's write lock does it."""
    advisory_lock(session, INTAKE_LOCK)


def likely_on_record(session: Session, url: str, probe: PersonRecord) -> list[MatchResult]:
    """The persons on record likely (:data:`LIKELY`) the same as ``probe``, best first."""
    return [r for r in ranked(session, url, probe, limit=5, min_score=LIKELY) if r.score >= LIKELY]
