"""The service layer: what a desk and a supervisor can do, and what they are stopped from."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from casework import refdata
from casework.db import Database
from casework.errors import Conflict, EditConflict, InvalidInput, InvalidTransition, NotAllowed
from casework.i18n import t
from casework.models import AuditEvent, Contact, IdentityDocument, Person, Referral
from casework.services import followups, guidance, person_file, persons, referrals
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data, schedule_follow_up


def count(db: Database, model: type) -> int:
    with db.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_register_intake_stores_person_case_contact_and_audit(ctx: Context) -> None:
    audits_before = count(ctx.db, AuditEvent)
    result = persons.register_intake(ctx, intake_data())
    detail = person_file.get_person(ctx, result.person_id)
    assert detail.full_name == "Yesenia Carolina Rondón Briceño"
    assert detail.nationality == "VEN"
    assert detail.phone == "+56987654321"
    assert detail.commune_code == "13101"
    assert detail.current_status == "no_permit"
    assert [d.number_norm for d in detail.documents] == ["VE1234567"]
    assert len(detail.cases) == 1 and detail.cases[0].programme_name == "Oficina de Migrantes"
    assert count(ctx.db, Contact) == 1
    # person + contact created, and the file view: all audited
    assert count(ctx.db, AuditEvent) == audits_before + 3


def test_bad_rut_check_digit_is_refused_with_a_clear_message_and_nothing_written(
    ctx: Context,
) -> None:
    data = intake_data(person_data(documents=[{"type": "rut", "number": "12.345.678-9"}]))
    with pytest.raises(InvalidInput) as err:
        persons.register_intake(ctx, data)
    field = err.value.errors[0]
    assert field.code == "rut_check_digit"
    assert field.field.startswith("person.documents")
    assert "debería ser 5" in field.message("es")
    assert "should be 5" in field.message("en")
    assert count(ctx.db, Person) == 0


def test_valid_rut_is_stored_canonically_and_found_with_or_without_dots(ctx: Context) -> None:
    data = intake_data(person_data(documents=[{"type": "run", "number": "12.345.678-5"}]))
    pid = persons.register_intake(ctx, data).person_id
    for typed in ("12.345.678-5", "123456785", "12345678", "12.345"):
        assert [p.id for p in persons.search_persons(ctx, typed)] == [pid], typed


def test_birth_date_in_the_future_is_refused(ctx: Context) -> None:
    future = dt.date.today() + dt.timedelta(days=3)
    with pytest.raises(InvalidInput) as err:
        persons.register_intake(ctx, intake_data(person_data(birth_date=future)))
    assert err.value.for_field("person.birth_date") is not None
    assert err.value.errors[0].code == "date_in_future"
    assert count(ctx.db, Person) == 0


def test_several_field_errors_are_reported_together(ctx: Context) -> None:
    data = intake_data(person_data(given_names="  ", nationality="Narnia", phone="12"))
    with pytest.raises(InvalidInput) as err:
        persons.register_intake(ctx, data)
    codes = {e.field: e.code for e in err.value.errors}
    assert codes["person.given_names"] == "required"
    assert codes["person.nationality"] == "unknown_country"
    assert codes["person.phone"] == "invalid_phone"


def test_saving_the_same_form_twice_creates_one_person(ctx: Context) -> None:
    request = uuid.uuid4()
    first = persons.register_intake(ctx, intake_data(), request_id=request)
    second = persons.register_intake(ctx, intake_data(), request_id=request)
    assert first == second
    assert count(ctx.db, Person) == 1
    assert count(ctx.db, Contact) == 1


def test_a_document_already_on_record_points_to_that_person(ctx: Context) -> None:
    first = persons.register_intake(ctx, intake_data()).person_id
    other = person_data(given_names="Otra", first_surname="Persona")
    with pytest.raises(Conflict) as err:
        persons.register_intake(ctx, intake_data(other))
    assert err.value.code == "document_on_record"
    assert err.value.params["person_id"] == str(first)
    assert count(ctx.db, Person) == 1


def test_a_document_typed_twice_in_one_intake_is_kept_once(ctx: Context) -> None:
    docs = [
        {"type": "passport", "number": "VE1234567"},
        {"type": "passport", "number": "ve 123 4567"},
        {"type": "run", "number": "25.123.456-6"},
    ]
    pid = persons.register_intake(ctx, intake_data(person_data(documents=docs))).person_id
    with ctx.db.read() as s:
        kept = s.scalars(
            sa.select(IdentityDocument.type_key).where(IdentityDocument.person_id == pid)
        ).all()
    assert sorted(kept) == ["passport", "run"]


def test_search_is_tolerant_of_accents_case_and_partial_names(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Jean-Baptiste",
                first_surname="Pierre",
                second_surname=None,
                nationality="HTI",
                documents=[],
            )
        ),
    )
    assert [p.id for p in persons.search_persons(ctx, "rondon")] == [pid]
    assert [p.id for p in persons.search_persons(ctx, "YESE BRIC")] == [pid]
    found = persons.search_persons(ctx, "baptiste pierre")
    assert [p.full_name for p in found] == ["Jean-Baptiste Pierre"]
    assert persons.search_persons(ctx, "gonzalez") == []
    summary = persons.search_persons(ctx, "rondón")[0]
    assert summary.age(dt.date(2026, 11, 23)) == 35
    assert summary.last_contact is not None


def test_later_contact_goes_to_the_open_case(ctx: Context) -> None:
    result = persons.register_intake(ctx, intake_data())
    persons.record_contact(ctx, result.person_id, {"reasons": ["health"], "channel": "phone"})
    with ctx.db.read() as s:
        cases = s.scalars(sa.select(Contact.case_id).where(Contact.person_id == result.person_id))
        assert set(cases) == {result.case_id}


def test_status_change_keeps_history(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    persons.change_status(
        ctx, pid, {"status": "temporary_in_process", "sermig_application": "A-778899"}
    )
    detail = person_file.get_person(ctx, pid)
    assert [s.status for s in detail.statuses] == ["no_permit", "temporary_in_process"]
    assert detail.current_status == "temporary_in_process"


def test_unknown_status_is_refused(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    with pytest.raises(InvalidInput) as err:
        persons.change_status(ctx, pid, {"status": "tourist-ish"})
    assert err.value.errors[0].code == "unknown_status"


def _refer(ctx: Context, pid: uuid.UUID, **kw: object) -> uuid.UUID:
    data = {"destination": "cesfam", "reason": "Inscripción en salud", "consent_given": True}
    data.update(kw)
    return referrals.create(ctx, pid, data)


def test_requested_referral_schedules_a_follow_up_for_its_worker(
    ctx: Context, worker: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    rid = _refer(ctx, pid)
    ref = referrals.get(ctx, rid)
    assert ref.status == "requested"
    assert ref.service_area == "health"
    assert [e.to_status for e in ref.events] == ["draft", "requested"]
    due = followups.due_for_worker(ctx, until=dt.date.today() + dt.timedelta(days=30))
    assert [(f.referral_id, f.worker_id) for f in due] == [(rid, worker.id)]
    assert due[0].due_on == dt.date.today() + dt.timedelta(days=14)


def test_referral_moves_through_its_states_to_completed(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    rid = _refer(ctx, pid)
    referrals.move(ctx, rid, {"to": "accepted", "note": "Hora dada"})
    referrals.move(ctx, rid, {"to": "in-progress"})
    referrals.move(ctx, rid, {"to": "completed", "outcome": "resolved"})
    ref = referrals.get(ctx, rid)
    assert ref.status == "completed" and ref.outcome == "resolved"
    assert ref.completed_at is not None and ref.requested_at is not None
    assert ref.completed_at >= ref.requested_at
    assert [e.to_status for e in ref.events][-1] == "completed"
    with pytest.raises(InvalidTransition) as err:
        referrals.move(ctx, rid, {"to": "accepted"})
    assert "completed" in err.value.message("en")


def test_draft_cannot_be_completed(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    rid = _refer(ctx, pid, request_now=False)
    with pytest.raises(InvalidTransition):
        referrals.move(ctx, rid, {"to": "completed"})
    assert referrals.get(ctx, rid).status == "draft"


def test_rejection_records_who_declined_and_why(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    rid = _refer(ctx, pid)
    with pytest.raises(InvalidInput) as err:
        referrals.move(ctx, rid, {"to": "rejected"})
    assert err.value.errors[0].code == "declined_by_required"
    referrals.move(
        ctx, rid, {"to": "rejected", "declined_by": "provider", "decline_reason": "Sin cupos"}
    )
    ref = referrals.get(ctx, rid)
    assert (ref.status, ref.declined_by, ref.decline_reason) == (
        "rejected",
        "provider",
        "Sin cupos",
    )


def test_referral_to_a_private_organisation_needs_consent_unless_a_supervisor_overrides(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    with pytest.raises(NotAllowed) as err:
        _refer(ctx, pid, destination="clinica_juridica", consent_given=False)
    assert err.value.code == "consent_required"
    name = refdata.destination("clinica_juridica").name_es  # type: ignore[union-attr]
    assert name in str(err.value) and "clinica_juridica" not in str(err.value)
    assert count(database, Referral) == 0  # nothing half-written
    with pytest.raises(NotAllowed) as err:
        _refer(ctx, pid, destination="clinica_juridica", consent_given=False, override_consent=True)
    assert err.value.code == "override_needs_supervisor"
    sup = Context(database, supervisor.id)
    rid = _refer(
        sup, pid, destination="clinica_juridica", consent_given=False, override_consent=True
    )
    assert referrals.get(sup, rid).status == "requested"
    with database.read() as s:
        actions = s.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_id == rid))
        assert "consent_override" in set(actions)


def test_referral_to_a_public_body_records_its_legal_purpose_instead(
    ctx: Context, database: Database
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    rid = _refer(ctx, pid, destination="cesfam", consent_given=False)
    assert referrals.get(ctx, rid).status == "requested"
    with database.read() as s:
        details = s.scalars(
            sa.select(AuditEvent.details).where(
                AuditEvent.entity_id == rid, AuditEvent.action == "legal_basis"
            )
        ).all()
    assert details == [{"basis": "public_function", "destination": "cesfam"}]


def test_revoked_consent_no_longer_counts(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    cid = persons.record_consent(
        ctx, pid, {"purpose": "share_with_destination", "destination_key": "clinica_juridica"}
    )
    _refer(ctx, pid, destination="clinica_juridica", consent_given=False)
    persons.revoke_consent(ctx, cid)
    with pytest.raises(NotAllowed):
        _refer(ctx, pid, destination="clinica_juridica", consent_given=False)


def test_follow_ups_complete_miss_cancel_and_overdue_first(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    today = dt.date.today()
    late = schedule_follow_up(
        ctx, pid, {"due_on": today - dt.timedelta(days=5), "what": "Llamar por hora CESFAM"}
    )
    now = schedule_follow_up(ctx, pid, {"due_on": today, "what": "Revisar documentos"})
    later = schedule_follow_up(
        ctx, pid, {"due_on": today + dt.timedelta(days=9), "what": "Más adelante"}
    )
    due = followups.due_for_worker(ctx)
    assert [f.id for f in due] == [late, now]
    assert due[0].overdue() and not due[1].overdue()
    assert due[0].person_name == "Yesenia Carolina Rondón Briceño"
    with pytest.raises(InvalidInput) as err:
        followups.close(ctx, late, {"status": "done"})
    assert err.value.errors[0].code == "outcome_required"
    followups.close(ctx, late, {"status": "done", "outcome": "Tiene hora el lunes"})
    followups.close(ctx, now, {"status": "missed"})
    followups.close(ctx, later, {"status": "cancelled"})
    assert followups.due_for_worker(ctx, until=today + dt.timedelta(days=30)) == []
    with pytest.raises(EditConflict):
        followups.close(ctx, late, {"status": "missed"})
    done = {f.id: f for f in followups.for_person(ctx, pid)}
    assert done[late].status == "done" and done[late].completed_at is not None


def test_guidance_checklist_and_deadline_follow_up(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    gid = guidance.start(ctx, pid, {"route_id": "humanitarian_pregnancy"})
    [g] = guidance.for_person(ctx, pid)
    assert g.route_id == "humanitarian_pregnancy" and g.items
    first = g.items[0].item_key
    guidance.set_item(ctx, gid, {"item_key": first, "state": "explained"})
    guidance.set_application(ctx, gid, "SOL-123456")
    [g] = guidance.for_person(ctx, pid)
    assert g.sermig_application == "SOL-123456"
    assert guidance.furthest_state(g.items).value == "explained"
    route_deadlines = [
        d.key
        for d in __import__("casework.refdata").refdata.route("humanitarian_pregnancy").deadlines
    ]
    if route_deadlines:
        guidance.schedule_deadline(ctx, gid, route_deadlines[0])
        assert any(f.guidance_id == gid for f in followups.for_person(ctx, pid))


def test_timeline_shows_every_programme_newest_first(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    persons.add_note(ctx, pid, {"text": "Trae certificado de nacimiento."})
    _refer(ctx, pid)
    kinds = [e.kind for e in person_file.timeline(ctx, pid)]
    assert {"contact", "status", "note", "referral", "follow_up", "consent"} <= set(kinds)
    times = [e.at for e in person_file.timeline(ctx, pid)]
    assert times == sorted(times, reverse=True)


def test_every_write_is_audited_without_personal_values(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    persons.update_person(ctx, pid, {"phone": {"base": "+56987654321", "new": "+51 987 654 321"}})
    with ctx.db.read() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.person_id == pid)).all()
    update = [e for e in events if e.action == "update"]
    assert update and update[0].details == {"fields": ["phone"]}
    dumped = repr([(e.action, e.entity, e.details) for e in events])
    assert "987" not in dumped and "Rondón" not in dumped


def test_worker_without_sign_in_cannot_write(database: Database, admin: WorkerOut) -> None:
    with pytest.raises(NotAllowed) as err:
        persons.register_intake(Context(database), intake_data())
    assert err.value.message("es") == t("error.no_actor", lang="es")
