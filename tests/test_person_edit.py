"""Correcting and completing a person at a later visit (#14 points 4-5), at the service:
one save for the whole form, a reason for identity corrections, before and after kept with
the person (not in the audit trail), documents, household links shown on both files, a
rectification carried out through the same save, and two desks editing at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from casework import rut
from casework.db import Database
from casework.errors import EditConflict, InvalidInput
from casework.models import AuditEvent, HouseholdMember, IdentityDocument, Person, PersonCorrection
from casework.services import person_edit, person_file, persons, rights
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data
from .test_concurrency_edits import ROUNDS, race


def _run(number: int) -> str:
    return f"{number}-{rut.check_digit(str(number))}"


@pytest.fixture
def sup(database: Database, supervisor: WorkerOut) -> Context:
    return Context(database, supervisor.id)


@pytest.fixture
def person_id(ctx: Context) -> uuid.UUID:
    return persons.register_intake(ctx, intake_data()).person_id


def _change(form: person_edit.EditForm, **new: Any) -> dict[str, Any]:
    return {name: {"base": form.values[name], "new": value} for name, value in new.items()}


def test_contact_data_completed_in_one_save_shows_on_the_file_with_before_and_after(
    ctx: Context, database: Database, person_id: uuid.UUID
) -> None:
    form = person_edit.form(ctx, person_id)
    assert form.values["phone"] == "+56987654321"
    result = person_edit.save(
        ctx,
        person_id,
        {
            "person": _change(
                form,
                phone="922222222",
                commune_code="Valparaíso",
                email="yesenia@example.org",
                address="Pasaje Los Aromos 123",
                social_name="Yesi",
            )
        },
    )
    assert result.fields == ["address", "commune_code", "email", "phone", "social_name"]
    detail = person_file.get_person(ctx, person_id)
    assert (
        detail.phone,
        detail.commune_code,
        detail.email,
        detail.address,
        detail.social_name,
    ) == (
        "+56922222222",
        "05101",
        "yesenia@example.org",
        "Pasaje Los Aromos 123",
        "Yesi",
    )
    [entry] = [e for e in person_file.timeline(ctx, person_id) if e.kind == "correction"]
    assert entry.data["fields"] == result.fields
    with database.read() as s:
        corr = s.get(PersonCorrection, result.correction_id)
        assert corr is not None
        before_after = {c["field"]: (c["before"], c["after"]) for c in corr.changes}
        assert before_after["phone"] == ("+56987654321", "+56922222222")
        assert before_after["commune_code"] == ("13101", "05101")
        assert before_after["email"] == (None, "yesenia@example.org")
        [event] = s.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "update", AuditEvent.person_id == person_id
            )
        ).all()
        assert event.details["correction"] == str(corr.id)
        assert event.details["fields"] == result.fields
        # The trail holds ids and field names, never the values.
        assert "922222222" not in str(event.details)
        assert "Aromos" not in str(event.details)


def test_an_identity_correction_needs_a_reason_and_writes_nothing_without_one(
    ctx: Context, database: Database, person_id: uuid.UUID
) -> None:
    form = person_edit.form(ctx, person_id)
    data = {"person": _change(form, first_surname="Rondon", phone="922222222")}
    with pytest.raises(InvalidInput) as err:
        person_edit.save(ctx, person_id, data)
    assert [e.field for e in err.value.errors] == ["correction_reason"]
    assert person_file.get_person(ctx, person_id).first_surname == "Rondón"
    assert person_file.get_person(ctx, person_id).phone == "+56987654321"
    result = person_edit.save(
        ctx, person_id, {**data, "correction_reason": "Cédula a la vista: sin tilde."}
    )
    assert result.fields == ["first_surname", "phone"]
    with database.read() as s:
        corr = s.get(PersonCorrection, result.correction_id)
        assert corr is not None and corr.reason == "Cédula a la vista: sin tilde."


def test_a_run_obtained_later_is_added_and_a_document_marked_expired(
    ctx: Context, person_id: uuid.UUID
) -> None:
    form = person_edit.form(ctx, person_id)
    [passport] = form.documents
    run = _run(26123456)
    result = person_edit.save(
        ctx,
        person_id,
        {
            "documents": [
                {"new": {"type": "run", "number": run}},
                {
                    "id": str(passport.id),
                    "base": passport.base,
                    "new": {**passport.base, "expires_on": "2025-01-31"},
                },
            ],
            "correction_reason": "RUN otorgado; pasaporte vencido.",
        },
    )
    assert result.fields == ["documents"]
    again = person_edit.form(ctx, person_id)
    assert {d.type_key for d in again.documents} == {"passport", "run"}
    expired = next(d for d in again.documents if d.type_key == "passport")
    assert expired.expired
    assert persons.search_persons(ctx, run)[0].id == person_id


def test_marking_a_document_expired_alone_needs_no_reason(
    ctx: Context, person_id: uuid.UUID
) -> None:
    [passport] = person_edit.form(ctx, person_id).documents
    new = {**passport.base, "expires_on": "2025-01-31"}
    doc = {"id": str(passport.id), "base": passport.base, "new": new}
    assert person_edit.save(ctx, person_id, {"documents": [doc]}).fields == ["documents"]


def test_a_document_another_person_holds_is_refused_by_name(
    ctx: Context, database: Database, person_id: uuid.UUID
) -> None:
    run = _run(26123456)
    other = person_data(
        given_names="Wilmer", first_surname="Castillo", documents=[{"type": "run", "number": run}]
    )
    persons.register_intake(ctx, intake_data(other))
    with pytest.raises(InvalidInput) as err:
        person_edit.save(
            ctx,
            person_id,
            {"documents": [{"new": {"type": "run", "number": run}}], "correction_reason": "RUN."},
        )
    [error] = err.value.errors
    assert error.field == "doc_0"
    assert "Wilmer Castillo" in error.message("es")
    with database.read() as s:
        held = s.scalars(
            sa.select(IdentityDocument.person_id).where(IdentityDocument.type_key == "run")
        ).all()
        assert person_id not in held


def test_a_household_member_linked_to_a_person_on_record_shows_on_both_files(
    ctx: Context, database: Database, person_id: uuid.UUID
) -> None:
    child = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Sofía",
                birth_date=None,
                documents=[{"type": "passport", "number": "VE7654321"}],
            )
        ),
    ).person_id
    person_edit.save(
        ctx,
        person_id,
        {"household": [{"new": {"relationship": "child", "related_person_id": str(child)}}]},
    )
    mother = person_file.get_person(ctx, person_id)
    [member] = mother.household
    assert (member.related_person_id, member.related_name) == (child, "Sofía Rondón")
    [back] = person_file.get_person(ctx, child).household_of
    assert (back.household_of, back.name, back.inverse_key) == (
        person_id,
        "Yesenia Carolina Rondón",
        "parent",
    )
    # Unlinking (removing the row) is audited, naming the person it was linked to.
    [row] = person_edit.form(ctx, person_id).household
    person_edit.save(ctx, person_id, {"household": [{"id": str(row.id), "base": row.base}]})
    assert person_file.get_person(ctx, child).household_of == []
    with database.read() as s:
        acts = s.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity == "household_member")
        ).all()
        assert sorted(acts) == ["create", "delete", "link", "unlink"]
        assert s.scalar(sa.select(sa.func.count()).select_from(HouseholdMember)) == 0


def test_a_rectification_is_carried_out_through_the_same_save_and_answered(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    req = rights.register(
        sup, {"person_id": person_id, "kind": "rectification", "identity_checked": True}
    )
    form = person_edit.form(sup, person_id, rights_request_id=req.id)
    result = person_edit.save(
        sup,
        person_id,
        {"person": _change(form, phone="922222222")},
        rights_request_id=req.id,
    )
    assert result.fields == ["phone"]
    [answered] = [r for r in rights.due(sup, include_closed=True) if r.id == req.id]
    assert answered.status == "answered"
    assert answered.answer_note is not None and "teléfono" in answered.answer_note
    with database.read() as s:
        corr = s.get(PersonCorrection, result.correction_id)
        assert corr is not None and corr.rights_request_id == req.id
    [entry] = [e for e in person_file.timeline(ctx, person_id) if e.kind == "correction"]
    assert entry.data["rectification"] is True


def test_a_second_ctrl_s_returns_the_first_save(
    ctx: Context, database: Database, person_id: uuid.UUID
) -> None:
    form = person_edit.form(ctx, person_id)
    request = uuid.uuid4()
    data = {"person": _change(form, email="a@example.org")}
    first = person_edit.save(ctx, person_id, data, request_id=request)
    second = person_edit.save(ctx, person_id, data, request_id=request)
    assert first == second
    with database.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PersonCorrection)) == 1


def _on_record(database: Database, person_id: uuid.UUID) -> tuple[str | None, str | None]:
    with database.read() as s:
        p = s.get(Person, person_id)
        assert p is not None
        return p.phone, p.commune_code


def test_two_desks_editing_different_fields_both_stand(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    def desk(who: Context, field: str, value: str) -> Any:
        def read() -> person_edit.EditForm:
            return person_edit.form(who, person_id)

        def write(form: person_edit.EditForm) -> list[str]:
            return person_edit.save(
                who, person_id, {"person": _change(form, **{field: value})}
            ).fields

        return read, write

    communes = ["05101", "13101"]
    for i in range(ROUNDS):
        phone, commune = f"+5691234{i:04d}", communes[i % 2]
        assert race(desk(ctx, "phone", phone), desk(sup, "commune_code", commune)) == [
            ["phone"],
            ["commune_code"],
        ]
        assert _on_record(database, person_id) == (phone, commune)


def test_two_desks_editing_the_same_field_the_loser_sees_the_value_on_record(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    def desk(who: Context, phone: str) -> Any:
        def read() -> person_edit.EditForm:
            return person_edit.form(who, person_id)

        def write(form: person_edit.EditForm) -> list[str]:
            return person_edit.save(who, person_id, {"person": _change(form, phone=phone)}).fields

        return read, write

    for i in range(ROUNDS):
        typed = [f"+5692000{i:04d}", f"+5693000{i:04d}"]
        results = race(desk(ctx, typed[0]), desk(sup, typed[1]))
        conflicts = [r for r in results if isinstance(r, EditConflict)]
        assert len(conflicts) == 1, results
        won = next(j for j, r in enumerate(results) if r == ["phone"])
        clash = conflicts[0].for_field("phone")
        assert clash is not None
        assert (clash.current, clash.typed) == (typed[won], typed[1 - won])
        assert "teléfono" in conflicts[0].message("es").lower()
        assert _on_record(database, person_id)[0] == typed[won]
        with database.read() as s:
            assert (
                s.scalar(sa.select(sa.func.count()).select_from(PersonCorrection)) == i + 1
            )  # one correction per round: nothing doubled


def test_corrections_are_erased_with_the_person(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    form = person_edit.form(ctx, person_id)
    person_edit.save(ctx, person_id, {"person": _change(form, address="Calle Falsa 1")})
    req = rights.register(
        sup, {"person_id": person_id, "kind": "erasure", "identity_checked": True}
    )
    rights.erase(sup, req.id)
    with database.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PersonCorrection)) == 0


def test_two_desks_giving_one_run_to_two_persons_at_once_one_wins_the_other_is_told_who(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    other = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Wilmer",
                first_surname="Castillo",
                documents=[{"type": "passport", "number": "VE5550001"}],
            )
        ),
    ).person_id
    names = {person_id: "Yesenia Carolina Rondón", other: "Wilmer Castillo"}
    for i in range(ROUNDS):
        run = _run(26100000 + i)

        def desk(who: Context, pid: uuid.UUID, run: str = run) -> Any:
            def read() -> None:
                return None

            def write(_: None) -> list[str]:
                data = {"documents": [{"new": {"type": "run", "number": run}}]}
                return person_edit.save(who, pid, {**data, "correction_reason": "RUN."}).fields

            return read, write

        results = race(desk(ctx, person_id), desk(sup, other))
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1, results
        won = next(
            pid for pid, r in zip((person_id, other), results, strict=True) if r == ["documents"]
        )
        message = refused[0].message("es")  # type: ignore[attr-defined]
        assert names[won] in message
        with database.read() as s:
            holders = s.scalars(
                sa.select(IdentityDocument.person_id).where(
                    IdentityDocument.number == run, IdentityDocument.live_key.is_not(None)
                )
            ).all()
            assert holders == [won]


def test_an_approximate_birth_date_languages_and_interpreter_in_one_save(
    ctx: Context, person_id: uuid.UUID
) -> None:
    form = person_edit.form(ctx, person_id)
    result = person_edit.save(
        ctx,
        person_id,
        {
            "person": _change(
                form, birth_date="1990-01-01", birth_date_precision="year", interpreter_needed=True
            ),
            "languages": {"base": form.languages, "new": ["ht", "es"]},
            "correction_reason": "Solo recuerda el año.",
        },
    )
    assert result.fields == [
        "birth_date",
        "birth_date_precision",
        "interpreter_needed",
        "languages",
    ]
    again = person_edit.form(ctx, person_id)
    assert again.values["birth_date_precision"] == "year"
    assert again.languages == ["ht", "es"]  # the primary first


def test_consents_granted_and_revoked_from_the_form_revoked_once_when_two_desks_do_it(
    ctx: Context, sup: Context, database: Database, person_id: uuid.UUID
) -> None:
    person_edit.save(ctx, person_id, {"grant_consents": [{"purpose": "statistics"}]})
    [consent] = [c for c in person_edit.form(ctx, person_id).consents if c.purpose == "statistics"]
    assert consent.live

    def desk(who: Context) -> Any:
        def write(_: None) -> list[str]:
            return person_edit.save(who, person_id, {"revoke_consents": [str(consent.id)]}).fields

        return (lambda: None), write

    results = race(desk(ctx), desk(sup))
    assert sorted(map(str, results)) == ["['consents']", "[]"]  # one revoked, one found it done
    [after] = [c for c in person_edit.form(ctx, person_id).consents if c.id == consent.id]
    assert not after.live
    with database.read() as s:
        revokes = s.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.action == "revoke", AuditEvent.entity_id == consent.id
            )
        )
        assert revokes == 1


def test_the_answer_to_an_access_request_holds_each_correction_before_and_after(
    ctx: Context, sup: Context, person_id: uuid.UUID
) -> None:
    form = person_edit.form(ctx, person_id)
    person_edit.save(ctx, person_id, {"person": _change(form, phone="922222222")})
    req = rights.register(sup, {"person_id": person_id, "kind": "access", "identity_checked": True})
    answer, _ = rights.answer_access(sup, req.id)
    [corr] = answer["corrections"]
    assert corr["changes"] == [
        {"field": "phone", "before": "+56987654321", "after": "+56922222222"}
    ]
