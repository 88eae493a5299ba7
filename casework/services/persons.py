"""Persons: intake, later contacts, status changes, notes, consent, search and the file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from casework.errors import Busy, Conflict, FieldError, InvalidInput
from casework.matching import MatchResult, PersonRecord
from casework.models import (
    Case,
    Consent,
    Contact,
    HouseholdMember,
    IdentityDocument,
    MatchPair,
    MigrationStatusRecord,
    Note,
    Person,
    PersonLanguage,
    Worker,
)
from casework.models.base import utcnow
from casework.models.enums import CaseStatus, ContactKind, DatePrecision
from casework.services import catalogue, gate, keys, likely, locking, search
from casework.services.context import (
    Context,
    audit,
    remember,
    replayed,
    validate,
)
from casework.services.edits import apply_changes, changes_of, lock
from casework.services.live_person import live_person
from casework.services.match_records import record_of
from casework.services.outbox import offline_command
from casework.services.schemas import (
    ConsentIn,
    ContactIn,
    DocumentIn,
    HouseholdMemberIn,
    IntakeIn,
    MigrationStatusIn,
    NoteIn,
    PersonEditIn,
    PersonIn,
    PersonSummary,
)
from casework.services.search import SearchResult


@dataclass(frozen=True)
class IntakeResult:
    person_id: uuid.UUID
    case_id: uuid.UUID
    contact_id: uuid.UUID


def open_case(session: Session, person: Person, worker: Worker) -> Case:
    """The worker's programme's open case for this person, opened now if there is none."""
    if worker.programme_id is None:
        raise Conflict("worker_without_programme")
    case = session.scalar(
        sa.select(Case)
        .where(
            Case.person_id == person.id,
            Case.programme_id == worker.programme_id,
            Case.status != CaseStatus.CLOSED.value,
        )
        .order_by(Case.opened_at.desc())
        .limit(1)
        # Waits for a desk closing this case; a case it closed meanwhile no longer matches.
        .with_for_update()
    )
    if case is None:
        case = Case(person_id=person.id, programme_id=worker.programme_id, worker_id=worker.id)
        session.add(case)
        session.flush()
    return case


def _documents_on_record(
    session: Session, docs: tuple[DocumentIn, ...], exclude: uuid.UUID | None = None
) -> None:
    for doc in docs:
        stmt = (
            sa.select(Person.id, Person.given_names, Person.first_surname)
            .join(IdentityDocument, IdentityDocument.person_id == Person.id)
            .where(
                IdentityDocument.number_norm == doc.normalised(),
                IdentityDocument.type_key == doc.type,
                Person.merged_into_id.is_(None),
            )
        )
        if exclude is not None:
            stmt = stmt.where(Person.id != exclude)
        row = session.execute(stmt.limit(1)).first()
        if row is not None:
            raise Conflict(
                "document_on_record",
                number=doc.number,
                person_id=str(row.id),
                name=f"{row.given_names} {row.first_surname}",
            )


@contextmanager
def documents_race(
    ctx: Context, docs: tuple[DocumentIn, ...], exclude: uuid.UUID | None = None
) -> Iterator[None]:
    """Around a write that claims ``docs``: when another desk claimed one of the numbers
    at the same moment (the unique index refused this insert), the same message the
    check gives, naming the person who holds it now."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        if not locking.violated(exc, locking.DOCUMENT_INDEX):
            raise
        with ctx.db.read() as session:
            try:
                _documents_on_record(session, docs, exclude)
            except Conflict as conflict:
                raise conflict from None
        raise Busy() from None  # the holder is gone again: trying again will save


def household_row(member: HouseholdMemberIn) -> HouseholdMember:
    """A household member as typed, as a row."""
    return HouseholdMember(
        relationship_key=member.relationship,
        name=member.name,
        related_person_id=member.related_person_id,
        birth_year=member.birth_year,
        sex=member.sex.value if member.sex else None,
        in_school=member.in_school,
        pregnant=member.pregnant,
        disability=member.disability,
        lives_abroad=member.lives_abroad,
    )


def _apply_person(
    session: Session, person: Person, data: PersonIn, *, claim: bool = True
) -> list[str]:
    """Copy validated fields onto a person; returns the names of the fields that changed.
    New documents claim their number (see ``IdentityDocument.live_key``) unless ``claim``
    is False: then the caller claims what is free with :func:`locking.claim_free`."""
    changed: list[str] = []
    simple = {
        "given_names": data.given_names,
        "first_surname": data.first_surname,
        "second_surname": data.second_surname,
        "social_name": data.social_name,
        "sex": data.sex.value if data.sex else None,
        "gender_identity": data.gender_identity,
        "birth_date": data.birth_date,
        "birth_date_precision": data.precision.value,
        "nationality": data.nationality,
        "birth_country": data.birth_country,
        "phone": data.phone,
        "phone2": data.phone2,
        "email": data.email,
        "address": data.address,
        "commune_code": data.commune,
        "civil_status": data.civil_status,
        "schooling": data.schooling,
        "interpreter_needed": data.interpreter_needed,
        "arrival_date": data.arrival_date,
        "stats_opt_out": data.stats_opt_out,
    }
    for name, value in simple.items():
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    person.sort_name = keys.sort_name(data.first_surname, data.second_surname, data.given_names)
    refs = sorted(set(person.external_refs or []) | set(data.external_refs))
    if refs != sorted(person.external_refs or []):
        person.external_refs = refs
        changed.append("external_refs")

    have_docs = {(d.type_key, d.number_norm) for d in person.documents}
    for doc in data.documents:
        if (doc.type, doc.normalised()) not in have_docs:
            have_docs.add((doc.type, doc.normalised()))  # the same one typed twice: once
            person.documents.append(
                IdentityDocument(
                    type_key=doc.type,
                    number=doc.number,
                    number_norm=doc.normalised(),
                    live_key=doc.normalised() if claim else None,
                    issuing_country=doc.issuing_country,
                )
            )
            changed.append("documents")
    have_langs = {lang.code for lang in person.languages}
    for i, code in enumerate(data.languages):
        if code not in have_langs:
            person.languages.append(PersonLanguage(code=code, is_primary=(i == 0)))
            changed.append("languages")
    for member in data.household:
        person.household.append(household_row(member))
        changed.append("household")
    return sorted(set(changed))


def _status_record(data: MigrationStatusIn, worker_id: uuid.UUID) -> MigrationStatusRecord:
    return MigrationStatusRecord(recorded_by=worker_id, **data.model_dump())


@offline_command("persons.register_intake")
def register_intake(
    ctx: Context,
    data: IntakeIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
    not_same_as: Collection[uuid.UUID] = (),
    allow_likely: bool = False,
) -> IntakeResult:
    """A new person and their first contact, in one transaction.

    The duplicate gate: while someone on record is likely the same person
    (:data:`likely.LIKELY`), nothing is written and :class:`likely.LikelyDuplicate` names
    them, unless ``not_same_as`` names every one of them (the worker declared them "not the
    same person": each pair is recorded ``not_same`` and audited, so the scan does not
    propose it again). ``allow_likely`` skips the gate for callers that queue duplicates for
    a supervisor instead (seeding, imports, tests that build a duplicate on purpose)."""
    intake = _validate_intake(data)
    declared = set(not_same_as)
    with documents_race(ctx, intake.person.documents), ctx.db.write() as session:
        done = replayed(session, request_id, "register_intake")
        if done is not None:
            contact = session.scalars(
                sa.select(Contact).where(Contact.person_id == done).order_by(Contact.occurred_at)
            ).first()
            assert contact is not None
            return IntakeResult(done, contact.case_id, contact.id)
        worker = ctx.actor(session)
        if not allow_likely:
            likely.intake_lock(session)  # before any check: a racing intake is seen whole
        check_consent_destinations(session, intake.consents)
        claim = not intake.allow_duplicate_document
        if claim:
            _documents_on_record(session, intake.person.documents)
        found: list[MatchResult] = []
        if not allow_likely:
            found = likely.likely_on_record(session, str(ctx.db.url), _probe(intake.person))
            if {uuid.UUID(r.b_id) for r in found} - declared:
                summaries = {
                    str(s.id): s for s in _summaries(session, [uuid.UUID(r.b_id) for r in found])
                }
                raise likely.LikelyDuplicate(
                    [
                        likely.Candidate(summaries[r.b_id], r.score, r.reasons)
                        for r in found
                        if r.b_id in summaries
                    ]
                )
        person = Person(created_by=worker.id, given_names="", first_surname="", sort_name="")
        session.add(person)
        _apply_person(session, person, intake.person, claim=claim)
        if intake.status is not None:
            person.statuses.append(_status_record(intake.status, worker.id))
            person.current_status = intake.status.status
        for consent in intake.consents:
            person.consents.append(_consent_row(consent, worker.id))
        session.flush()
        if not claim:
            locking.claim_free(session, person.id)
        keys.refresh(session, person)
        case = open_case(session, person, worker)
        contact = _contact_row(person, case, worker, intake.contact, ContactKind.INTAKE)
        session.add(contact)
        session.flush()
        remember(session, request_id, "register_intake", person.id)
        audit(session, ctx, "create", "person", person.id, person_id=person.id)
        audit(session, ctx, "create", "contact", contact.id, person_id=person.id)
        _declare_not_same(session, ctx, person, declared, found, worker)
        return IntakeResult(person.id, case.id, contact.id)


def _validate_intake(data: IntakeIn | Mapping[str, Any]) -> IntakeIn:
    """:class:`IntakeIn`, each error placed on the field the form shows it beside."""
    try:
        return validate(IntakeIn, data)
    except InvalidInput as exc:
        exc.errors[:] = [_intake_field(e) for e in exc.errors]
        if _arrival_before_birth(data, exc.errors):
            # The model's date check runs only once every field is valid: say it now, with
            # the rest, rather than on a later save.
            exc.errors.append(FieldError("person.arrival_date", "arrival_before_birth"))
        raise


_A_DATE: TypeAdapter[dt.date] = TypeAdapter(dt.date)


def _arrival_before_birth(data: IntakeIn | Mapping[str, Any], errors: list[FieldError]) -> bool:
    """Whether the form's arrival date, as typed, is before its birth date, when neither
    already has an error of its own."""
    if isinstance(data, IntakeIn) or not isinstance(data.get("person"), Mapping):
        return False
    if any(e.field in ("person.arrival_date", "person.birth_date") for e in errors):
        return False
    person = data["person"]
    try:
        birth = _A_DATE.validate_python(person.get("birth_date"))
        arrival = _A_DATE.validate_python(person.get("arrival_date"))
    except ValidationError:
        return False
    return arrival < birth


def _intake_field(error: FieldError) -> FieldError:
    """Where the intake form shows an error: "arrival before birth" on the arrival date
    (the model's check names the whole person), a household line's on the household."""
    if error.code == "arrival_before_birth":
        return FieldError("person.arrival_date", error.code, error.params)
    if error.field.startswith("person.household."):
        return FieldError("person.household", error.code, error.params)
    return error


def _probe(person: PersonIn) -> PersonRecord:
    return record_of(
        "intake",
        person.given_names,
        person.first_surname,
        person.second_surname,
        person.birth_date,
        person.sex,
        person.nationality,
        [(d.type, d.number) for d in person.documents],
        (person.phone, person.phone2),
    )


def _declare_not_same(
    session: Session,
    ctx: Context,
    person: Person,
    declared: set[uuid.UUID],
    found: list[MatchResult],
    worker: Worker,
) -> None:
    """The worker declared the new person "not the same" as ``declared``: each pair is
    recorded decided (ordered a < b), audited. The new person is not visible to any other
    transaction yet, so no scan can have queued the pair: an insert cannot collide on
    uq_match_pair_persons."""
    if not declared:
        return
    live = set(
        session.scalars(
            sa.select(Person.id).where(Person.id.in_(declared), Person.merged_into_id.is_(None))
        )
    )
    scored = {uuid.UUID(r.b_id): r for r in found}
    now = utcnow()
    for other in sorted(live):
        a, b = sorted((person.id, other))
        result = scored.get(other)
        pair = MatchPair(
            person_a=a,
            person_b=b,
            score=round(result.score, 4) if result else 0.0,
            reasons=[{"code": r.code, "params": dict(r.params)} for r in result.reasons]
            if result
            else [],
            status="not_same",
            decided_by=worker.id,
            decided_at=now,
        )
        session.add(pair)
        session.flush()
        audit(session, ctx, "not_same", "match_pair", pair.id, person_id=person.id, at="intake")


def _contact_row(
    person: Person, case: Case, worker: Worker, data: ContactIn, kind: ContactKind
) -> Contact:
    at = data.occurred_at or utcnow()
    case.last_activity_at = max(case.last_activity_at or at, at)
    return Contact(
        person_id=person.id,
        case_id=case.id,
        worker_id=worker.id,
        programme_id=case.programme_id,
        kind=kind.value,
        channel=data.channel,
        occurred_at=at,
        reasons=list(data.reasons),
        note=data.note,
        interpreter_language=data.interpreter_language,
    )


@offline_command("persons.record_contact")
def record_contact(
    ctx: Context,
    person_id: uuid.UUID,
    data: ContactIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> uuid.UUID:
    """Record a contact with the person (in the worker's programme's open case, opened now
    if there is none). A contact makes the person the worker's own, and their programme's:
    so on a file outside the worker's caseload and programme it needs the reason the file
    was opened with (services/gate.py ``ACCESS_REASONS``), recorded with it; without one it
    is refused (``reason_required``) and nothing is written. Recording a contact is never
    a way around the reason."""
    contact_in = validate(ContactIn, data)
    with ctx.db.write() as session:
        done = replayed(session, request_id, "record_contact")
        if done is not None:
            return done
        worker = ctx.actor(session)
        person = live_person(session, person_id)
        details = gate.write_person(session, worker, person.id, reason)
        case = open_case(session, person, worker)
        contact = _contact_row(person, case, worker, contact_in, ContactKind.FOLLOW_UP)
        session.add(contact)
        session.flush()
        remember(session, request_id, "record_contact", contact.id)
        audit(session, ctx, "create", "contact", contact.id, person_id=person.id, **details)
        return contact.id


def settle_edited(person: Person) -> None:
    """What follows from a person's edited fields: the birth date's precision, its sort
    name; an arrival before birth is refused (InvalidInput on ``arrival_date``)."""
    if person.birth_date is None:
        person.birth_date_precision = DatePrecision.UNKNOWN.value
    elif person.birth_date_precision == DatePrecision.UNKNOWN.value:
        person.birth_date_precision = DatePrecision.EXACT.value
    if (
        person.arrival_date is not None
        and person.birth_date is not None
        and person.arrival_date < person.birth_date
    ):
        raise InvalidInput([FieldError("arrival_date", "arrival_before_birth")])
    person.sort_name = keys.sort_name(
        person.first_surname, person.second_surname, person.given_names
    )


@offline_command("persons.update_person")
def update_person(
    ctx: Context,
    person_id: uuid.UUID,
    data: PersonEditIn | Mapping[str, Any],
    *,
    reason: str | None = None,
) -> list[str]:
    """Correct or complete a person's data: only the fields changed, each with the value the
    form started from (``{"phone": {"base": "+56911111111", "new": "922222222"}}``). Returns
    the names of the fields written. A field another desk changed meanwhile raises one
    EditConflict naming each such field, and nothing is written; changes to different
    fields both stand. Outside the worker's caseload it needs the file's reason
    (services/gate.py ``write_person``), as every write to a person's file."""
    try:
        edit = validate(PersonEditIn, data)
    except InvalidInput as exc:
        raise InvalidInput(
            [dataclasses.replace(e, field=e.field.removesuffix(".new")) for e in exc.errors]
        ) from None
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        person = live_person(session, person_id, locked=True)
        details = gate.write_person(session, worker, person_id, reason)
        changed = apply_changes(person, changes_of(edit), labels=_PERSON_LABELS)
        if not changed:
            return []
        settle_edited(person)
        keys.refresh(session, person)
        audit(
            session,
            ctx,
            "update",
            "person",
            person.id,
            person_id=person.id,
            fields=changed,
            **details,
        )
        return changed


_PERSON_LABELS = {"sex": "sex", "civil_status": "codes:civil_statuses"}
"""Where the display names of a person's coded values are, for a conflict message."""


@offline_command("persons.add_document")
def add_document(
    ctx: Context,
    person_id: uuid.UUID,
    data: DocumentIn | Mapping[str, Any],
    *,
    reason: str | None = None,
) -> None:
    """Add an identity document. Outside the worker's caseload it needs the file's reason
    (services/gate.py ``write_person``)."""
    doc = validate(DocumentIn, data)
    with documents_race(ctx, (doc,), person_id), ctx.db.write() as session:
        worker = ctx.actor(session)
        person = live_person(session, person_id)
        details = gate.write_person(session, worker, person.id, reason)
        _documents_on_record(session, (doc,), exclude=person.id)
        if any(
            d.type_key == doc.type and d.number_norm == doc.normalised() for d in person.documents
        ):
            return
        row = IdentityDocument(
            type_key=doc.type,
            number=doc.number,
            number_norm=doc.normalised(),
            live_key=doc.normalised(),
            issuing_country=doc.issuing_country,
        )
        person.documents.append(row)
        session.flush()
        keys.refresh(session, person)
        audit(session, ctx, "create", "identity_document", row.id, person_id=person.id, **details)


@offline_command("persons.change_status")
def change_status(
    ctx: Context,
    person_id: uuid.UUID,
    data: MigrationStatusIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> uuid.UUID:
    """Record the person's migration status. Outside the worker's caseload it needs the
    file's reason (services/gate.py ``write_person``)."""
    status_in = validate(MigrationStatusIn, data)
    with ctx.db.write() as session:
        done = replayed(session, request_id, "change_status")
        if done is not None:
            return done
        worker = ctx.actor(session)
        person = live_person(session, person_id)
        details = gate.write_person(session, worker, person.id, reason)
        record = _status_record(status_in, worker.id)
        person.statuses.append(record)
        person.current_status = status_in.status
        session.flush()
        remember(session, request_id, "change_status", record.id)
        audit(session, ctx, "create", "migration_status", record.id, person_id=person.id, **details)
        return record.id


@offline_command("persons.add_note")
def add_note(
    ctx: Context,
    person_id: uuid.UUID,
    data: NoteIn | Mapping[str, Any],
    *,
    request_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> uuid.UUID:
    """A note on the person's file. Outside the worker's caseload it needs the file's reason
    (services/gate.py ``write_person``): refused without one, nothing written."""
    note_in = validate(NoteIn, data)
    with ctx.db.write() as session:
        done = replayed(session, request_id, "add_note")
        if done is not None:
            return done
        worker = ctx.actor(session)
        person = live_person(session, person_id)
        details = gate.write_person(session, worker, person.id, reason)
        note = Note(
            person_id=person.id, case_id=note_in.case_id, worker_id=worker.id, text=note_in.text
        )
        session.add(note)
        session.flush()
        remember(session, request_id, "add_note", note.id)
        audit(session, ctx, "create", "note", note.id, person_id=person.id, **details)
        return note.id


def check_consent_destinations(session: Session, consents: Iterable[ConsentIn]) -> None:
    """Consent to share names a destination of the catalogue: shipped or the office's own."""
    for consent in consents:
        key = consent.destination_key
        if key is not None and catalogue.lookup(session, key) is None:
            raise InvalidInput([FieldError("destination", "unknown_destination", {"value": key})])


def _consent_row(data: ConsentIn, worker_id: uuid.UUID) -> Consent:
    return Consent(
        purpose=data.purpose.value,
        destination_key=data.destination_key,
        granted=data.granted,
        given_by=data.given_by.value,
        representative_name=data.representative_name,
        language=data.language,
        notice_version=data.notice_version,
        recorded_by=worker_id,
    )


@offline_command("persons.record_consent")
def record_consent(
    ctx: Context,
    person_id: uuid.UUID,
    data: ConsentIn | Mapping[str, Any],
    *,
    reason: str | None = None,
) -> uuid.UUID:
    """Record a consent the person gave (or refused). Outside the worker's caseload it needs
    the file's reason (services/gate.py ``write_person``)."""
    consent_in = validate(ConsentIn, data)
    with ctx.db.write() as session:
        check_consent_destinations(session, [consent_in])
        worker = ctx.actor(session)
        person = live_person(session, person_id)
        details = gate.write_person(session, worker, person.id, reason)
        row = _consent_row(consent_in, worker.id)
        person.consents.append(row)
        session.flush()
        audit(
            session,
            ctx,
            "create",
            "consent",
            row.id,
            person_id=person.id,
            purpose=row.purpose,
            **details,
        )
        return row.id


@offline_command("persons.revoke_consent")
def revoke_consent(ctx: Context, consent_id: uuid.UUID, *, reason: str | None = None) -> None:
    """Revocation counts from now on; what was shared before stays lawful. A consent another
    desk revoked meanwhile stays revoked as it was (its time and audit row are not doubled).
    Outside the worker's caseload it needs the file's reason (services/gate.py
    ``write_person``)."""
    with ctx.db.write() as session:
        worker = ctx.actor(session)
        row = lock(session, Consent, consent_id, "consent")
        details = gate.write_person(session, worker, row.person_id, reason)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit(session, ctx, "revoke", "consent", row.id, person_id=row.person_id, **details)


def has_consent(session: Session, person_id: uuid.UUID, destination_key: str) -> bool:
    """Whether the person has a live consent to share data with this destination."""
    rows = session.scalars(
        sa.select(Consent)
        .where(
            Consent.person_id == person_id,
            Consent.purpose == "share_with_destination",
            Consent.destination_key == destination_key,
        )
        .order_by(Consent.recorded_at.desc())
    ).all()
    for row in rows:
        if row.revoked_at is None:
            return row.granted
    return False


# Reading ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _summary_select() -> sa.Select[Any]:
    """One statement for a page of persons (built once; the ids are bound at each call):
    their columns, the first document and the last contact by correlated subqueries, each
    an index seek per person."""
    first_doc = (
        sa.select(IdentityDocument.type_key + ":" + IdentityDocument.number_norm)
        .where(IdentityDocument.person_id == Person.id)
        .order_by(IdentityDocument.created_at, IdentityDocument.id)
        .limit(1)
        .scalar_subquery()
    )
    last_contact = (
        sa.select(sa.func.max(Contact.occurred_at))
        .where(Contact.person_id == Person.id)
        .scalar_subquery()
    )
    return sa.select(
        Person.id,
        Person.given_names,
        Person.first_surname,
        Person.second_surname,
        Person.birth_date,
        Person.birth_date_precision,
        Person.nationality,
        Person.sex,
        first_doc,
        last_contact,
    ).where(Person.id.in_(sa.bindparam("ids", expanding=True)))


_SUMMARY_FIELDS = tuple(PersonSummary.model_fields)
"""In the order of :func:`_summary_select`'s columns."""


def _summary_fields(session: Session, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The fields of :class:`PersonSummary` of each person of ``ids``, in that order."""
    if not ids:
        return []
    conn = session.connection()  # Core: plain rows, no ORM objects
    rows = {r[0]: r for r in conn.execute(_summary_select(), {"ids": ids}).all()}
    return [dict(zip(_SUMMARY_FIELDS, rows[pid], strict=True)) for pid in ids]


def _summaries(session: Session, ids: list[uuid.UUID]) -> list[PersonSummary]:
    """What a list shows of each person: plain columns, the first document, last contact.
    Read from the database's own columns: built without validating again."""
    return [PersonSummary.model_construct(**f) for f in _summary_fields(session, ids)]


def search_persons(
    ctx: Context, text: str, limit: int = 30, *, typos: bool = True
) -> list[SearchResult]:
    """Search-as-you-type by names, document, phone or birth date (a signed-in worker),
    best first, each saying what matched (services/search.py); ``typos=False`` leaves out
    names one letter away."""
    with ctx.db.read() as session:
        ctx.actor(session)
        hits = search.find(session, text, limit, typos=typos)
        found = _summary_fields(session, [h.person_id for h in hits])
        return [
            SearchResult.model_construct(**p, matched=[str(m) for m in h.matched])
            for p, h in zip(found, hits, strict=True)
        ]


@lru_cache(maxsize=1)
def _contacts_newest_first() -> sa.Select[uuid.UUID]:
    return (
        sa.select(Contact.person_id)
        .join(Person, Person.id == Contact.person_id)
        .where(Contact.worker_id == sa.bindparam("worker"), Person.merged_into_id.is_(None))
        .order_by(Contact.occurred_at.desc())
        .limit(sa.bindparam("batch", type_=sa.Integer))
        .offset(sa.bindparam("skip", type_=sa.Integer))
    )


def recent_persons(ctx: Context, limit: int = 10) -> list[PersonSummary]:
    """Persons the acting worker saw most recently: their contacts read newest first
    (ix_contact_worker_time, no sort) until ``limit`` persons, not grouped over all of them
    (a worker of a large office has tens of thousands)."""
    batch = max(4 * limit, 50)
    with ctx.db.read() as session:
        worker = ctx.actor(session)
        conn = session.connection()
        seen: dict[uuid.UUID, None] = {}
        skip = 0
        while len(seen) < limit:
            params = {"worker": worker.id, "batch": batch, "skip": skip}
            ids = conn.execute(_contacts_newest_first(), params).scalars().all()
            seen |= dict.fromkeys(ids)
            if len(ids) < batch:
                break
            skip += batch
        return _summaries(session, list(seen)[:limit])


def record_consent_row(
    session: Session, ctx: Context, person: Person, worker: Worker, destination_key: str
) -> Consent:
    """Consent to share with one destination, given while the referral is being made."""
    row = Consent(
        purpose="share_with_destination",
        destination_key=destination_key,
        granted=True,
        recorded_by=worker.id,
    )
    person.consents.append(row)
    session.flush()
    audit(session, ctx, "create", "consent", row.id, person_id=person.id, purpose=row.purpose)
    return row


def names(ctx: Context, person_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Full names for a few ids (lists that show who a referral or follow-up is for)."""
    with ctx.db.read() as session:
        ctx.actor(session)
        if not person_ids:
            return {}
        rows = session.execute(
            sa.select(
                Person.id, Person.given_names, Person.first_surname, Person.second_surname
            ).where(Person.id.in_(person_ids))
        ).all()
        return {r[0]: " ".join(p for p in r[1:] if p) for r in rows}
