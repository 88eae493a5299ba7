"""The rights register: deadlines counted as the law counts them, the whole file for an
access request, refusals on a legal ground, and erasure that leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import clock
from casework.db import Database
from casework.errors import Conflict, InvalidInput, NotAllowed, NotFound
from casework.i18n import set_language
from casework.models import AuditEvent, Person, Tombstone
from casework.models.security import RightKind
from casework.services import person_file, persons, rights
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

NAME = "Yulexis"


def test_deadlines_two_business_days_to_block_thirty_calendar_days_to_answer() -> None:
    friday = dt.date(2026, 11, 27)
    assert rights.deadline(RightKind.BLOCKING, friday) == dt.date(2026, 12, 1)
    # Across the 8 December holiday (a Tuesday): Monday 7 -> Wednesday 9 is one day, ...
    assert rights.deadline(RightKind.BLOCKING, dt.date(2026, 12, 7)) == dt.date(2026, 12, 10)
    # ... and across Holy Friday 2027 (26 March).
    assert rights.deadline(RightKind.BLOCKING, dt.date(2027, 3, 25)) == dt.date(2027, 3, 30)
    assert rights.deadline(RightKind.ACCESS, dt.date(2026, 11, 23)) == dt.date(2026, 12, 23)


@pytest.fixture
def person_id(ctx: Context) -> uuid.UUID:
    data = person_data(given_names=NAME, documents=[{"type": "passport", "number": "ZZ1112223"}])
    return persons.register_intake(ctx, intake_data(data)).person_id


def test_supervisor_sees_open_requests_by_deadline_and_extends_once(
    ctx: Context, database: Database, supervisor: WorkerOut, person_id: uuid.UUID
) -> None:
    sup = Context(database, supervisor.id)
    clock.freeze(dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC))
    try:
        access = rights.register(ctx, {"person_id": person_id, "kind": "access"})
        block = rights.register(ctx, {"person_id": person_id, "kind": "blocking"})
        assert [r.id for r in rights.due(sup)] == [block.id, access.id]
        assert (block.due_on, access.due_on) == (dt.date(2026, 11, 25), dt.date(2026, 12, 23))
        with pytest.raises(NotAllowed):
            rights.extend(ctx, access.id)  # a desk worker cannot
        assert rights.extend(sup, access.id).due_on == dt.date(2027, 1, 22)
        with pytest.raises(Conflict) as err:
            rights.extend(sup, access.id)
        assert err.value.code == "already_extended"
        clock.freeze(dt.datetime(2026, 11, 27, 13, 0, tzinfo=dt.UTC))
        [late] = [r for r in rights.due(sup) if r.overdue]
        assert late.id == block.id
    finally:
        clock.freeze(None)


def test_access_gives_the_whole_file_as_json_and_a_readable_document(
    ctx: Context, database: Database, supervisor: WorkerOut, person_id: uuid.UUID
) -> None:
    sup = Context(database, supervisor.id)
    req = rights.register(ctx, {"person_id": person_id, "kind": "access"})
    with pytest.raises(NotAllowed) as err:
        rights.answer_access(sup, req.id)
    assert err.value.code == "identity_not_checked"
    with pytest.raises(NotAllowed) as err:
        rights.confirm_identity(ctx, req.id)  # the desk takes requests; it does not check them
    assert err.value.code == "role_required"
    rights.confirm_identity(sup, req.id)
    data, text = rights.answer_access(sup, req.id)
    assert data["person"]["given_names"] == NAME
    assert data["person"]["documents"][0]["number"] == "ZZ1112223"
    assert any(e["kind"] == "contact" for e in data["timeline"])
    assert NAME in text and "ZZ1112223" in text
    [answered] = rights.due(sup, include_closed=True)
    assert answered.status == "answered" and answered.answer_sha256
    with database.read() as s:
        exports = s.scalars(sa.select(AuditEvent.details).where(AuditEvent.action == "export"))
        assert list(exports) == [{"request": "access"}]


def test_a_refusal_records_the_legal_exception(
    ctx: Context, database: Database, supervisor: WorkerOut, person_id: uuid.UUID
) -> None:
    sup = Context(database, supervisor.id)
    req = rights.register(ctx, {"person_id": person_id, "kind": "erasure"})
    with pytest.raises(InvalidInput):
        rights.refuse(sup, req.id, {"ground": "i just don't want to", "note": "x"})
    rights.refuse(
        sup, req.id, {"ground": "victim_protection", "note": "Causa de VIF en curso (art. 23)."}
    )
    [row] = rights.due(sup, include_closed=True)
    assert (row.status, row.refusal_ground) == ("refused", "victim_protection")
    assert person_file.get_person(sup, person_id).given_names == NAME  # nothing erased


def test_erasure_removes_the_person_for_real_and_keeps_a_tombstone(
    ctx: Context, database: Database, supervisor: WorkerOut, person_id: uuid.UUID
) -> None:
    sup = Context(database, supervisor.id)
    person_file.get_person(ctx, person_id)  # a view, audited with the id only
    other = persons.register_intake(ctx, intake_data()).person_id
    req = rights.register(
        Context(database, supervisor.id),
        {"person_id": person_id, "kind": "erasure", "identity_checked": True},
    )
    with pytest.raises(NotAllowed):
        rights.erase(ctx, req.id)  # supervisors decide erasures
    report = rights.erase(sup, req.id)
    assert report.rows["person"] == 1 and report.rows["contact"] == 1
    with database.read() as s:
        assert s.get(Person, person_id) is None
        assert s.get(Person, other) is not None  # nobody else touched
        [stone] = s.scalars(sa.select(Tombstone)).all()
        assert stone.person_id == person_id and NAME not in json.dumps(stone.counts)
        trail = s.scalars(sa.select(AuditEvent).where(AuditEvent.person_id == person_id)).all()
        assert {"view", "erase"} <= {e.action for e in trail}
        assert all(NAME not in json.dumps(e.details) for e in trail)
    with pytest.raises(NotFound):
        person_file.get_person(sup, person_id)
    path = database.file_path
    if path is not None:  # SQLite: not in the file, nor in its WAL
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert NAME.encode() not in raw and b"ZZ1112223" not in raw


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_the_person_of_a_request_is_found_by_document_name_or_id(
    ctx: Context, person_id: uuid.UUID
) -> None:
    assert rights.find_person(ctx, "ZZ1112223") == person_id
    assert rights.find_person(ctx, f"{NAME} Rondón") == person_id
    assert rights.find_person(ctx, f" {person_id} ") == person_id
    twin = person_data(given_names=NAME, documents=[{"type": "passport", "number": "ZZ9998887"}])
    persons.register_intake(ctx, intake_data(twin), allow_likely=True)
    with pytest.raises(InvalidInput) as err:
        rights.find_person(ctx, f"{NAME} Rondón")
    message = err.value.errors[0].message()
    assert "Hay 2 personas con ese nombre" in message and "documento" in message
    assert "No se encontró" not in message
    assert rights.find_person(ctx, "ZZ9998887") != person_id  # the document tells them apart
    with pytest.raises(InvalidInput) as err:
        rights.find_person(ctx, "Nadie Inventado")
    assert "No se encontró" in err.value.errors[0].message()


def test_the_readable_answer_reads_like_a_letter_and_the_json_stays_complete(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    sup = Context(database, supervisor.id)
    data_in = person_data(
        given_names="Ángel", documents=[{"type": "passport", "number": "VE7654321"}]
    )
    person_id = persons.register_intake(
        ctx, intake_data(data_in, status={"status": "no_permit", "expulsion_order": True})
    ).person_id
    req = rights.register(
        Context(database, supervisor.id),
        {"person_id": person_id, "kind": "access", "identity_checked": True},
    )
    data, text = rights.answer_access(sup, req.id)

    # The JSON keeps everything, as before: keys, codes and ids.
    assert set(data) == {
        "format",
        "generated_at",
        "request",
        "person",
        "timeline",
        "corrections",
        "recipients",
        "purposes",
    }
    assert data["request"]["id"] == str(req.id) and data["person"]["id"] == str(person_id)
    assert (data["person"]["nationality"], data["person"]["current_status"]) == ("VEN", "no_permit")

    # The readable document: headings, labels, names of codes, dd-mm-yyyy, no ids.
    for heading in (
        "Datos personales",
        "Documentos",
        "Situación migratoria",
        "Atenciones",
        "Derivaciones",
        "Seguimientos",
        "Consentimientos",
    ):
        assert f"\n{heading}\n" in text
    assert "Nombres: Ángel" in text and "Sexo registral: Mujer" in text
    assert "Nacionalidad: Venezuela" in text
    assert "Sin permiso (condición migratoria irregular)" in text
    assert "Orden de expulsión: sí" in text
    assert "Fecha de nacimiento: 17-04-1991" in text
    assert "Pasaporte VE7654321" in text
    assert "Regularización" in text or "regulariz" in text.lower()  # the contact's reason
    assert not UUID.search(text)
    for raw in (
        "given_names",
        "birth_date_precision",
        "no_permit",
        "expulsion_order",
        "True",
        "VEN\n",
        ": VEN",
        "1991-04-17",
    ):
        assert raw not in text, raw

    # The same document in English.
    set_language("en")
    try:
        english = rights.readable(data)
    finally:
        set_language("es")
    assert "Nationality: Venezuela" in english and "No permit (irregular status)" in english
    assert "\nPersonal data\n" in english and not UUID.search(english)


def test_the_command_line_answers_access_like_the_desk(
    ctx: Context,
    database: Database,
    supervisor: WorkerOut,
    tmp_path: Path,
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    """`casework rights answer --out FILE.json`: the same owner-only files as the desk, the
    stored hash is that of the bytes written, and the request is answered."""
    import hashlib

    from casework.cli import main
    from casework.models import RightsRequest

    pid = persons.register_intake(ctx, intake_data()).person_id
    req = rights.register(
        Context(database, supervisor.id),
        {"person_id": pid, "kind": "access", "identity_checked": True},
    )
    out = tmp_path / "answers" / "respuesta.json"
    db = database.url.render_as_string(hide_password=False)
    args = ["rights", "answer", str(req.id), "--out", str(out), "--db", db]
    assert main([*args, *cli_user(database, "creyes")]) == 0
    text = out.with_suffix(".txt")
    assert (out.stat().st_mode & 0o777, text.stat().st_mode & 0o777) == (0o600, 0o600)
    assert json.loads(out.read_text(encoding="utf-8"))["person"]["given_names"] == (
        "Yesenia Carolina"
    )
    with database.read() as s:
        row = s.get(RightsRequest, req.id)
        assert row is not None and row.status == "answered"
        assert row.answer_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
        # The file was sent by the supervisor who signed in, and the trail says so.
        assert row.answered_by == supervisor.id
        sent = s.scalars(
            sa.select(AuditEvent.worker_id).where(
                AuditEvent.action == "export", AuditEvent.person_id == pid
            )
        ).all()
        assert sent == [supervisor.id]
