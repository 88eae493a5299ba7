"""Bring in a programme's existing list of persons from a CSV or XLSX file.

Import never merges: it creates records, and counts the likely duplicates for the scan the
command line and the desk run after it (``duplicate_queue.auto_scan(ctx, "import")``).

It writes in batches (:data:`BATCH` rows), each its own short transaction, so desks keep
saving meanwhile, and an import stopped by Ctrl+C, a cancel or a crash leaves whole batches
only. Each batch is read with a few set look-ups and written with one multi-row insert per
table (person, identity_document, person_key, name_variant, import_ref, audit_event).

The desk's rules hold: a row is known by its ``ref`` (or, without one, by a digest of its
cells), held in ``import_ref`` (a unique key), so a re-run or two runs at once create
nothing twice; the same ``ref`` with other data is a conflict; one file never gives one
document to two persons; a document a live person on record holds is that person's
("already") when the names agree, a conflict when they clearly differ. A row of a person on
record (its ``ref``, or its document) that brings what the record lacks -- the report,
corrected and imported again -- fills those empty fields and nothing else
(:func:`_complete`): a write to that person's file, through ``gate.write_person`` as any.

Who may import: supervisors and the administrator. Each person it creates is audited as an
``import`` by who ran it, and the file as a whole as ``import_file``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import itertools
import re
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from casework.errors import InvalidInput
from casework.ids import uuid7
from casework.matching.keys import dob_sorted
from casework.models import IdentityDocument, ImportRef, Person, PersonKey
from casework.models.base import Base, utcnow
from casework.models.enums import Role
from casework.services import gate, keys, locking, match_records
from casework.services.context import Context, audit, open_blocking, validate
from casework.services.gate import AccessReason
from casework.services.import_read import open_source
from casework.services.import_types import (
    ImportFileError,
    ImportReport,
    Issue,
    Outcome,
    Problem,
    Progress,
    ReadOptions,
    RowResult,
)
from casework.services.outbox import online_only
from casework.services.schemas import PersonIn
from casework.text import fold, tokens

IMPORT_NAMESPACE = uuid.UUID("0c5e8f5e-3c2a-4b7e-9d0e-6a1f2b3c4d5e")
REF_MAX = 200
"""Longer references are held in ``import_ref`` by a digest of their text."""
BATCH = 1000
"""Rows per transaction: short enough that a desk's save waits a moment at most."""
RETRIES = 5
"""A batch that lost a race (PostgreSQL: another import claimed a row or a document
first) is read again and written again, at most this many times."""
ROW_PREFIX = "row:"
"""``import_ref`` keys of a referenced row's content: the same ``ref`` with other data is
told apart from a re-run of the same row."""

_TABLES = Base.metadata.tables
K = TypeVar("K")
V = TypeVar("V")
ProgressFn = Callable[[Progress], None]
Doc = tuple[str, str]
"""(document type, normalised number)."""


def ref_key(ref: str) -> str:
    """The ``import_ref`` key of a reference."""
    if len(ref) <= REF_MAX:
        return ref
    return f"import:{uuid.uuid5(IMPORT_NAMESPACE, ref)}"


@functools.lru_cache(maxsize=4096)
def fingerprint_key(fingerprint: str) -> str:
    """The ``import_ref`` key of a row with no ``ref`` (its cells' digest)."""
    return f"import:{uuid.uuid5(IMPORT_NAMESPACE, fingerprint)}"


@functools.lru_cache(maxsize=4096)
def content_key(ref: str, fingerprint: str) -> str:
    """The ``import_ref`` key of a referenced row's content."""
    return f"{ROW_PREFIX}{uuid.uuid5(IMPORT_NAMESPACE, ref + chr(31) + fingerprint)}"


@dataclass
class Resolution:
    """What one row came to: its person (on record, created now, or the earlier row of the
    file it repeats; None when refused or in conflict), the outcome, and the issue that
    explains a refusal or a conflict."""

    person_id: uuid.UUID | None
    outcome: Outcome
    issue: Issue | None = None
    likely: bool = False
    """A created person that someone on record or earlier in the file likely is (same
    folded names and birth date, or the same number as another type of document)."""
    person: PersonIn | None = field(default=None, repr=False)
    """The row's person as validated (what is stored when created)."""


@dataclass
class _Seen:
    person_id: uuid.UUID
    line: int
    fingerprint: str = ""
    names: tuple[str, str] = ("", "")


@dataclass
class FileState:
    """What earlier batches of one file decided: its references, its rows without one
    (by fingerprint), its documents and its persons' likely-duplicate keys, each with the
    person they went to."""

    refs: dict[str, _Seen] = field(default_factory=dict)
    fingerprints: dict[str, _Seen] = field(default_factory=dict)
    documents: dict[Doc, _Seen] = field(default_factory=dict)
    likely: dict[str, uuid.UUID] = field(default_factory=dict)


class _Overlay(Generic[K, V]):
    """A batch's additions over the file's state, written into it only by :meth:`commit`."""

    def __init__(self, base: dict[K, V]) -> None:
        self.base = base
        self.new: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        found = self.new.get(key)
        return self.base.get(key) if found is None else found

    def __contains__(self, key: K) -> bool:
        return key in self.new or key in self.base

    def __setitem__(self, key: K, value: V) -> None:
        self.new[key] = value

    def commit(self) -> None:
        self.base.update(self.new)


# Validation -------------------------------------------------------------------------------


_CHILEAN_PHONE = re.compile(r"(?:\+56)?([2-9][0-9]{8})")


def chilean_phone(value: Any) -> str | None:
    """The E.164 form PersonIn gives the commonest phones, nine Chilean digits with or
    without "+56" and spaces ("9 1234 5678", "+56912345678"), without its phonenumbers
    parse (a fifth of an import's validation); None for any other text, which PersonIn
    checks itself."""
    if not isinstance(value, str) or len(value) > 20:
        return None
    found = _CHILEAN_PHONE.fullmatch(value.replace(" ", ""))
    return None if found is None else "+56" + found[1]


def _validated(row: RowResult) -> PersonIn | None:
    """The row's person, validated as the desk does; a field the desk would refuse is left
    empty with a warning (the names are the person: without them the row is refused)."""
    data = dict(row.person or {})
    # Half a name (the reader warned): checked with a stand-in, stored empty.
    after: dict[str, Any] = {n: "" for n in ("given_names", "first_surname") if not data.get(n)}
    data.update(dict.fromkeys(after, "N"))
    for name in ("phone", "phone2"):
        if (e164 := chilean_phone(data.get(name))) is not None:
            del data[name]
            after[name] = e164
    for _ in range(len(data) + 1):
        try:
            return validate(PersonIn, data).model_copy(update=after)
        except InvalidInput as exc:
            for error in exc.errors:
                name = error.field.split(".")[0]
                if name in ("given_names", "first_surname") or name not in data:
                    row.refused = Issue("invalid_name", name, str(data.get(name, "")))
                    return None
                value = data.pop(name)
                if name == "documents":
                    value = " ".join(str(d.get("number", "")) for d in value)
                    row.warnings.append(Issue("invalid_value", "document_number", value))
                else:
                    row.warnings.append(Issue("invalid_value", _field(name), str(value)))
    return None


def _field(name: str) -> str:
    return {"birth_date": "date_of_birth"}.get(name, name)


def _names_agree(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two (given names, first surname) name one person: folded equal, or close
    (a typo, an accent, one given name of two)."""
    if fold(a[0]).split() == fold(b[0]).split() and fold(a[1]) == fold(b[1]):
        return True
    if fuzz.ratio(" ".join(tokens(a[1])), " ".join(tokens(b[1]))) < 80:
        return False
    given_a, given_b = tokens(a[0]), tokens(b[0])
    return any(fuzz.ratio(x, y) >= 80 for x in given_a for y in given_b)


def _likely_key(person: PersonIn) -> str | None:
    """Folded first given name, first surname and birth date: the cheap exact check."""
    if person.birth_date is None:
        return None
    return _key_of(person.given_names, person.first_surname, person.birth_date)


def _key_of(given: str, first: str, born: dt.date) -> str:
    return f"{_first_token(given)}|{_joined_tokens(first)}|{born.isoformat()}"


@functools.lru_cache(maxsize=16384)
def _first_token(text: str) -> str:
    return next(iter(tokens(text)), "")


@functools.lru_cache(maxsize=16384)
def _joined_tokens(text: str) -> str:
    return " ".join(tokens(text))


# One batch --------------------------------------------------------------------------------


@dataclass
class _New:
    """A person the batch creates."""

    id: uuid.UUID
    row: RowResult
    person: PersonIn
    docs: dict[Doc, tuple[str, str | None]]
    refs: list[str]


@dataclass
class _Lookups:
    refs: dict[str, uuid.UUID]
    documents: dict[str, list[tuple[uuid.UUID, str, bool, str, str]]]
    """number -> (person, type, live claim, given names, first surname) of live persons."""
    with_content: set[uuid.UUID]
    """Persons on record holding a content key (imported since content keys exist)."""


def _documents_of(person: PersonIn) -> dict[Doc, tuple[str, str | None]]:
    """The person's documents, each once: (type, normalised number) -> (number as typed,
    issuing country)."""
    out: dict[Doc, tuple[str, str | None]] = {}
    for doc in person.documents:
        out.setdefault((doc.type, doc.normalised()), (doc.number, doc.issuing_country))
    return out


def _lookups(
    session: Session, rows: Sequence[tuple[RowResult, PersonIn, dict[Doc, Any]]]
) -> _Lookups:
    wanted: set[str] = set()
    numbers: set[str] = set()
    for row, _person, row_docs in rows:
        if row.ref:
            wanted |= {ref_key(row.ref), content_key(row.ref, row.fingerprint)}
        else:
            wanted.add(fingerprint_key(row.fingerprint))
        numbers.update(n for _, n in row_docs)
    found: dict[str, uuid.UUID] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 900):
        chunk = ordered[start : start + 900]
        stmt = sa.select(ImportRef.ref, ImportRef.person_id).where(ImportRef.ref.in_(chunk))
        found.update((ref, pid) for ref, pid in session.execute(stmt))
    held = {pid for key, pid in found.items() if not key.startswith(ROW_PREFIX)}
    with_content: set[uuid.UUID] = set()
    if held:
        with_content = set(
            session.scalars(
                sa.select(ImportRef.person_id).where(
                    ImportRef.person_id.in_(sorted(held)), ImportRef.ref.like(ROW_PREFIX + "%")
                )
            )
        )
    documents: dict[str, list[tuple[uuid.UUID, str, bool, str, str]]] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), 900):
        chunk = ordered[start : start + 900]
        held_by = (
            sa.select(
                IdentityDocument.number_norm,
                IdentityDocument.person_id,
                IdentityDocument.type_key,
                IdentityDocument.live_key,
                Person.given_names,
                Person.first_surname,
            )
            .join(Person, Person.id == IdentityDocument.person_id)
            .where(IdentityDocument.number_norm.in_(chunk), Person.merged_into_id.is_(None))
        )
        for number, pid, type_key, live, given, first in session.execute(held_by):
            documents.setdefault(number, []).append((pid, type_key, live is not None, given, first))
    return _Lookups(found, documents, with_content)


def _likely_on_record(session: Session, new: Sequence[_New]) -> set[uuid.UUID]:
    """The new persons someone on record has the same folded names and birth date as
    (through the matcher's stored "m.dob_sorted" key and an exact check)."""
    by_key: dict[str, list[uuid.UUID]] = {}
    dates: set[str] = set()
    for item in new:
        key = _likely_key(item.person)
        if key is not None and item.person.birth_date is not None:
            by_key.setdefault(key, []).append(item.id)
            dates.add(dob_sorted(item.person.birth_date))
    if not by_key:
        return set()
    out: set[uuid.UUID] = set()
    ordered = sorted(dates)
    for start in range(0, len(ordered), 900):
        chunk = ordered[start : start + 900]
        stmt = (
            sa.select(Person.given_names, Person.first_surname, Person.birth_date)
            .join(PersonKey, PersonKey.person_id == Person.id)
            .where(
                PersonKey.kind == match_records.PREFIX + "dob_sorted",
                PersonKey.key.in_(chunk),
                Person.merged_into_id.is_(None),
            )
        )
        for given, first, born in session.execute(stmt):
            if born is None:
                continue
            out.update(by_key.get(_key_of(given, first, born), ()))
    return out


def resolve_persons(
    session: Session,
    ctx: Context,
    rows: Sequence[RowResult],
    seen: FileState,
    *,
    write: bool = True,
    ref_identifies: bool = False,
) -> list[Resolution]:
    """Decide each row of one batch (in the file's order) and, with ``write``, insert the
    persons it creates inside ``session`` (the caller commits). With ``ref_identifies`` (a
    sheet of visits, where one person's rows may differ a little), a known ``ref`` is that
    person even when the row's other cells differ. ``seen`` carries what the
    file's earlier batches decided; it is updated only once the batch is written, so a
    batch retried after a lost race starts again from the same state."""
    validated: list[tuple[RowResult, PersonIn | None, dict[Doc, Any]]] = []
    for row in rows:
        person = _validated(row) if row.refused is None else None
        validated.append((row, person, _documents_of(person) if person else {}))
    found = _lookups(session, [(r, p, d) for r, p, d in validated if p is not None])
    refs = _Overlay(seen.refs)
    prints = _Overlay(seen.fingerprints)
    docs = _Overlay(seen.documents)
    likely = _Overlay(seen.likely)
    out: list[Resolution] = []
    new: list[_New] = []
    for row, person, row_docs in validated:
        if person is None:
            out.append(Resolution(None, "refused", row.refused or Issue("no_name")))
            continue
        resolution = _resolve(row, person, row_docs, found, refs, prints, docs, ref_identifies)
        if resolution is not None:
            out.append(resolution)
            continue
        pid = uuid7()
        names = (person.given_names, person.first_surname)
        entry = _Seen(pid, row.line, row.fingerprint, names)
        held: list[str] = []
        if row.ref:
            refs[row.ref] = entry
            held = [ref_key(row.ref), content_key(row.ref, row.fingerprint)]
        else:
            prints[row.fingerprint] = entry
            held = [fingerprint_key(row.fingerprint)]
        for doc in row_docs:
            docs[doc] = entry
        resolution = Resolution(pid, "created", person=person)
        key = _likely_key(person)
        if key is not None:
            if key in likely:
                resolution.likely = True
            else:
                likely[key] = pid
        if any(
            holder[1] != doc_type or not holder[2]
            for doc_type, number in row_docs
            for holder in found.documents.get(number, ())
        ):
            resolution.likely = True
        out.append(resolution)
        new.append(_New(pid, row, person, row_docs, held))
    _complete(session, ctx, rows, out, write=write)
    if new:
        on_record = _likely_on_record(session, new)
        for resolution in out:
            if resolution.person_id in on_record and resolution.outcome == "created":
                resolution.likely = True
        if write:
            _write(session, ctx, new)
    for overlay in (refs, prints, docs, likely):
        overlay.commit()
    return out


COMPLETABLE = (
    "given_names",
    "first_surname",
    "second_surname",
    "sex",
    "birth_date",
    "nationality",
    "phone",
    "phone2",
    "email",
    "address",
    "commune",
)
"""A person's fields an import may fill when they are empty on record (never overwrite)."""
_COLUMN = {"commune": "commune_code"}


def _complete(
    session: Session,
    ctx: Context,
    rows: Sequence[RowResult],
    out: list[Resolution],
    *,
    write: bool,
) -> None:
    """Rows of persons on record that bring what the record lacks (a corrected report:
    the date, commune or document the first import left empty) fill those empty fields,
    audited as an update of the person; nothing on record is overwritten. A referenced row
    that would change a filled field stays a conflict; a row found by its document whose
    other cells differ is simply "already"."""
    wanted = [
        i
        for i, r in enumerate(out)
        if r.person is not None and r.outcome in ("completed", "already")
    ]
    if not wanted:
        return
    ids = sorted({pid for i in wanted if (pid := out[i].person_id) is not None})
    on_record = locking.lock_persons(session, ids) if write else _read_persons(session, ids)
    worker = ctx.actor(session)
    done: set[uuid.UUID] = set()
    for i in wanted:
        res, row = out[i], rows[i]
        record = on_record.get(res.person_id) if res.person_id else None
        referenced = res.outcome == "completed"
        fallback = res.issue
        res.issue = None
        if record is None or record.merged_into_id is not None:
            res.outcome, res.person = "already", None
            continue
        fills, clash = _fills(record, res.person)
        if clash and referenced:
            res.outcome, res.person_id, res.issue = "conflict", None, fallback
            continue
        if not fills or record.id in done or open_blocking(session, record.id) is not None:
            res.outcome = "already"
            if referenced and write and not clash:
                _hold(session, content_key(row.ref, row.fingerprint), record.id)
            continue
        res.outcome = "completed"
        done.add(record.id)
        if not write:
            continue
        details = gate.write_person(session, worker, record.id, AccessReason.OTHER)
        _apply_fills(session, record, fills)
        if referenced:
            _hold(session, content_key(row.ref, row.fingerprint), record.id)
        audit(
            session,
            ctx,
            "update",
            "person",
            record.id,
            person_id=record.id,
            fields=sorted(fills),
            via="import",
            **details,
        )


def _read_persons(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Person]:
    return {p.id: p for p in session.scalars(sa.select(Person).where(Person.id.in_(ids)))}


def _fills(record: Person, person: PersonIn | None) -> tuple[dict[str, Any], bool]:
    """What the row adds to the record's empty fields, and whether it differs from a
    filled one."""
    fills: dict[str, Any] = {}
    clash = False
    if person is None:
        return fills, clash
    for name in COMPLETABLE:
        new = getattr(person, name)
        if new in (None, ""):
            continue
        if hasattr(new, "value"):
            new = new.value
        old = getattr(record, _COLUMN.get(name, name))
        if old in (None, ""):
            fills[name] = new
        elif name in ("given_names", "first_surname", "second_surname"):
            clash = clash or fold(str(old)) != fold(str(new))
        else:
            clash = clash or old != new
    if "birth_date" in fills:
        fills["birth_date_precision"] = person.precision.value
    have = {(d.type_key, d.number_norm) for d in record.documents}
    docs = [d for d in person.documents if (d.type, d.normalised()) not in have]
    if docs:
        fills["documents"] = docs
    return fills, clash


def _apply_fills(session: Session, record: Person, fills: dict[str, Any]) -> None:
    for name, value in fills.items():
        if name != "documents":
            setattr(record, _COLUMN.get(name, name), value)
    if {"given_names", "first_surname", "second_surname"} & fills.keys():
        record.sort_name = keys.sort_name(
            record.first_surname, record.second_surname, record.given_names
        )
    for doc in fills.get("documents", ()):
        record.documents.append(
            IdentityDocument(
                type_key=doc.type,
                number=doc.number,
                number_norm=doc.normalised(),
                live_key=None,
                issuing_country=doc.issuing_country,
            )
        )
    session.flush()
    if "documents" in fills:
        locking.claim_free(session, record.id)
    keys.refresh(session, record)


def _hold(session: Session, key: str, person_id: uuid.UUID) -> None:
    """The corrected row's content key, so a re-run finds it "already"."""
    if session.get(ImportRef, key) is None:
        session.add(ImportRef(ref=key, person_id=person_id))
        session.flush()


def _resolve(
    row: RowResult,
    person: PersonIn,
    row_docs: dict[Doc, Any],
    found: _Lookups,
    refs: _Overlay[str, _Seen],
    prints: _Overlay[str, _Seen],
    docs: _Overlay[Doc, _Seen],
    ref_identifies: bool = False,
) -> Resolution | None:
    """A row that creates nothing: a repeat, a row on record, a conflict. None: create it."""
    names = (person.given_names, person.first_surname)
    if row.ref:
        earlier = refs.get(row.ref)
        if earlier is not None:
            if earlier.fingerprint == row.fingerprint or ref_identifies:
                return Resolution(earlier.person_id, "duplicate_in_file")
            return Resolution(None, "conflict", Issue("ref_in_file", "ref", str(earlier.line)))
        pid = found.refs.get(ref_key(row.ref))
        if pid is not None:
            if (
                found.refs.get(content_key(row.ref, row.fingerprint)) == pid
                or pid not in found.with_content
                or ref_identifies
            ):
                return Resolution(pid, "already")
            # A corrected row (the report imported again): it may complete what the first
            # import left empty; anything it would overwrite makes it a conflict.
            return Resolution(
                pid, "completed", Issue("ref_on_record", "ref", row.ref), person=person
            )
    else:
        earlier = prints.get(row.fingerprint)
        if earlier is not None:
            return Resolution(earlier.person_id, "duplicate_in_file")
        pid = found.refs.get(fingerprint_key(row.fingerprint))
        if pid is not None:
            return Resolution(pid, "already")
    for doc_type, number in row_docs:
        earlier = docs.get((doc_type, number))
        if earlier is not None:
            if _names_agree(names, earlier.names):
                return Resolution(earlier.person_id, "duplicate_in_file")
            return Resolution(
                None, "conflict", Issue("document_in_file", "document_number", str(earlier.line))
            )
        for pid, type_key, live, given, first in found.documents.get(number, ()):
            if type_key != doc_type or not live:
                continue
            if _names_agree(names, (given, first)):
                # The same person: what the row adds to an empty field is taken.
                return Resolution(pid, "already", person=None if ref_identifies else person)
            return Resolution(
                None, "conflict", Issue("document_on_record", "document_number", number)
            )
    return None


PERSON_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "created_by",
    "merged_into_id",
    "current_status",
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
    "sort_name",
    "external_refs",
)
DOCUMENT_COLUMNS = (
    "id",
    "created_at",
    "person_id",
    "type_key",
    "number",
    "number_norm",
    "issuing_country",
    "expires_on",
    "live_key",
)
AUDIT_COLUMNS = ("id", "at", "worker_id", "action", "entity", "entity_id", "person_id", "details")


def _write(session: Session, ctx: Context, new: Sequence[_New]) -> None:
    """The batch's persons, their documents, keys, references and audit events: one
    multi-row insert per table."""
    now = utcnow()
    actor = ctx.actor_id
    person_rows: list[tuple[Any, ...]] = []
    doc_rows: list[tuple[Any, ...]] = []
    key_rows: list[tuple[uuid.UUID, str, str]] = []
    ref_rows: list[tuple[str, uuid.UUID]] = []
    audit_rows: list[tuple[Any, ...]] = []
    names: set[str] = set()
    details: dict[str, Any] = {}
    for item in new:
        p = item.person
        pid = item.id
        refs = sorted(set(p.external_refs) | ({item.refs[0]} if not item.row.ref else set()))
        person_rows.append(
            (
                pid,
                now,
                now,
                actor,
                None,
                None,
                p.given_names,
                p.first_surname,
                p.second_surname,
                p.social_name,
                p.sex.value if p.sex else None,
                p.gender_identity,
                p.birth_date,
                p.precision.value,
                p.nationality,
                p.birth_country,
                p.phone,
                p.phone2,
                p.email,
                p.address,
                p.commune,
                p.civil_status,
                p.schooling,
                p.interpreter_needed,
                p.arrival_date,
                p.stats_opt_out,
                keys.sort_name(p.first_surname, p.second_surname, p.given_names),
                refs,
            )
        )
        for (doc_type, number), (original, country) in item.docs.items():
            doc_rows.append((uuid7(), now, pid, doc_type, original, number, country, None, number))
        person_keys = sorted(person_key_rows(pid, p, item.docs))
        key_rows.extend((pid, k, v) for k, v in person_keys)
        names.update(v for k, v in person_keys if k == keys.NAME)
        ref_rows.extend((ref, pid) for ref in item.refs)
        audit_rows.append((uuid7(), now, actor, "import", "person", pid, pid, details))
    # Unique keys in one order, so two imports at once wait for each other, never deadlock.
    ref_rows.sort(key=lambda r: r[0])
    # In the search index's order (kind, key): each of its pages is visited once, in turn.
    key_rows.sort(key=lambda r: (r[1], r[2]))
    doc_rows.sort(key=lambda r: (r[3], r[5]))
    _bulk(session, "person", PERSON_COLUMNS, person_rows)
    _bulk(session, "import_ref", ("ref", "person_id"), ref_rows)
    _bulk(session, "identity_document", DOCUMENT_COLUMNS, doc_rows)
    _bulk(session, "person_key", ("person_id", "kind", "key"), key_rows)
    keys.add_vocabulary(session, names)
    _bulk(session, "audit_event", AUDIT_COLUMNS, audit_rows)


def _bulk(
    session: Session, name: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """One bulk insert, each column converted by its type once per distinct value
    (SQLAlchemy's per-row parameter handling would cost more than the insert). SQLite:
    the driver's executemany. PostgreSQL: COPY, a fraction of the server's cost of
    inserting the same rows one statement at a time; unique keys are checked as by an
    INSERT, and a violation (a lost race) is raised as SQLAlchemy's IntegrityError."""
    if not rows:
        return
    table = _TABLES[name]
    conn = session.connection()
    dialect = conn.dialect
    by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for i, column in enumerate(columns):
        # As the ORM binds it (JSON in psycopg's Json, dumped with the same json).
        fn = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        if fn is not None:
            by_column[i] = _converted(by_column[i], fn)
    if dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection  # psycopg's own connection
        statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
        try:
            with raw.cursor() as cur, cur.copy(statement) as copy:
                for row in zip(*by_column, strict=True):
                    copy.write_row(row)
        except dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DBAPIError.instance(
                statement, None, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        return
    if dialect.name != "sqlite":
        conn.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
        list(zip(*by_column, strict=True)),
    )


def _converted(values: Sequence[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """``fn`` applied to each value but None, once per distinct value (a person's id repeats
    on each of its keys; the batch's time on each of its rows)."""
    try:
        memo = {v: fn(v) for v in set(values) if v is not None}
    except TypeError:  # unhashable (JSON): each converted
        return [None if v is None else fn(v) for v in values]
    memo[None] = None
    return [memo[v] for v in values]


def person_key_rows(pid: uuid.UUID, p: PersonIn, docs: Iterable[Doc]) -> set[tuple[str, str]]:
    """What :func:`keys.refresh` writes for this person."""
    docs = list(docs)
    rows = keys.person_keys(p.given_names, p.first_surname, p.second_surname, p.social_name, docs)
    rows |= match_records.stored_keys(
        match_records.record_of(
            pid,
            p.given_names,
            p.first_surname,
            p.second_surname,
            p.birth_date,
            p.sex.value if p.sex else None,
            p.nationality,
            docs,
            (p.phone, p.phone2),
        ),
        remember=False,
    )
    return rows


# The file -----------------------------------------------------------------------------------


@online_only("importing.preview")
def preview(ctx: Context, path: Path, options: ReadOptions | None = None) -> ImportReport:
    """What an import of ``path`` would do, with nothing written."""
    return import_persons(ctx, path, options, dry_run=True)


def batches(rows: Iterator[RowResult], size: int) -> Generator[list[RowResult], None, None]:
    """The file's rows, ``size`` at a time, each batch read and handled with Python's cycle
    collector paused (see :func:`_collector_paused`)."""
    while True:
        with _collector_paused():
            batch = list(itertools.islice(rows, size))
            if not batch:
                return
            yield batch


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for one batch, then a collection of the young objects.

    A batch's objects (rows, validated persons, insert parameters) live until it ends, so
    the collector would move them to its oldest generation and then walk the whole heap
    again and again: a third of an import's time. Nearly all of them are freed when the
    batch ends without it (no cycles); what cycles a batch left go at its end."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
            gc.collect(1)


@online_only("importing.import_persons")
def import_persons(
    ctx: Context,
    path: Path,
    options: ReadOptions | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    dry_run: bool = False,
    sample: int = 10,
    batch_size: int = BATCH,
) -> ImportReport:
    """Import the persons of ``path`` batch by batch (see the module's notes); ``cancel``
    set stops after the batch being written (``report.cancelled``)."""
    with ctx.db.read() as session:
        ctx.require_role(session, Role.SUPERVISOR, Role.ADMIN)
    source = open_source(path, options)
    report = ImportReport(info=source.info, dry_run=dry_run)
    seen = FileState()
    started = utcnow()
    analysed = 0
    with contextlib.closing(batches(source.rows(), batch_size)) as chunks:
        for batch in chunks:
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            resolved = _run_batch(ctx, batch, seen, write=not dry_run)
            _count(report, batch, resolved, sample)
            if report.created >= 2 * analysed + BATCH and not dry_run:
                analysed = report.created
                _analyse(ctx)
            if progress is not None:
                progress(Progress(report.rows, source.info.total_rows, report.created, started))
    if not dry_run:
        if report.created:  # the matcher's denominators, with the persons just written
            match_records.refresh_totals(ctx.db.engine)
        with ctx.db.write() as session:
            audit(
                session,
                ctx,
                "import_file",
                "person",
                None,
                rows=report.rows,
                created=report.created,
                errors=report.refused,
                conflicts=report.conflicts,
                cancelled=report.cancelled,
            )
    if progress is not None and not report.cancelled:
        progress(Progress(report.rows, report.rows, report.created, started))
    return report


ANALYSED = ("person", "person_key", "identity_document", "import_ref")


def _analyse(ctx: Context) -> None:
    """PostgreSQL: fresh statistics for the tables the batches look up, each time the
    import has doubled what it wrote. Without them a new or small database's planner
    takes the tables for near empty and joins them row by row, so each batch would look
    through everything earlier batches wrote. (SQLite's plans do not depend on them.)"""
    if ctx.db.is_sqlite:
        return
    with ctx.db.write() as session:
        session.execute(sa.text(f"ANALYZE {', '.join(ANALYSED)}"))


def _run_batch(
    ctx: Context, batch: list[RowResult], seen: FileState, *, write: bool
) -> list[Resolution]:
    """One batch in its own transaction. A batch that lost a race to another import (a
    reference or a document claimed meanwhile, or a deadlock PostgreSQL broke) is rolled
    back and decided again from what is on record then."""
    if not write:
        with ctx.db.read() as session:
            return resolve_persons(session, ctx, batch, seen, write=False)
    as_read = [(list(row.warnings), row.refused) for row in batch]
    for attempt in itertools.count():
        try:
            with ctx.db.write() as session:
                return resolve_persons(session, ctx, batch, seen)
        except sa.exc.DBAPIError as exc:
            if attempt >= RETRIES or not lost_race(exc):
                raise
        for row, (warnings, refused) in zip(batch, as_read, strict=True):
            row.warnings, row.refused = list(warnings), refused  # validated again
    raise AssertionError("unreachable")


def lost_race(exc: sa.exc.DBAPIError) -> bool:
    if isinstance(exc, sa.exc.IntegrityError):
        return locking.violated(exc, locking.DOCUMENT_INDEX) or locking.violated(
            exc, locking.IMPORT_REF_KEY
        )
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001")  # deadlock detected, serialization failure


def _count(
    report: ImportReport, batch: list[RowResult], resolved: list[Resolution], sample: int
) -> None:
    for row, res in zip(batch, resolved, strict=True):
        report.rows += 1
        if row.names_guessed:
            report.names_guessed += 1
        if res.outcome == "refused":
            report.refused += 1
            issues = [res.issue] if res.issue else []
            report.problems.append(Problem(row.line, row.original, "refused", issues))
        elif res.outcome == "conflict":
            report.conflicts += 1
            issues = [res.issue] if res.issue else []
            report.problems.append(Problem(row.line, row.original, "conflict", issues))
        elif res.outcome == "created":
            report.created += 1
            if res.likely:
                report.likely_duplicates += 1
            if row.warnings:
                report.warned += 1
                report.problems.append(Problem(row.line, row.original, "warned", row.warnings))
            if len(report.sample) < sample and res.person is not None:
                shown = res.person.model_dump(mode="json", exclude_defaults=True)
                shown.pop("external_refs", None)
                report.sample.append(shown)
        else:
            if res.outcome == "already":
                report.already += 1
            elif res.outcome == "completed":
                report.completed += 1
            else:
                report.duplicates_in_file += 1
            if row.warnings:  # stored without those cells, now or by an earlier run
                report.warned += 1
                report.problems.append(Problem(row.line, row.original, "warned", row.warnings))


__all__ = [
    "BATCH",
    "FileState",
    "ImportFileError",
    "ImportReport",
    "Resolution",
    "batches",
    "import_persons",
    "preview",
    "resolve_persons",
]
