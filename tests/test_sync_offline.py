"""Offline desks (issue #17), the desk's side: what a desk may do offline is a declared
list, each such call is recorded in the outbox in the same transaction as its rows, and
what needs the office server is refused with a clear message, writing nothing."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import clock
from casework.db import Database, open_database
from casework.errors import CaseworkError, NotAllowed
from casework.models import AuditEvent, Contact, Note, Person, SyncApplied, SyncOutbox
from casework.services import merge, outbox, persons, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data
from .test_read_gate import service_calls


def test_every_public_service_call_is_declared_once() -> None:
    calls = set(service_calls())
    offline = set(outbox.OFFLINE_NAMES)
    online = set(outbox.ONLINE_ONLY)
    local = set(outbox.LOCAL)
    assert offline & online == set() and offline & local == set() and online & local == set()
    assert calls - (offline | online | local) == set(), "declare these calls in services/outbox.py"
    assert (offline | online | local) - calls == set(), "these declared names are no service call"
    for name in offline:
        assert outbox.command(name).name == name  # importable and registered


@pytest.fixture
def desk(database: Database, worker: WorkerOut, tmp_path: Path) -> Database:
    """A desk file: a copy of a SQLite office (or a migrated file with the same workers)."""
    if database.is_sqlite:
        assert database.file_path is not None
        path = tmp_path / "desk.db"
        with sqlite3.connect(database.file_path) as src, sqlite3.connect(path) as dst:
            src.backup(dst)  # the WAL's rows too
        db = open_database(str(path))
    else:
        db = open_database(str(tmp_path / "desk.db"))
        from casework.models import Programme, Worker

        with database.read() as src, db.write() as dst:
            for model in (Programme, Worker):
                for row in src.scalars(sa.select(model)):
                    src.expunge(row)
                    dst.merge(row)
    outbox.make_desk(db, name="Operativo Lo Valledor", server="postgresql://office:pw@srv/db")
    yield db
    db.dispose()


def _outbox(db: Database) -> list[SyncOutbox]:
    with db.read() as session:
        return list(session.scalars(sa.select(SyncOutbox).order_by(SyncOutbox.seq)))


def test_a_command_on_a_desk_is_recorded_with_its_ids(desk: Database, worker: WorkerOut) -> None:
    ctx = Context(desk, worker.id)
    made = persons.register_intake(ctx, intake_data())
    note = persons.add_note(ctx, made.person_id, {"text": "Trae contrato de arriendo."})
    rows = _outbox(desk)
    assert [r.command for r in rows] == ["persons.register_intake", "persons.add_note"]
    assert [r.seq for r in rows] == [1, 2]
    assert rows[0].ids["person#0"] == str(made.person_id)
    assert rows[0].ids["contact#0"] == str(made.contact_id)
    assert str(made.person_id) in rows[0].records
    assert rows[1].payload["kwargs"]["person_id"] == str(made.person_id)
    assert str(made.person_id) in rows[1].records
    assert note is not None
    status = outbox.desk_status(desk)
    assert status is not None
    assert status.name == "Operativo Lo Valledor"
    assert status.waiting == 2 and status.conflicts == 0
    assert "pw" not in status.server  # the server's password is never kept on the desk
    # Every audit row the two commands wrote is named in their ids.
    with desk.read() as session:
        audit_ids = {str(i) for i in session.scalars(sa.select(AuditEvent.id))}
    recorded = {v for r in rows for v in r.ids.values()}
    assert len(audit_ids & recorded) == 3  # create person, create contact, the note


def test_a_refused_command_leaves_no_outbox_row(desk: Database, worker: WorkerOut) -> None:
    ctx = Context(desk, worker.id)
    with pytest.raises(CaseworkError):
        persons.add_note(ctx, uuid.uuid4(), {"text": "Nadie."})
    assert _outbox(desk) == []
    assert outbox.desk_status(desk).waiting == 0  # type: ignore[union-attr]


def test_the_same_command_replayed_elsewhere_keeps_the_desk_ids(
    desk: Database, database: Database, worker: WorkerOut
) -> None:
    made = persons.register_intake(Context(desk, worker.id), intake_data())
    (row,) = _outbox(desk)
    cmd = outbox.Replay(row.id, row.desk_id, row.worker_id, row.command, row.payload, row.ids)
    again = outbox.replay(Context(database, worker.id), cmd)
    assert again.person_id == made.person_id and again.contact_id == made.contact_id
    with database.read() as session:
        assert session.get(Person, made.person_id) is not None
        assert session.get(SyncApplied, row.id) is not None
        desk_audit = set(row.ids.values())
        server_audit = {
            str(i)
            for i in session.scalars(
                sa.select(AuditEvent.id).where(AuditEvent.person_id == made.person_id)
            )
        }
    assert server_audit and server_audit <= desk_audit
    assert _outbox(database) == []  # the server records no outbox of its own


def test_what_needs_the_server_is_refused_offline(
    desk: Database, worker: WorkerOut, admin: WorkerOut
) -> None:
    a = persons.register_intake(Context(desk, worker.id), intake_data())
    b = persons.register_intake(
        Context(desk, worker.id),
        intake_data(person_data(documents=[{"type": "passport", "number": "VE7654321"}])),
        allow_likely=True,
    )
    before = [r.id for r in _outbox(desk)]
    with desk.read() as session:
        audit_before = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    with pytest.raises(NotAllowed) as refused:
        merge.merge(Context(desk, admin.id), a.person_id, b.person_id)
    assert refused.value.code == "offline_refused"
    assert "sin conexión" in refused.value.message("es")
    with pytest.raises(NotAllowed) as refused:
        staff.create_worker(
            Context(desk, admin.id),
            {"username": "nuevo", "full_name": "Nuevo", "programme_code": "OFMIG"},
        )
    assert "offline" in refused.value.message("en")
    assert [r.id for r in _outbox(desk)] == before
    with desk.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audit_before


def test_an_office_database_records_no_outbox(database: Database, worker: WorkerOut) -> None:
    persons.register_intake(Context(database, worker.id), intake_data())
    assert _outbox(database) == []
    assert outbox.desk_status(database) is None


def _replay_all(desk: Database, server: Database, worker_id: uuid.UUID) -> list[object]:
    done: list[object] = []
    with server.read() as session:
        applied = set(session.scalars(sa.select(SyncApplied.command_id)))
    for row in _outbox(desk):
        if row.id in applied:
            continue
        cmd = outbox.Replay(row.id, row.desk_id, row.worker_id, row.command, row.payload, row.ids)
        done.append(outbox.replay(Context(server, worker_id), cmd))
    return done


def test_an_append_to_a_person_merged_meanwhile_follows_the_merge(
    desk: Database, database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    on_desk = Context(desk, worker.id)
    keep = persons.register_intake(on_desk, intake_data()).person_id
    gone = persons.register_intake(
        on_desk,
        intake_data(person_data(documents=[{"type": "passport", "number": "VE7654321"}])),
        allow_likely=True,
    ).person_id
    _replay_all(desk, database, worker.id)
    merge.merge(Context(database, supervisor.id), keep, gone)  # at the office, meanwhile
    contact_id = persons.record_contact(on_desk, gone, {"reasons": ["regularization"]})
    (landed,) = _replay_all(desk, database, worker.id)
    assert landed == contact_id  # the desk's id
    with database.read() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.person_id == keep


def test_a_replayed_command_keeps_the_day_the_desk_did_it(
    desk: Database, database: Database, worker: WorkerOut
) -> None:
    outreach = dt.datetime(2026, 11, 16, 14, 30, tzinfo=dt.UTC)  # Monday, in the field
    synced = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)  # Wednesday, back at the office
    clock.freeze(outreach)
    try:
        made = persons.register_intake(Context(desk, worker.id), intake_data())
        note = persons.add_note(Context(desk, worker.id), made.person_id, {"text": "En terreno."})
        clock.freeze(synced)
        for row in _outbox(desk):
            cmd = outbox.Replay(
                row.id,
                row.desk_id,
                row.worker_id,
                row.command,
                row.payload,
                row.ids,
                occurred_at=row.created_at,
            )
            outbox.replay(Context(database, worker.id), cmd)
    finally:
        clock.freeze(None)
    with database.read() as session:
        person = session.get(Person, made.person_id)
        written = session.get(Note, note)
        contact = session.get(Contact, made.contact_id)
        ats = set(
            session.scalars(sa.select(AuditEvent.at).where(AuditEvent.person_id == made.person_id))
        )
        applied = session.scalars(sa.select(SyncApplied.applied_at)).all()
    assert person is not None and person.created_at == outreach
    assert written is not None and written.created_at == outreach
    assert contact is not None and contact.occurred_at == outreach
    assert ats == {outreach}
    assert applied and all(a > outreach for a in applied)  # when it reached the server


def test_ids_go_by_kind_a_case_the_server_has_already_does_not_shift_them(
    desk: Database, database: Database, worker: WorkerOut, admin: WorkerOut
) -> None:
    """The desk opens a case for its contact; meanwhile a colleague at the office opened
    one in the same programme. The server uses its case, and the contact and its audit row
    still get the desk's ids (handing ids back by creation order would shift them)."""
    a = Context(database, admin.id)
    staff.create_programme(a, {"code": "OMIL", "name": "Oficina de Intermediación Laboral"})
    omil = staff.create_worker(
        a, {"username": "lvera", "full_name": "Luis Vera", "programme_code": "OMIL"}
    )
    colleague = staff.create_worker(
        a, {"username": "mpaz", "full_name": "Marta Paz", "programme_code": "OFMIG"}
    )
    # The person is OMIL's, on both copies (registered at the office, copied to the desk).
    person_id = persons.register_intake(
        Context(database, omil.id),
        intake_data(person_data(documents=[{"type": "passport", "number": "VE5550001"}])),
    ).person_id
    _mirror(database, desk)
    contact_id = persons.record_contact(
        Context(desk, worker.id), person_id, {"reasons": ["regularization"]}, reason="desk_visit"
    )
    office_case = persons.record_contact(
        Context(database, colleague.id), person_id, {"reasons": ["health"]}, reason="desk_visit"
    )
    (row,) = [r for r in _outbox(desk) if r.command == "persons.record_contact"]
    assert "case_file#0" in row.ids  # the desk opened a case of its own
    cmd = outbox.Replay(row.id, row.desk_id, row.worker_id, row.command, row.payload, row.ids)
    assert outbox.replay(Context(database, worker.id), cmd) == contact_id
    with database.read() as session:
        contact = session.get(Contact, contact_id)
        theirs = session.get(Contact, office_case)
        assert contact is not None and theirs is not None
        assert contact.case_id == theirs.case_id != uuid.UUID(row.ids["case_file#0"])
        audit_ids = {str(i) for i in session.scalars(sa.select(AuditEvent.id))}
    assert row.ids[f"audit_event:create:contact:{contact_id.hex}#0"] in audit_ids


def _mirror(src: Database, dst: Database) -> None:
    """The office's workers, persons, documents, cases and contacts the desk lacks, copied
    to it with the same ids (what a pull would bring)."""
    from casework.models import Base

    names = {"worker", "programme", "person", "identity_document", "case_file", "contact"}
    with src.engine.connect() as a, dst.engine.begin() as b:
        for table in Base.metadata.sorted_tables:
            if table.name not in names:
                continue
            for row in a.execute(sa.select(table)).mappings():
                exists = b.execute(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(*[c == row[c.name] for c in table.primary_key.columns])
                ).scalar()
                if not exists:
                    b.execute(table.insert().values(**row))
