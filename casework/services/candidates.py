"""Duplicate candidates at intake: who on record may be the person being typed.

The matcher (``casework.matching``) scores on term frequencies counted from the persons on
record and kept for a few minutes; candidates are picked by the blocking keys they share
with what has been typed (``casework.services.match_records``).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.matching import (
    DEFAULT_THRESHOLD,
    Matcher,
    PersonRecord,
    Reason,
    TermFrequencies,
    query_keys,
)
from casework.matching.normalise import normalise_document
from casework.models import PersonKey
from casework.services.context import Context
from casework.services.match_records import PREFIX, STORED_KINDS, load_records, record_of
from casework.services.persons import _summaries
from casework.services.schemas import PersonSummary
from casework.text import alnum_upper

CANDIDATES = 100
MAX_POSTINGS = 1000
"""A key shared by more persons than this is too common to pick candidates with."""
TF_MAX_AGE = 300.0
"""Seconds before the term frequencies are counted again from the database."""
LIKELY = DEFAULT_THRESHOLD
"""Candidates at or above this score are likely the same person: the intake asks once
more before creating a record."""


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


# Intake ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    person: PersonSummary
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Typed:
    """What has been typed so far in the intake form, as the form holds it."""

    given_names: str = ""
    first_surname: str = ""
    second_surname: str = ""
    birth_date: dt.date | None = None
    sex: str | None = None
    documents: tuple[tuple[str, str], ...] = ()
    """(type, number) of each document typed."""
    phone: str = ""

    @property
    def searchable(self) -> bool:
        """Enough to look for the person on record: a first surname or a document."""
        return bool(self.first_surname or self.documents)

    def probe(self) -> PersonRecord:
        """The matcher's record of what has been typed."""
        return record_of(
            "intake",
            self.given_names,
            self.first_surname,
            self.second_surname or None,
            self.birth_date,
            self.sex,
            None,
            self.documents,
            (self.phone,),
        )


def likely(found: Sequence[Candidate]) -> list[Candidate]:
    """The candidates likely the same person (:data:`LIKELY`)."""
    return [c for c in found if c.score >= LIKELY]


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


def typed_candidates(ctx: Context, typed: Typed) -> list[Candidate]:
    """:func:`intake_candidates` for what has been typed in the intake form; nothing
    until it is :attr:`Typed.searchable`."""
    if not typed.searchable:
        return []
    return intake_candidates(ctx, typed.probe())
