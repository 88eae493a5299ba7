"""Who on record is likely the person being registered: the matcher's session-level pieces
(term frequencies, blocking-key candidates) and the intake's duplicate gate.

Below ``persons`` (which calls the gate inside its write) and ``candidates`` (the live
warning while typing), so neither imports the other.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

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
from casework.matching.normalise import normalise_document
from casework.models import PersonKey
from casework.services.locking import advisory_lock
from casework.services.match_records import PREFIX, STORED_KINDS, load_records
from casework.services.schemas import PersonSummary
from casework.text import alnum_upper

CANDIDATES = 100
MAX_POSTINGS = 1000
"""A key shared by more persons than this is too common to pick candidates with."""
TF_MAX_AGE = 300.0
"""Seconds before the term frequencies are counted again from the database."""
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


def forget_frequencies() -> None:
    with _tf_lock:
        _tf_cache.clear()


def likely_matcher(session: Session, url: str) -> Matcher:
    tf, population = term_frequencies(session, url)
    return Matcher(tf=tf, population=max(population, 2))


# Candidates by blocking keys ---------------------------------------------------------------


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
    """The persons on record who may be ``probe``, best first: document holders first."""
    ids = candidate_ids(session, probe)
    if not ids:
        return []
    records = load_records(session, ids)
    match = likely_matcher(session, url)
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
