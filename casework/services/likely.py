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
from casework.matching.features import CORE, Comparison, Prepared, prepare
from casework.matching.normalise import normalise_document
from casework.matching.tf import DOCUMENT, GIVEN, GIVEN_TOKEN, PHONE, SURNAME
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
    frequency_kind,
    record_of,
    recount_common,
    recount_totals,
    refresh_totals,
    term_frequencies,
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


def compared_values(compared: Iterable[Comparison]) -> set[Value]:
    """Every value the matcher asks about when scoring these comparisons: the probe's, but
    also a candidate's own given token ("Mria" against "María José") and, for a near
    agreement, the candidate's name (the commoner of the two caps its weight)."""
    out: set[Value] = set()
    for cmp in compared:
        group = cmp.group
        if cmp.tf_given:
            out.add((GIVEN, cmp.tf_given, group))
        if cmp.tf_given_tok:
            out.update((GIVEN_TOKEN, tok, group) for tok in cmp.tf_given_tok.split("|"))
        out.update((SURNAME, v, group) for v in (cmp.tf_s1, cmp.tf_s2) if v)
        for ci, values in cmp.tf_fuzzy:
            cat = GIVEN if ci == _GIVEN else SURNAME
            out.update((cat, v, group) for v in values.split("|"))
        if cmp.tf_doc:
            out.add((DOCUMENT, cmp.tf_doc, ""))
        if cmp.tf_phone:
            out.add((PHONE, cmp.tf_phone, ""))
    return out


_GIVEN = CORE.index("given")


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

# A keystroke's statements are plain SQL whose text depends only on how many keys they
# look up, built once per shape: building (and caching) an expression tree of a dozen
# UNION ALL branches per keystroke cost more than running it. Ids come back as the driver
# gives them (hex text on SQLite, uuid on PostgreSQL).
_SHAPES: dict[tuple[Any, ...], sa.TextClause | sa.TextualSelect] = {}


def _counts_sql(keys: int, totals: str) -> sa.TextClause | sa.TextualSelect:
    """Row i: branch i's capped count (i >= 0), or a match_total row (i = -1). ``totals``:
    "" none, "asked" the stored counts of the values asked, "all" those and the
    denominators."""
    shape = ("counts", keys, totals)
    found = _SHAPES.get(shape)
    if found is not None:
        return found
    parts = []
    if totals:
        where = '"key" IN :asked' if totals == "asked" else '"key" = \'\' OR "key" IN :asked'
        parts.append(f'SELECT -1 AS i, kind, "key", n, counted_at FROM match_total WHERE {where}')
    parts += [
        f"SELECT {i}, NULL, NULL, count(*), NULL FROM (SELECT 1 AS x FROM person_key"
        f' WHERE kind = :k{i} AND "key" = :v{i} LIMIT {CAP + 1}) AS c{i}'
        for i in range(keys)
    ]
    stmt = sa.text(" UNION ALL ".join(parts))
    if totals:
        stmt = stmt.bindparams(sa.bindparam("asked", expanding=True))
    typed = stmt.columns(counted_at=UTCDateTime()) if totals else stmt
    _SHAPES[shape] = typed
    return typed


def _key_params(keys: Sequence[Key]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, (kind, key) in enumerate(keys):
        params[f"k{i}"] = kind
        params[f"v{i}"] = key
    return params


def _read(session: Session, keys: set[Key], *, totals: str = "all") -> _Read:
    """Row counts of ``keys`` (capped at CAP + 1) and, per ``totals`` (see
    :func:`_counts_sql`), what match_total holds for them and the denominators, in one
    statement."""
    out = _Read({}, {}, {}, None)
    ordered = sorted(keys)
    if not ordered and not totals:
        return out
    params = _key_params(ordered)
    if totals:
        params["asked"] = sorted({key for _, key in ordered})
    rows = session.execute(_counts_sql(len(ordered), totals), params)
    for i, kind, key, n, counted_at in rows:
        if i >= 0:
            out.counts[ordered[i]] = int(n)
        elif key:
            out.common[(kind, key)] = int(n)
        elif totals == "all":
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
    return _matcher(term_frequencies(_exact(read), totals))


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
    """The live persons sharing the most blocking keys with what has been typed so far."""
    wanted = blocking_keys(probe)
    counts = _read(session, wanted, totals="").counts
    return [c.id for c in _candidate_records(session, wanted, counts)]


_RECORD = (
    "SELECT p.id, p.given_names, p.first_surname, p.second_surname, p.birth_date, p.sex,"
    " p.nationality, p.phone, p.phone2, p.birth_date_precision, d.type_key, d.number_norm,"
    " d.created_at"
    " FROM ({top}) AS t JOIN person AS p ON p.id = t.pid"
    " LEFT JOIN identity_document AS d ON d.person_id = p.id"
    " WHERE p.merged_into_id IS NULL"
)
"""The candidates' records, each document a row (no document: one row of NULLs), with what
the panel shows of them."""


def _records_sql(docs: int, others: int) -> sa.TextClause | sa.TextualSelect:
    """The records of the persons holding the most of ``docs`` document keys then
    ``others`` other keys (bound k0, v0, ...: documents first); with no key but one
    (``others`` = -1), the first CANDIDATES holders of that one by id."""
    shape = ("records", docs, others)
    found = _SHAPES.get(shape)
    if found is not None:
        return found
    if others < 0:
        top = (
            'SELECT person_id AS pid FROM person_key WHERE kind = :k0 AND "key" = :v0'
            f" ORDER BY person_id LIMIT {CANDIDATES}"
        )
    else:
        # One indexed walk per key (a row-value IN is planned by SQLite as a scan of the
        # whole index), grouped by person.
        hits = " UNION ALL ".join(
            f"SELECT person_id AS pid, {int(i < docs)} AS doc FROM person_key"
            f' WHERE kind = :k{i} AND "key" = :v{i}'
            for i in range(docs + others)
        )
        top = (
            f"SELECT pid, max(doc) AS holds, count(*) AS shared FROM ({hits}) AS h"
            f" GROUP BY pid ORDER BY holds DESC, shared DESC, pid LIMIT {CANDIDATES}"
        )
    stmt = sa.text(_RECORD.format(top=top))
    _SHAPES[shape] = stmt
    return stmt


def _id_text(raw: Any) -> str:
    """A person id as ``str(uuid)`` writes it, from hex text (SQLite) or a uuid."""
    if isinstance(raw, str) and len(raw) == 32:
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    return str(raw)


@dataclass(frozen=True)
class OnRecord:
    """A candidate as read: the matcher's record, and the row it was read from for what a
    list shows of the person (:meth:`summary`, built for the few shown)."""

    record: PersonRecord
    row: Any
    document: str | None
    """The first document registered, as "type:number"."""

    @property
    def id(self) -> uuid.UUID:
        return uuid.UUID(self.record.id)

    def summary(self, last_contact: dt.datetime | None) -> PersonSummary:
        _, given, first, second, _, sex, nat, _, _, precision, *_ = self.row
        return PersonSummary(
            id=self.id,
            given_names=given,
            first_surname=first,
            second_surname=second,
            birth_date=self.record.birth_date,
            birth_date_precision=precision,
            nationality=nat,
            sex=sex,
            document=self.document,
            last_contact=last_contact,
        )


def _candidate_records(
    session: Session, wanted: set[Key], counts: dict[Key, int]
) -> list[OnRecord]:
    """The live persons among whoever holds a typed document first (the save would refuse
    the number anyway, so the panel must show who has it, whatever the names say), then
    most keys shared, in id order; keys held by more than MAX_POSTINGS persons pick nobody
    ("Maria Gonzalez" alone says little: type on), unless no key is rarer. One statement:
    the persons, their records and documents."""
    usable = sorted(k for k in wanted if 0 < counts.get(k, 0) <= MAX_POSTINGS)
    if usable:
        docs = [k for k in usable if k[0] == "doc"]
        others = [k for k in usable if k[0] != "doc"]
        stmt = _records_sql(len(docs), len(others))
        params = _key_params(docs + others)
    else:
        common = sorted(k for k in wanted if counts.get(k, 0) > MAX_POSTINGS)
        if not common:
            return []
        stmt = _records_sql(0, -1)
        params = _key_params(common[:1])
    rows: dict[Any, Any] = {}
    held: dict[Any, list[tuple[str, str]]] = {}
    first: dict[Any, Any] = {}  # the first document registered: (created_at, "type:number")
    for row in session.execute(stmt, params):
        pid, type_key, number, created = row[0], row[10], row[11], row[12]
        if pid not in rows:
            rows[pid] = row
            held[pid] = []
        if type_key is not None:
            held[pid].append((type_key, number))
            if pid not in first or created < first[pid][0]:
                first[pid] = (created, f"{type_key}:{number}")
    out = []
    for pid in sorted(rows):
        row = rows[pid]
        _, given, first_sur, second, born, sex, nat, phone, phone2, *_ = row
        if isinstance(born, str):  # SQLite: ISO text (typing the column costs more)
            born = dt.date.fromisoformat(born[:10])
        record = record_of(
            _id_text(pid), given, first_sur, second, born, sex, nat, held[pid], (phone, phone2)
        )
        out.append(OnRecord(record, row, first[pid][1] if pid in first else None))
    return out


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
    """The persons on record who may be ``probe``, best first: document holders first
    (:func:`ranked_on_record`; ``url`` is kept for the callers' sake)."""
    del url
    return [r for r, _ in ranked_on_record(session, probe, limit, min_score)]


def ranked_on_record(
    session: Session, probe: PersonRecord, limit: int = 5, min_score: float = 0.02
) -> list[tuple[MatchResult, OnRecord]]:
    """The persons on record who may be ``probe``, best first: document holders first;
    each result with the candidate as read.

    Two statements: the counts of the blocking keys and of the values the matcher may
    weigh, with the stored denominators; then the records of the persons sharing the keys
    that are not too common. Each candidate is compared once; the few values a comparison
    asks about that are not the probe's are counted (a third statement) before scoring."""
    wanted = blocking_keys(probe)
    if not wanted:
        return []
    pp = prepare(probe)
    asked = _value_keys(probe_values(pp))
    read = _read(session, wanted | asked)
    found = _candidate_records(session, wanted, read.counts)
    if not found:
        return []
    totals = _denominators(session, read)
    match = Matcher(population=max(totals.get(PERSONS, 0), 2))
    compared = [(pc, match.comparison(pp, pc)) for pc in (prepare(c.record) for c in found)]
    missing = _value_keys(compared_values(cmp for _, cmp in compared)) - read.counts.keys()
    if missing:  # a candidate's own given token or name (see compared_values)
        more = _read(session, missing, totals="asked")
        read.counts.update(more.counts)
        read.common.update(more.common)
        if any(n > COMMON and k not in read.common for k, n in more.counts.items()):
            read.common.update(recount_common(session))  # a new office, never counted
    match.tf = term_frequencies(_exact(read), totals)
    typed = document_numbers(probe.documents)
    holders = (
        [
            cmp
            for c, cmp in zip(found, compared, strict=True)
            if typed & document_numbers(c.record.documents)
        ]
        if typed
        else []
    )
    out = match.rank_compared(pp, holders, limit=len(holders)) if holders else []
    held = {r.b_id for r in out}
    others = [c for c in compared if c[0].id not in held]
    out += match.rank_compared(pp, others, limit=max(0, limit - len(out)), min_score=min_score)
    by_id = {c.record.id: c for c in found}
    return [(r, by_id[r.b_id]) for r in out]


# The intake's gate ---------------------------------------------------------------------------


def intake_lock(session: Session) -> None:
    """PostgreSQL: one intake checks and inserts at a time (transaction-scoped), so two
    desks registering the same new person see each other; SQLite's write lock does it."""
    advisory_lock(session, INTAKE_LOCK)


def likely_on_record(session: Session, url: str, probe: PersonRecord) -> list[MatchResult]:
    """The persons on record likely (:data:`LIKELY`) the same as ``probe``, best first."""
    return [r for r in ranked(session, url, probe, limit=5, min_score=LIKELY) if r.score >= LIKELY]
