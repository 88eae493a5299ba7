"""Correcting and completing a person at any later visit: the edit form's read model and
its one save.

:func:`form` gives the form everything it starts from (the person's values, documents,
languages, household and consents, each as the base of an edit). :func:`save` applies every
change of the form in ONE write transaction: person fields, documents added, corrected or
marked expired, languages, household rows (linked to a person on record or not), consents
granted or revoked. Each change is checked against its base (services/edits.py): another
desk's change of a different field stands beside this one; a change of the same field
raises one EditConflict naming each such field, and nothing is written.

Identity corrections (:data:`IDENTITY_FIELDS`) need a reason. What each change held before
and after is kept in ``person_correction`` with the person (the audit trail holds ids and
field names only, see models/audit.py); the audit row names the correction's id, and the
person file's timeline shows it. A rectification request (Ley 21.719) is carried out
through the same save: ``rights_request_id`` lets it pass a block and marks the request
answered with the fields changed, in the same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError, to_jsonable_python
from sqlalchemy.orm import Session

from casework import clock, refdata
from casework.errors import Conflict, EditConflict, FieldConflict, FieldError, InvalidInput
from casework.models import (
    Consent,
    HouseholdMember,
    IdentityDocument,
    Person,
    PersonCorrection,
    PersonLanguage,
)
from casework.models.base import utcnow
from casework.services import gate, keys, persons, rights
from casework.services.context import Context, audit, remember, replayed, validate
from casework.services.edits import FieldChange, changes_of, check_changes, same, stored_form
from casework.services.gate import AccessReason, Read, person_read
from casework.services.live_person import live_person
from casework.services.outbox import offline_command
from casework.services.schemas import (
    ConsentIn,
    Country,
    DocumentIn,
    HouseholdMemberIn,
    Input,
    LanguageCode,
    OptText,
    Output,
    PersonEditIn,
    Text,
)

__all__ = [
    "IDENTITY_FIELDS",
    "EditForm",
    "EditResult",
    "PersonEditSave",
    "form",
    "save",
]

IDENTITY_FIELDS: frozenset[str] = frozenset(
    {
        "given_names",
        "first_surname",
        "second_surname",
        "sex",
        "birth_date",
        "birth_date_precision",
        "nationality",
        "birth_country",
        "documents",
    }
)
"""What identifies the person on documents and to other offices: a correction of any of
these needs a reason (kept with the correction). A social name, contact details, address,
languages, household and consent are completed or updated without one."""

_ACTION = "edit_person"
"""The request log's action of a save (a second Ctrl+S returns the first result)."""


# Inputs ------------------------------------------------------------------------------------


class DocumentState(Input):
    """A document as the form shows it: type, number, issuing country, expiry."""

    type: str
    number: Text = Field(max_length=40)
    issuing_country: Country = None
    expires_on: dt.date | None = None

    @model_validator(mode="after")
    def _check(self) -> DocumentState:
        self.as_document()  # the type and the number (a RUN's check digit) as at intake
        return self

    def as_document(self) -> DocumentIn:
        return DocumentIn(type=self.type, number=self.number, issuing_country=self.issuing_country)


class DocumentEditIn(Input):
    """A document added (``id`` None) or corrected (its ``base``: the state the form showed)."""

    id: uuid.UUID | None = None
    base: dict[str, Any] | None = None
    new: DocumentState


class HouseholdEditIn(Input):
    """A household row added (``id`` None), changed, or removed (``new`` None)."""

    id: uuid.UUID | None = None
    base: dict[str, Any] | None = None
    new: HouseholdMemberIn | None = None

    @model_validator(mode="after")
    def _something(self) -> HouseholdEditIn:
        if self.id is None and self.new is None:
            raise PydanticCustomError("required", "nothing to add")
        return self


class PersonEditSave(Input):
    """Everything one save of the edit form changes."""

    person: PersonEditIn = PersonEditIn()
    languages: FieldChange[tuple[LanguageCode, ...]] | None = None
    documents: tuple[DocumentEditIn, ...] = ()
    household: tuple[HouseholdEditIn, ...] = ()
    grant_consents: tuple[ConsentIn, ...] = ()
    revoke_consents: tuple[uuid.UUID, ...] = ()
    correction_reason: OptText = Field(default=None, max_length=500)


# Outputs -----------------------------------------------------------------------------------


class DocumentRow(Output):
    id: uuid.UUID
    type_key: str
    number: str
    issuing_country: str | None
    expires_on: dt.date | None
    expired: bool
    base: dict[str, Any]
    """What a correction of this document starts from (send it back as ``base``)."""


class HouseholdRow(Output):
    id: uuid.UUID
    relationship_key: str
    name: str | None
    related_person_id: uuid.UUID | None
    related_name: str | None
    birth_year: int | None
    sex: str | None
    lives_abroad: bool
    base: dict[str, Any]


class ConsentRow(Output):
    id: uuid.UUID
    purpose: str
    destination_key: str | None
    granted: bool
    recorded_at: dt.datetime
    live: bool
    """Not revoked: it can be revoked from the form."""


class EditForm(Output):
    """What the edit form starts from, read through the gate in one call."""

    person_id: uuid.UUID
    full_name: str
    social_name: str | None
    values: dict[str, Any]
    """Each person field (the column's name) as stored: the ``base`` of its change."""
    languages: list[str]
    """Language codes, the primary one first: the ``base`` of a change of languages."""
    documents: list[DocumentRow]
    household: list[HouseholdRow]
    consents: list[ConsentRow]
    identity_fields: list[str]
    """The fields whose correction needs a reason (:data:`IDENTITY_FIELDS`)."""
    rights_request_id: uuid.UUID | None = None


@dataclasses.dataclass(frozen=True)
class EditResult:
    fields: list[str]
    """What the save changed (person columns, "languages", "documents", "household",
    "consents"); empty when nothing differed from the record."""
    correction_id: uuid.UUID | None


# Reading -----------------------------------------------------------------------------------

_PERSON_FIELDS = tuple(PersonEditIn.model_fields)


def _doc_state(doc: IdentityDocument) -> dict[str, Any]:
    return {
        "type": doc.type_key,
        "number": doc.number,
        "issuing_country": doc.issuing_country,
        "expires_on": doc.expires_on.isoformat() if doc.expires_on else None,
    }


def _household_state(row: HouseholdMember) -> dict[str, Any]:
    return {
        "relationship": row.relationship_key,
        "name": row.name,
        "related_person_id": str(row.related_person_id) if row.related_person_id else None,
        "birth_year": row.birth_year,
        "sex": row.sex,
        "in_school": row.in_school,
        "pregnant": row.pregnant,
        "disability": row.disability,
        "lives_abroad": row.lives_abroad,
    }


def _languages(person: Person) -> list[str]:
    return [lang.code for lang in sorted(person.languages, key=lambda x: not x.is_primary)]


def _full_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Person.id, Person.given_names, Person.first_surname, Person.second_surname).where(
            Person.id.in_(ids)
        )
    ).all()
    return {
        r.id: " ".join(p for p in (r.given_names, r.first_surname, r.second_surname) if p)
        for r in rows
    }


@person_read
def form(
    ctx: Context,
    person_id: uuid.UUID,
    *,
    reason: AccessReason | str | None = None,
    rights_request_id: uuid.UUID | None = None,
) -> EditForm:
    """The edit form's read model (a read of the person's details through the gate)."""
    with ctx.db.write() as session:
        person = gate.read_person(session, ctx, person_id, Read.DETAIL, reason).person
        today = clock.today()
        related = _full_names(
            session, {h.related_person_id for h in person.household if h.related_person_id}
        )
        values = {name: to_jsonable_python(getattr(person, name)) for name in _PERSON_FIELDS}
        return EditForm(
            person_id=person.id,
            full_name=" ".join(
                p for p in (person.given_names, person.first_surname, person.second_surname) if p
            ),
            social_name=person.social_name,
            values=values,
            languages=_languages(person),
            documents=[
                DocumentRow(
                    id=d.id,
                    type_key=d.type_key,
                    number=d.number,
                    issuing_country=d.issuing_country,
                    expires_on=d.expires_on,
                    expired=d.expires_on is not None and d.expires_on < today,
                    base=_doc_state(d),
                )
                for d in person.documents
            ],
            household=[
                HouseholdRow(
                    id=h.id,
                    relationship_key=h.relationship_key,
                    name=h.name,
                    related_person_id=h.related_person_id,
                    related_name=related.get(h.related_person_id) if h.related_person_id else None,
                    birth_year=h.birth_year,
                    sex=h.sex,
                    lives_abroad=h.lives_abroad,
                    base=_household_state(h),
                )
                for h in sorted(person.household, key=lambda h: h.created_at)
            ],
            consents=[
                ConsentRow(
                    id=c.id,
                    purpose=c.purpose,
                    destination_key=c.destination_key,
                    granted=c.granted,
                    recorded_at=c.recorded_at,
                    live=c.revoked_at is None,
                )
                for c in person.consents
            ],
            identity_fields=sorted(IDENTITY_FIELDS),
            rights_request_id=rights_request_id,
        )


# Saving ------------------------------------------------------------------------------------


def _flat_field(loc: str) -> str:
    """A validation error's place as the form names it: ``phone``, ``doc_0``, ``household_1``,
    ``languages``, ``consents``, ``correction_reason``."""
    parts = loc.split(".")
    head = parts[0]
    if head == "person" and len(parts) > 1:
        return parts[1]
    if head == "documents" and len(parts) > 1 and parts[1].isdigit():
        return f"doc_{parts[1]}"
    if head == "household" and len(parts) > 1 and parts[1].isdigit():
        return f"household_{parts[1]}"
    if head in ("grant_consents", "revoke_consents"):
        return "consents"
    return head


def _validated(data: PersonEditSave | Mapping[str, Any]) -> PersonEditSave:
    try:
        return validate(PersonEditSave, data)
    except InvalidInput as exc:
        raise InvalidInput(
            [dataclasses.replace(e, field=_flat_field(e.field)) for e in exc.errors]
        ) from None


def _identity_changed(edit: PersonEditSave) -> list[str]:
    """The identity fields the save would change (compared with the form's bases)."""
    out = [
        name
        for name, change in changes_of(edit.person).items()
        if name in IDENTITY_FIELDS and not same(change.base, change.new)
    ]
    for doc in edit.documents:
        new = doc.new.model_dump(mode="json")
        if doc.base is None or not same(_doc_core(doc.base), _doc_core(new)):
            out.append("documents")
            break
    return out


def _doc_core(state: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies a document: a change of its expiry alone is not an identity
    correction (marking a document expired needs no reason)."""
    return {k: state.get(k) for k in ("type", "number", "issuing_country")}


def _claims(edit: PersonEditSave) -> tuple[DocumentIn, ...]:
    """The document numbers the save claims (added, or corrected to another number)."""
    out = []
    for doc in edit.documents:
        new = doc.new.as_document()
        base = doc.base or {}
        if doc.id is None or (base.get("type"), base.get("number")) != (new.type, new.number):
            out.append(new)
    return tuple(out)


class _Changes:
    """What a save changed, for the correction row, and the conflicts it met."""

    def __init__(self) -> None:
        self.fields: set[str] = set()
        self.rows: list[dict[str, Any]] = []
        self.conflicts: list[FieldConflict] = []

    def add(self, field: str, before: Any, after: Any, ref: uuid.UUID | None = None) -> None:
        self.fields.add(field)
        row = {
            "field": field,
            "before": to_jsonable_python(stored_form(before)),
            "after": to_jsonable_python(stored_form(after)),
        }
        if ref is not None:
            row["ref"] = str(ref)
        self.rows.append(row)


def _doc_text(state: Mapping[str, Any] | None) -> str:
    if not state:
        return "—"
    found = refdata.document_type(str(state.get("type") or ""))
    name = found.name_es if found is not None else str(state.get("type") or "")
    expires = state.get("expires_on")
    return f"{name} {state.get('number') or ''}" + (f" ({expires})" if expires else "")


def _household_text(state: Mapping[str, Any] | None) -> str:
    if not state:
        return "—"
    return f"{state.get('name') or '—'} ({state.get('relationship') or ''})"


def _apply_person(person: Person, edit: PersonEditSave, changes: _Changes) -> None:
    try:
        to_write = check_changes(person, changes_of(edit.person), labels=persons._PERSON_LABELS)
    except EditConflict as exc:
        changes.conflicts.extend(exc.conflicts)
        return
    for name, value in to_write.items():
        changes.add(name, getattr(person, name), value)
        setattr(person, name, value)


def _apply_languages(person: Person, edit: PersonEditSave, changes: _Changes) -> None:
    change = edit.languages
    if change is None:
        return
    current = _languages(person)
    new = list(dict.fromkeys(change.new))
    if same(current, new):
        return
    if not same(current, change.base):
        changes.conflicts.append(
            FieldConflict(field="languages", base=change.base, current=current, typed=new)
        )
        return
    for lang in list(person.languages):
        if lang.code not in new:
            person.languages.remove(lang)
    have = {lang.code: lang for lang in person.languages}
    for i, code in enumerate(new):
        if code in have:
            have[code].is_primary = i == 0
        else:
            person.languages.append(PersonLanguage(code=code, is_primary=i == 0))
    changes.add("languages", current, new)


def _apply_documents(
    session: Session, person: Person, edit: PersonEditSave, changes: _Changes
) -> list[tuple[str, uuid.UUID]]:
    """Documents added or corrected; returns the audit rows to add (action, document id)."""
    acts: list[tuple[str, uuid.UUID]] = []
    mine = {d.id: d for d in person.documents}
    for i, doc in enumerate(edit.documents):
        state = doc.new.model_dump(mode="json")
        new_doc = doc.new.as_document()
        if doc.id is not None:
            row = mine.get(doc.id)
            if row is None:
                raise InvalidInput([FieldError(f"doc_{i}", "edit_document_gone")])
            current = _doc_state(row)
            if same(current, state):
                continue
            if not same(current, doc.base):
                changes.conflicts.append(
                    FieldConflict(
                        f"doc_{i}", _doc_text(doc.base), _doc_text(current), _doc_text(state)
                    )
                )
                continue
        else:
            row = None
            current = None
            if any(
                d.type_key == new_doc.type and d.number_norm == new_doc.normalised()
                for d in person.documents
            ):
                continue  # already on this file (another desk added it): nothing to do
        renumbered = row is None or (row.type_key, row.number_norm) != (
            new_doc.type,
            new_doc.normalised(),
        )
        if renumbered:
            try:
                persons._documents_on_record(session, (new_doc,), exclude=person.id)
            except Conflict as exc:
                raise InvalidInput(
                    [FieldError(f"doc_{i}", "edit_document_held", dict(exc.params))]
                ) from None
        if row is None:
            row = IdentityDocument(
                type_key=new_doc.type,
                number=new_doc.number,
                number_norm=new_doc.normalised(),
                live_key=new_doc.normalised(),
                issuing_country=new_doc.issuing_country,
                expires_on=doc.new.expires_on,
            )
            person.documents.append(row)
            session.flush()
            acts.append(("create", row.id))
        else:
            row.type_key = new_doc.type
            row.number = new_doc.number
            if renumbered:
                row.number_norm = new_doc.normalised()
                if row.live_key is not None:
                    row.live_key = new_doc.normalised()
            row.issuing_country = new_doc.issuing_country
            row.expires_on = doc.new.expires_on
            acts.append(("update", row.id))
        changes.add("documents", current, state, row.id)
    return acts


def _apply_household(
    session: Session, person: Person, edit: PersonEditSave, changes: _Changes
) -> list[tuple[str, uuid.UUID, uuid.UUID | None]]:
    """Household rows added, changed or removed; returns the audit rows to add (action,
    row id, the person on record it links or unlinks)."""
    acts: list[tuple[str, uuid.UUID, uuid.UUID | None]] = []
    mine = {h.id: h for h in person.household}
    for i, item in enumerate(edit.household):
        new = item.new
        state = _member_state(new) if new is not None else None
        if new is not None and new.related_person_id is not None:
            if new.related_person_id == person.id:
                raise InvalidInput([FieldError(f"household_{i}", "edit_household_self")])
            live_person(session, new.related_person_id)
        if item.id is None:
            assert new is not None
            member = persons.household_row(new)
            person.household.append(member)
            session.flush()
            changes.add("household", None, state, member.id)
            acts.append(("create", member.id, None))
            if new.related_person_id is not None:
                acts.append(("link", member.id, new.related_person_id))
            continue
        row = mine.get(item.id)
        if row is None:
            if new is None:
                continue  # another desk removed it already
            raise InvalidInput([FieldError(f"household_{i}", "edit_household_gone")])
        current = _household_state(row)
        if state is not None and same(current, state):
            continue
        if not same(current, item.base):
            changes.conflicts.append(
                FieldConflict(
                    f"household_{i}",
                    _household_text(item.base),
                    _household_text(current),
                    _household_text(state),
                )
            )
            continue
        before_link = row.related_person_id
        if new is None:
            person.household.remove(row)
            changes.add("household", current, None, row.id)
            acts.append(("delete", row.id, None))
            if before_link is not None:
                acts.append(("unlink", row.id, before_link))
            continue
        row.relationship_key = new.relationship
        row.name = new.name
        row.related_person_id = new.related_person_id
        row.birth_year = new.birth_year
        row.sex = new.sex.value if new.sex else None
        row.in_school = new.in_school
        row.pregnant = new.pregnant
        row.disability = new.disability
        row.lives_abroad = new.lives_abroad
        changes.add("household", current, state, row.id)
        acts.append(("update", row.id, None))
        if before_link != new.related_person_id:
            if before_link is not None:
                acts.append(("unlink", row.id, before_link))
            if new.related_person_id is not None:
                acts.append(("link", row.id, new.related_person_id))
    return acts


def _member_state(new: HouseholdMemberIn) -> dict[str, Any]:
    return {
        "relationship": new.relationship,
        "name": new.name,
        "related_person_id": str(new.related_person_id) if new.related_person_id else None,
        "birth_year": new.birth_year,
        "sex": new.sex.value if new.sex else None,
        "in_school": new.in_school,
        "pregnant": new.pregnant,
        "disability": new.disability,
        "lives_abroad": new.lives_abroad,
    }


def _apply_consents(
    session: Session, person: Person, edit: PersonEditSave, worker_id: uuid.UUID, changes: _Changes
) -> list[tuple[str, uuid.UUID]]:
    acts: list[tuple[str, uuid.UUID]] = []
    if edit.grant_consents:
        persons.check_consent_destinations(session, edit.grant_consents)
    for given in edit.grant_consents:
        granted = persons._consent_row(given, worker_id)
        person.consents.append(granted)
        session.flush()
        changes.add(
            "consents", None, {"purpose": granted.purpose, "granted": granted.granted}, granted.id
        )
        acts.append(("create", granted.id))
    for consent_id in edit.revoke_consents:
        row = session.get(Consent, consent_id, with_for_update=True, populate_existing=True)
        if row is None or row.person_id != person.id:
            raise InvalidInput([FieldError("consents", "edit_consent_gone")])
        if row.revoked_at is not None:
            continue  # another desk revoked it meanwhile: it stays revoked as it was
        row.revoked_at = utcnow()
        changes.add("consents", {"purpose": row.purpose, "live": True}, {"live": False}, row.id)
        acts.append(("revoke", row.id))
    return acts


@offline_command("person_edit.save")
def save(
    ctx: Context,
    person_id: uuid.UUID,
    data: PersonEditSave | Mapping[str, Any],
    *,
    reason: AccessReason | str | None = None,
    rights_request_id: uuid.UUID | None = None,
    request_id: uuid.UUID | None = None,
) -> EditResult:
    """Apply every change of the edit form in one write transaction (see the module's
    docstring). ``reason`` is the file's access reason outside the worker's caseload
    (services/gate.py ``write_person``); the correction's own reason is
    ``data.correction_reason``, required when an identity field changes. With
    ``rights_request_id`` the save carries out that open rectification request and marks it
    answered."""
    edit = _validated(data)
    identity = _identity_changed(edit)
    if identity and not edit.correction_reason:
        raise InvalidInput(
            [FieldError("correction_reason", "edit_reason_required", {"fields": len(identity)})]
        )
    if rights_request_id is not None:
        ctx = dataclasses.replace(ctx, rights_request_id=rights_request_id)
    with persons.documents_race(ctx, _claims(edit), person_id), ctx.db.write() as session:
        done = replayed(session, request_id, _ACTION)
        if done is not None:
            corr = session.get(PersonCorrection, done)
            return EditResult(list(corr.fields) if corr else [], done)
        worker = ctx.actor(session)
        person = live_person(session, person_id, locked=True)
        details = gate.write_person(session, worker, person.id, reason)
        changes = _Changes()
        _apply_person(person, edit, changes)
        _apply_languages(person, edit, changes)
        doc_acts = _apply_documents(session, person, edit, changes)
        household_acts = _apply_household(session, person, edit, changes)
        if changes.conflicts:
            raise EditConflict(changes.conflicts)
        consent_acts = _apply_consents(session, person, edit, worker.id, changes)
        if not changes.fields:
            return EditResult([], None)
        persons.settle_edited(person)
        fields = sorted(changes.fields)
        correction = PersonCorrection(
            person_id=person.id,
            worker_id=worker.id,
            fields=fields,
            changes=changes.rows,
            reason=edit.correction_reason,
            rights_request_id=rights_request_id,
        )
        session.add(correction)
        session.flush()
        keys.refresh(session, person)
        audit(
            session,
            ctx,
            "update",
            "person",
            person.id,
            person_id=person.id,
            fields=fields,
            correction=str(correction.id),
            **details,
        )
        for action, doc_id in doc_acts:
            audit(session, ctx, action, "identity_document", doc_id, person_id=person.id)
        for action, row_id, other in household_acts:
            extra = {"related_person": str(other)} if other is not None else {}
            audit(session, ctx, action, "household_member", row_id, person_id=person.id, **extra)
        for action, consent_id in consent_acts:
            audit(session, ctx, action, "consent", consent_id, person_id=person.id)
        if rights_request_id is not None:
            rights.answer_rectification(session, ctx, rights_request_id, person.id, fields)
        remember(session, request_id, _ACTION, correction.id)
        return EditResult(fields, correction.id)
