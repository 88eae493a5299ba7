"""The person_key table: search tokens, document keys and the duplicate matcher's keys."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casework.matching.normalise import normalise_document
from casework.models import NameVariant, Person, PersonKey
from casework.services.locking import advisory_lock, insert_skipping
from casework.services.match_records import record_of, stored_keys
from casework.text import alnum_upper, deletions, fold, tokens

NAME = "name"
DOC = "doc"
KEY_MAX = 120
NEAR_MIN = 4
"""Words of this many letters or more also find the names one letter away; shorter ones
("ana", "luz") would find too many."""
VOCABULARY_LOCK = 0x6E616D65  # "name": PostgreSQL advisory lock for name_variant changes


def sort_name(first_surname: str, second_surname: str | None, given_names: str) -> str:
    return fold(" ".join(p for p in (first_surname, second_surname or "", given_names) if p))[:300]


def person_keys(
    given_names: str,
    first_surname: str,
    second_surname: str | None,
    social_name: str | None,
    documents: Iterable[tuple[str, str]],
) -> set[tuple[str, str]]:
    """(kind, key) rows for one person; documents are (type, normalised number) pairs."""
    keys: set[tuple[str, str]] = set()
    for part in (given_names, first_surname, second_surname or "", social_name or ""):
        keys.update(_name_keys(part))
    for type_key, number in documents:
        keys.update((DOC, key) for key in doc_keys(type_key, number))
    return keys


@functools.lru_cache(maxsize=32768)
def _name_keys(part: str) -> frozenset[tuple[str, str]]:
    """One name field's keys (names repeat: remembered)."""
    return frozenset((NAME, tok[:KEY_MAX]) for tok in tokens(part))


def doc_keys(type_key: str, number: str) -> set[str]:
    """A document's keys: the number as stored (what a search types) and the matcher's
    reading of it, when different (a national id "HT-998877" is also found as "998877",
    the way the intake duplicate panel looks it up)."""
    if not number:
        return set()
    return {
        alnum_upper(number)[:KEY_MAX],
        alnum_upper(normalise_document(type_key, number))[:KEY_MAX],
    } - {""}


def refresh(session: Session, person: Person) -> None:
    """Recompute a person's keys inside the current transaction (a merged person keeps its
    search and blocking keys, but no longer counts in the matcher's term frequencies)."""
    session.flush()
    before = name_tokens(session, [person.id])
    session.execute(sa.delete(PersonKey).where(PersonKey.person_id == person.id))
    rows = person_keys(
        person.given_names,
        person.first_surname,
        person.second_surname,
        person.social_name,
        ((d.type_key, d.number_norm) for d in person.documents),
    )
    rows |= stored_keys(
        record_of(
            person.id,
            person.given_names,
            person.first_surname,
            person.second_surname,
            person.birth_date,
            person.sex,
            person.nationality,
            ((d.type_key, d.number_norm) for d in person.documents),
            (person.phone, person.phone2),
        ),
        counted=person.merged_into_id is None,
    )
    session.execute(
        sa.insert(PersonKey),
        [{"person_id": person.id, "kind": kind, "key": key} for kind, key in sorted(rows)],
    )
    now = {key for kind, key in rows if kind == NAME}
    if before - now:
        _vocabulary_lock(session, exclusive=True)  # first: never a shared lock raised later
    add_vocabulary(session, now)
    forget_unused(session, before - now)


def variants(token: str) -> set[str]:
    """A name token's rows in name_variant: itself, and its one-letter deletions."""
    return {token} | (deletions(token) if len(token) >= NEAR_MIN else set())


def name_tokens(session: Session, person_ids: Iterable[uuid.UUID]) -> set[str]:
    """The name tokens these persons have in person_key now."""
    return set(
        session.scalars(
            sa.select(PersonKey.key).where(
                PersonKey.person_id.in_(list(person_ids)), PersonKey.kind == NAME
            )
        )
    )


def _vocabulary_lock(session: Session, *, exclusive: bool) -> None:
    """On PostgreSQL, a desk adding tokens (shared) and one removing the last holder of a
    token (exclusive, rare) do not interleave, so a token in use never loses its variants;
    SQLite writes one transaction at a time anyway."""
    advisory_lock(session, VOCABULARY_LOCK, exclusive=exclusive)


def add_vocabulary(session: Session, names: Iterable[str]) -> None:
    """Give the typo index the tokens it does not have yet (each token is its own variant,
    so one indexed look-up tells which are new). Two desks adding one token at once both
    succeed: the rows are inserted in one order, and a row already there is skipped."""
    wanted = sorted(set(names))
    if not wanted:
        return
    _vocabulary_lock(session, exclusive=False)
    known = set(
        session.scalars(
            sa.select(NameVariant.token).where(
                NameVariant.variant.in_(wanted), NameVariant.token == NameVariant.variant
            )
        )
    )
    missing = [tok for tok in wanted if tok not in known]
    if not missing:
        return
    rows = sorted({(v, tok) for tok in missing for v in variants(tok)})
    insert_variants(session, rows)


def insert_variants(session: Session, rows: list[tuple[str, str]]) -> None:
    """Insert (variant, token) rows, skipping those already there (SQLite and PostgreSQL)."""
    stmt = insert_skipping(session, NameVariant)
    for start in range(0, len(rows), 500):
        chunk = [{"variant": v, "token": tok} for v, tok in rows[start : start + 500]]
        session.execute(stmt, chunk)


def forget_unused(session: Session, names: Iterable[str]) -> None:
    """Drop from the typo index the tokens no person has any more (an edit, an erasure): a
    name erased from the records does not stay behind in the index."""
    candidates = sorted(set(names))
    if not candidates:
        return
    _vocabulary_lock(session, exclusive=True)
    used = set(
        session.scalars(
            sa.select(PersonKey.key)
            .where(PersonKey.kind == NAME, PersonKey.key.in_(candidates))
            .distinct()
        )
    )
    unused = [tok for tok in candidates if tok not in used]
    if not unused:
        return
    session.execute(sa.delete(NameVariant).where(NameVariant.token.in_(unused)))


def fill_vocabulary(conn: sa.Connection) -> int:
    """Rebuild name_variant from every name token in person_key, for loads that write
    person_key rows directly (the demo database). Returns the rows written."""
    names = conn.scalars(sa.select(PersonKey.key).where(PersonKey.kind == NAME).distinct())
    rows = sorted({(v, tok) for tok in names for v in variants(tok)})
    conn.execute(sa.delete(NameVariant))
    for start in range(0, len(rows), 5_000):
        conn.execute(
            sa.insert(NameVariant),
            [{"variant": v, "token": tok} for v, tok in rows[start : start + 5_000]],
        )
    return len(rows)


def prefix_filter(kind: str, prefix: str) -> sa.ColumnElement[bool]:
    """An index-friendly prefix match on person_key (same SQL on SQLite and PostgreSQL)."""
    return sa.and_(
        PersonKey.kind == kind,
        PersonKey.key >= prefix,
        PersonKey.key < prefix + "\uffff",
    )
