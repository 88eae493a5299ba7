"""The push (issue #17): a desk's outbox replayed on the office server, on SQLite and
PostgreSQL servers. The desk is a SQLite copy of the server with a ``sync_desk`` row."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.db import Database, open_database
from casework.models import AuditEvent, Base, MatchPair, Note, Person, SyncConflict, SyncOutbox
from casework.services import outbox, persons, sync_push
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data


@dataclass
class World:
    server: Database
    desk: Database
    worker: WorkerOut
    supervisor: WorkerOut
    person_id: uuid.UUID
    other_id: uuid.UUID

    @property
    def on_desk(self) -> Context:
        return Context(self.desk, self.worker.id)

    @property
    def on_server(self) -> Context:
        return Context(self.server, self.worker.id)


def copy_to_desk(server: Database, path: Path, sqlite_template: Path) -> Database:
    """A desk file: the server's rows in a SQLite file, made a desk of it."""
    if server.is_sqlite:
        assert server.file_path is not None
        with sqlite3.connect(server.file_path) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        desk = open_database(str(path))
    else:
        shutil.copy(sqlite_template, path)
        desk = open_database(str(path))
        tables = Base.metadata.sorted_tables
        with server.engine.connect() as src, desk.engine.begin() as dst:
            for table in reversed(tables):
                dst.execute(table.delete())
            for table in tables:
                rows = [dict(r) for r in src.execute(sa.select(table)).mappings()]
                if rows:
                    dst.execute(table.insert(), rows)
    outbox.make_desk(desk, name="Operativo Lo Valledor", server="postgresql://o:pw@srv/db")
    return desk


@pytest.fixture
def world(
    database: Database,
    worker: WorkerOut,
    supervisor: WorkerOut,
    tmp_path: Path,
    sqlite_template: Path,
) -> Iterator[World]:
    ctx = Context(database, worker.id)
    one = persons.register_intake(ctx, intake_data(), allow_likely=True)
    two = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Wilmer José",
                first_surname="Paredes",
                second_surname="Colmenares",
                sex="M",
                birth_date="1985-09-02",
                phone="912345678",
                documents=[{"type": "passport", "number": "VE7654321"}],
            )
        ),
        allow_likely=True,
    )
    desk = copy_to_desk(database, tmp_path / "desk.db", sqlite_template)
    yield World(database, desk, worker, supervisor, one.person_id, two.person_id)
    desk.dispose()


def outbox_rows(db: Database) -> list[SyncOutbox]:
    with db.read() as session:
        return list(session.scalars(sa.select(SyncOutbox).order_by(SyncOutbox.seq)))


def notes(db: Database, person_id: uuid.UUID) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                sa.select(Note.text).where(Note.person_id == person_id).order_by(Note.id)
            )
        )


def person(db: Database, person_id: uuid.UUID) -> Person:
    with db.read() as session:
        row = session.get(Person, person_id)
        assert row is not None
        return row


def edit(ctx: Context, person_id: uuid.UUID, **fields: tuple[object, object]) -> list[str]:
    return persons.update_person(
        ctx, person_id, {k: {"base": b, "new": n} for k, (b, n) in fields.items()}
    )


def test_commands_are_applied_with_the_desk_ids_and_a_second_push_sends_nothing(
    world: World,
) -> None:
    made = persons.register_intake(
        world.on_desk,
        intake_data(
            person_data(
                given_names="Rosa Elena",
                first_surname="Quispe",
                second_surname="Mamani",
                birth_date="1979-01-30",
                nationality="PER",
                phone="955501234",
                documents=[{"type": "passport", "number": "PE5550123"}],
            )
        ),
    )
    note = persons.add_note(world.on_desk, world.person_id, {"text": "Trae contrato."})
    seen: list[tuple[int, int]] = []
    summary = sync_push.push(world.desk, world.server, progress=lambda d, t: seen.append((d, t)))
    assert (summary.sent, summary.applied, summary.already, summary.conflicts) == (2, 2, 0, 0)
    assert summary.duplicates == 0
    assert seen == [(1, 2), (2, 2)]
    assert person(world.server, made.person_id).first_surname == "Quispe"
    assert notes(world.server, world.person_id) == ["Trae contrato."]
    with world.server.read() as session:
        assert session.get(Note, note) is not None  # the desk's id
    assert {r.state for r in outbox_rows(world.desk)} == {"sent"}
    assert [r.result for r in outbox_rows(world.desk)] == ["applied", "applied"]
    # Every audit row of the desk is on the server with the same id.
    with world.desk.read() as session:
        desk_audit = set(session.scalars(sa.select(AuditEvent.id)))
    with world.server.read() as session:
        server_audit = set(session.scalars(sa.select(AuditEvent.id)))
    assert desk_audit <= server_audit
    again = sync_push.push(world.desk, world.server)
    assert again.sent == 0 and again.applied == 0


def test_a_lost_answer_is_found_already_applied_on_the_next_push(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(4):
        persons.add_note(world.on_desk, world.person_id, {"text": f"Nota {n}"})
    rows = outbox_rows(world.desk)
    lost = {rows[1].id}

    def answer(command_id: uuid.UUID) -> None:
        if command_id in lost:
            lost.clear()
            raise ConnectionError("the line dropped")

    monkeypatch.setattr(sync_push, "_answer", answer)
    with pytest.raises(sync_push.PushInterrupted) as cut:
        sync_push.push(world.desk, world.server)
    assert cut.value.summary.sent == 1 and cut.value.summary.applied == 1
    assert [r.state for r in outbox_rows(world.desk)] == ["sent", "pending", "pending", "pending"]
    summary = sync_push.push(world.desk, world.server)
    assert (summary.sent, summary.applied, summary.already) == (3, 2, 1)
    assert notes(world.server, world.person_id) == [f"Nota {n}" for n in range(4)]  # 0 doubles


def test_a_cut_before_the_server_answers_resumes_without_double_applies(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        persons.add_note(world.on_desk, world.other_id, {"text": f"Visita {n}"})
    real = outbox.replay
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise sa.exc.OperationalError("INSERT", {}, ConnectionError("server closed"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox, "replay", flaky)
    with pytest.raises(sync_push.PushInterrupted) as cut:
        sync_push.push(world.desk, world.server)
    assert cut.value.summary.applied == 2
    monkeypatch.setattr(outbox, "replay", real)
    summary = sync_push.push(world.desk, world.server)
    assert (summary.sent, summary.applied, summary.already) == (3, 3, 0)
    assert notes(world.server, world.other_id) == [f"Visita {n}" for n in range(5)]


def test_the_same_field_edited_on_desk_and_server_is_a_conflict_nothing_half_applied(
    world: World,
) -> None:
    edit(world.on_server, world.person_id, phone=("+56987654321", "911112222"))
    edit(
        world.on_desk,
        world.person_id,
        phone=("+56987654321", "933334444"),
        address=(None, "Pasaje Los Aromos 123"),
    )
    summary = sync_push.push(world.desk, world.server)
    assert (summary.sent, summary.applied, summary.conflicts) == (1, 0, 1)
    row = person(world.server, world.person_id)
    assert row.phone == "+56911112222" and row.address is None  # nothing of the command
    with world.server.read() as session:
        conflict = session.scalars(sa.select(SyncConflict)).one()
        trail = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity == "sync_conflict")
        ).all()
    assert conflict.kind == "conflict" and conflict.code == "edit_conflict"
    assert conflict.person_id == world.person_id
    (field,) = conflict.fields
    assert field["field"] == "phone" and field["current"] == "+56911112222"
    assert [a.action for a in trail] == ["conflict"]
    assert outbox_rows(world.desk)[0].result == "conflict"


def test_different_fields_edited_on_desk_and_server_both_stand(world: World) -> None:
    edit(world.on_server, world.person_id, phone=("+56987654321", "911112222"))
    edit(world.on_desk, world.person_id, address=(None, "Pasaje Los Aromos 123"))
    summary = sync_push.push(world.desk, world.server)
    assert (summary.applied, summary.conflicts) == (1, 0)
    row = person(world.server, world.person_id)
    assert row.phone == "+56911112222" and row.address == "Pasaje Los Aromos 123"


def test_later_commands_on_the_same_record_wait_behind_a_conflict(world: World) -> None:
    edit(world.on_server, world.person_id, phone=("+56987654321", "911112222"))
    edit(world.on_desk, world.person_id, phone=("+56987654321", "933334444"))
    persons.add_note(world.on_desk, world.person_id, {"text": "Después del cambio."})
    persons.add_note(world.on_desk, world.other_id, {"text": "Otra persona."})
    summary = sync_push.push(world.desk, world.server)
    assert (summary.conflicts, summary.waiting, summary.applied) == (1, 1, 1)
    assert notes(world.server, world.person_id) == []  # its order is kept: it waits
    assert notes(world.server, world.other_id) == ["Otra persona."]
    with world.server.read() as session:
        rows = session.scalars(sa.select(SyncConflict).order_by(SyncConflict.seq)).all()
    assert [r.kind for r in rows] == ["conflict", "waiting"]
    assert rows[1].blocked_by == rows[0].id and rows[1].code == "waits_behind"


def test_an_offline_intake_of_someone_on_record_is_applied_and_queued(world: World) -> None:
    # The office registers her meanwhile; the desk, offline, registers her with the same
    # passport: two records, one pair queued, nothing merged.
    data = person_data(
        given_names="Luz Marina",
        first_surname="Castañeda",
        second_surname="Rojas",
        birth_date="1990-06-11",
        nationality="COL",
        phone="944440000",
        documents=[{"type": "passport", "number": "CO4445556"}],
    )
    made = persons.register_intake(world.on_desk, intake_data(data))
    office = persons.register_intake(world.on_server, intake_data(dict(data, phone="977770000")))
    summary = sync_push.push(world.desk, world.server)
    assert (summary.applied, summary.duplicates) == (1, 1)
    with world.server.read() as session:
        pairs = session.scalars(sa.select(MatchPair)).all()
        assert session.get(Person, made.person_id) is not None
    assert len(pairs) == 1
    assert {pairs[0].person_a, pairs[0].person_b} == {made.person_id, office.person_id}
    assert pairs[0].status == "pending" and pairs[0].reasons
    assert outbox_rows(world.desk)[0].result == "duplicate"


def test_a_declared_not_the_same_person_is_not_queued(world: World) -> None:
    persons.register_intake(
        world.on_desk,
        intake_data(person_data(given_names="Yesenia", phone="999990000", documents=[])),
        not_same_as=[world.person_id],
    )
    summary = sync_push.push(world.desk, world.server)
    assert (summary.applied, summary.duplicates) == (1, 0)
    with world.server.read() as session:
        statuses = list(session.scalars(sa.select(MatchPair.status)))
    assert statuses == ["not_same"]


def test_a_command_the_database_itself_refuses_is_a_conflict_and_the_push_goes_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unique rule of the server's database (the same route opened at the same moment on
    another desk): the command becomes a conflict; the commands after it still go."""
    persons.add_note(world.on_desk, world.person_id, {"text": "Primera."})
    persons.add_note(world.on_desk, world.other_id, {"text": "Segunda."})
    real = sync_push.apply_command
    calls = {"n": 0}

    def refused_once(db: Database, cmd: object, **kw: object) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sa.exc.IntegrityError("INSERT ...", {}, Exception("unique"))
        return real(db, cmd, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(sync_push, "apply_command", refused_once)
    summary = sync_push.push(world.desk, world.server)
    assert (summary.sent, summary.conflicts, summary.applied) == (2, 1, 1)
    assert notes(world.server, world.other_id) == ["Segunda."]
    with world.server.read() as session:
        (code,) = session.scalars(sa.select(SyncConflict.code)).all()
    assert code == "sync_refused_by_database"
