"""What keeps two desks from both winning a race on PostgreSQL (READ COMMITTED), where
SQLite's BEGIN IMMEDIATE already runs one write at a time: row locks taken in a fixed
order, a transaction-scoped advisory lock for the duplicate queue, the unique indexes'
violations told apart, and the one live claim of a document number."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.models import IdentityDocument, Person

QUEUE_LOCK = 0x63617365  # "case": the duplicate queue's advisory lock
"""Scans take it exclusively while they save; merges and imports share it while they
change the queue, so a scan never saves a pair that a merge folded away meanwhile."""

DOCUMENT_INDEX = "uq_identity_document_live"
IMPORT_REF_KEY = "pk_import_ref"
PAIR_KEY = "uq_match_pair_persons"
_SQLITE_TEXT = {
    DOCUMENT_INDEX: "identity_document.type_key, identity_document.live_key",
    IMPORT_REF_KEY: "import_ref.ref",
    PAIR_KEY: "match_pair.person_a, match_pair.person_b",
}


def violated(exc: sa.exc.IntegrityError, name: str) -> bool:
    """Whether ``exc`` is a violation of the unique index or key called ``name``."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return bool(diag.constraint_name == name)
    text = str(orig)
    return "UNIQUE constraint failed" in text and _SQLITE_TEXT[name] in text


def lock_persons(
    session: Session, ids: Sequence[uuid.UUID], *, key_share: bool = False
) -> dict[uuid.UUID, Person]:
    """The persons, each row locked until the transaction ends (FOR UPDATE on PostgreSQL;
    SQLite's write transaction already holds the whole file), locked in id order so two
    merges of one pair wait for each other instead of deadlocking. Values are read again
    after the lock, so a merge that committed meanwhile is seen.

    ``key_share``: FOR NO KEY UPDATE instead. It still waits for a merge or an edit of
    either person, and lets a desk add a row that points at one of them meanwhile (an undo
    moving that desk's case would otherwise deadlock against its foreign key check)."""
    out: dict[uuid.UUID, Person] = {}
    for pid in sorted(set(ids)):
        row = session.scalar(
            sa.select(Person)
            .where(Person.id == pid)
            .with_for_update(key_share=key_share)
            .execution_options(populate_existing=True)
        )
        if row is not None:
            out[pid] = row
    return out


def insert_skipping(session: Session, model: type[Any]) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for ``model`` on this session's database (SQLite
    or PostgreSQL): rows another transaction holds already are skipped, never doubled."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).on_conflict_do_nothing()


def advisory_lock(session: Session, key: int, *, exclusive: bool = True) -> None:
    """A transaction-scoped PostgreSQL advisory lock on ``key``, exclusive or shared; nothing
    on SQLite, whose write transaction already holds the whole file."""
    if session.get_bind().dialect.name != "postgresql":
        return
    fn = sa.func.pg_advisory_xact_lock if exclusive else sa.func.pg_advisory_xact_lock_shared
    session.execute(sa.select(fn(key)))


def queue_lock(session: Session, *, exclusive: bool) -> None:
    """The duplicate queue's transaction-scoped lock (PostgreSQL only)."""
    advisory_lock(session, QUEUE_LOCK, exclusive=exclusive)


# Documents' live claims --------------------------------------------------------------------


def claim_free(session: Session, person_id: uuid.UUID) -> None:
    """The person's unclaimed documents whose number no live record claims become theirs.
    Each claim runs in a savepoint: another transaction that claimed the number first
    keeps it, and this document stays a copy waiting in the duplicate queue."""
    session.flush()
    docs = session.execute(
        sa.select(IdentityDocument.id, IdentityDocument.type_key, IdentityDocument.number_norm)
        .where(IdentityDocument.person_id == person_id, IdentityDocument.live_key.is_(None))
        .order_by(IdentityDocument.created_at)
    ).all()
    for doc_id, type_key, number in docs:
        _claim(session, doc_id, type_key, number)


def reclaim(session: Session, numbers: Iterable[tuple[str, str]]) -> None:
    """For numbers that lost their claim (their record was merged or erased), the
    earliest-recorded live holder, if any, claims each."""
    session.flush()
    for type_key, number in sorted(set(numbers)):
        doc_id = session.scalar(
            sa.select(IdentityDocument.id)
            .join(Person, Person.id == IdentityDocument.person_id)
            .where(
                IdentityDocument.type_key == type_key,
                IdentityDocument.number_norm == number,
                IdentityDocument.live_key.is_(None),
                Person.merged_into_id.is_(None),
            )
            .order_by(IdentityDocument.created_at, IdentityDocument.id)
            .limit(1)
        )
        if doc_id is not None:
            _claim(session, doc_id, type_key, number)


def _claim(session: Session, doc_id: uuid.UUID, type_key: str, number: str) -> None:
    taken = session.scalar(
        sa.select(IdentityDocument.id).where(
            IdentityDocument.type_key == type_key, IdentityDocument.live_key == number
        )
    )
    if taken is not None:
        return
    try:
        with session.begin_nested():
            session.execute(
                sa.update(IdentityDocument)
                .where(IdentityDocument.id == doc_id)
                .values(live_key=number)
                .execution_options(synchronize_session=False)
            )
    except sa.exc.IntegrityError as exc:
        if not violated(exc, DOCUMENT_INDEX):
            raise


def release(session: Session, person_id: uuid.UUID) -> set[tuple[str, str]]:
    """A merged person's documents no longer claim their numbers; returns those numbers."""
    session.flush()
    numbers = {
        (t, n)
        for t, n in session.execute(
            sa.select(IdentityDocument.type_key, IdentityDocument.number_norm).where(
                IdentityDocument.person_id == person_id, IdentityDocument.live_key.is_not(None)
            )
        )
    }
    session.execute(
        sa.update(IdentityDocument)
        .where(IdentityDocument.person_id == person_id)
        .values(live_key=None)
        .execution_options(synchronize_session=False)
    )
    return numbers
