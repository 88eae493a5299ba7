"""The pull (issue #17): an offline desk takes a fresh copy of the office server, from a
SQLite and a PostgreSQL server; the desk keeps its id, its unsent work and its encryption,
and a pull cut half-way leaves the old desk file as it was."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from casework.db import SQLITE_MAGIC, Database, EncryptionError, open_database
from casework.errors import CaseworkError, NotAllowed
from casework.models import AuditEvent, Person, SyncDesk, SyncOutbox
from casework.services import outbox, persons, sync_pull
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.synthetic import demo

from .factories import intake_data

PASSPHRASE = "clave del puesto de prueba"


def office(database: Database, people: int = 25) -> None:
    """A small synthetic office: persons, cases, contacts, referrals, audit rows."""
    demo.generate(Context(database), people)


def rows_of(db: Database, table: sa.Table) -> list[tuple[Any, ...]]:
    """The table's rows as Python values, in primary-key order."""
    with db.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.select(*table.c))]
    keys = [c.name for c in table.primary_key.columns] or [c.name for c in table.c]
    index = [list(table.c.keys()).index(k) for k in keys]
    return sorted(rows, key=lambda r: tuple(str(r[i]) for i in index))


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def desk_path(tmp_path: Path) -> Path:
    return tmp_path / "puesto" / "desk.db"


@pytest.fixture(autouse=True)
def _folder(desk_path: Path) -> None:
    desk_path.parent.mkdir()


def test_the_first_copy_holds_every_table_of_the_server(
    database: Database, desk_path: Path
) -> None:
    office(database)
    seen: list[tuple[int, int]] = []
    summary = sync_pull.pull(
        desk_path,
        database,
        name="Operativo Bajos de Mena",
        progress=lambda d, t: seen.append((d, t)),
    )
    assert summary.first and summary.persons == 25 and summary.rows > 25
    assert seen[-1] == (summary.rows, summary.rows)
    assert not desk_path.with_name(desk_path.name + ".pulling").exists()
    desk = open_database(str(desk_path))
    try:
        for table in sync_pull.copied_tables():
            assert rows_of(desk, table) == rows_of(database, table), table.name
        with desk.read() as s:
            row = s.scalars(sa.select(SyncDesk)).one()
            assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 25
        assert row.name == "Operativo Bajos de Mena"
        assert row.server == database.describe() and row.id == summary.desk_id
        assert row.pushed_at is None and row.copied_at is not None
        # The copy is an ordinary casework database the desk opens: its own queries work.
        with desk.read() as s:
            names = s.scalars(sa.select(Person.sort_name).limit(3)).all()
        assert len(names) == 3
    finally:
        desk.dispose()


def test_a_second_pull_keeps_the_desk_and_brings_what_the_office_did_meanwhile(
    database: Database, desk_path: Path, worker: WorkerOut
) -> None:
    office(database, 10)
    first = sync_pull.pull(desk_path, database, name="Puesto 1")
    persons.register_intake(Context(database, worker.id), intake_data())
    second = sync_pull.pull(desk_path, database, name="another name is ignored")
    assert not second.first and second.desk_id == first.desk_id
    assert second.persons == first.persons + 1
    desk = open_database(str(desk_path))
    try:
        with desk.read() as s:
            row = s.scalars(sa.select(SyncDesk)).one()
            assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 11
        assert row.id == first.desk_id and row.name == "Puesto 1"
    finally:
        desk.dispose()


def test_unsent_work_is_carried_over_and_still_seen_on_the_desk(
    database: Database, desk_path: Path, worker: WorkerOut
) -> None:
    office(database, 5)
    sync_pull.pull(desk_path, database, name="Puesto 1")
    desk = open_database(str(desk_path))
    try:
        assert outbox.is_desk(desk)
        made = persons.register_intake(Context(desk, worker.id), intake_data())
        with desk.read() as s:
            before = s.scalars(sa.select(SyncOutbox)).all()
        assert len(before) == 1 and before[0].state == "pending"
    finally:
        desk.dispose()

    summary = sync_pull.pull(desk_path, database)
    assert summary.carried == 1 and summary.reapplied == 1
    desk = open_database(str(desk_path))
    try:
        with desk.read() as s:
            after = s.scalars(sa.select(SyncOutbox)).all()
            # The person registered offline is on the new copy, under the same id.
            assert s.get(Person, made.person_id) is not None
        assert [(o.id, o.seq, o.state, o.command) for o in after] == [
            (o.id, o.seq, o.state, o.command) for o in before
        ]
        status = outbox.desk_status(desk)
        assert status is not None and status.waiting == 1
    finally:
        desk.dispose()
    with database.read() as s:  # the server has not seen it: the push sends it
        assert s.get(Person, made.person_id) is None


def test_an_encrypted_desk_stays_encrypted(database: Database, desk_path: Path) -> None:
    office(database, 5)
    first = sync_pull.pull(desk_path, database, name="Puesto cifrado", passphrase=PASSPHRASE)
    assert first.encrypted
    assert not desk_path.read_bytes().startswith(SQLITE_MAGIC)
    with pytest.raises(EncryptionError) as refused:
        sync_pull.pull(desk_path, database)
    assert "cifrado" in refused.value.__str__() or "encrypted" in str(refused.value)
    second = sync_pull.pull(desk_path, database, passphrase=PASSPHRASE)
    assert second.desk_id == first.desk_id
    assert not desk_path.read_bytes().startswith(SQLITE_MAGIC)
    desk = open_database(str(desk_path), passphrase=PASSPHRASE)
    try:
        with desk.read() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 5
    finally:
        desk.dispose()


def test_a_pull_cut_half_way_leaves_the_old_desk_whole(database: Database, desk_path: Path) -> None:
    office(database, 10)
    sync_pull.pull(desk_path, database, name="Puesto 1")
    before = file_hash(desk_path)

    def cut(done: int, total: int) -> None:
        if done > 0:
            raise ConnectionError("the network went away")

    with pytest.raises(ConnectionError):
        sync_pull.pull(desk_path, database, progress=cut)
    assert file_hash(desk_path) == before
    assert sorted(p.name for p in desk_path.parent.iterdir()) == ["desk.db"]


def test_a_file_that_is_not_a_desk_is_never_replaced(
    database: Database, tmp_path: Path, sqlite_template: Path
) -> None:
    office(database, 3)
    other = tmp_path / "office.db"
    shutil.copy(sqlite_template, other)
    before = file_hash(other)
    with pytest.raises(CaseworkError) as refused:
        sync_pull.pull(other, database)
    assert refused.value.code == "sync_file_not_desk"
    assert file_hash(other) == before


def test_the_first_copy_is_for_supervisors_and_is_audited_on_the_server(
    database: Database, desk_path: Path, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    office(database, 4)
    with pytest.raises(NotAllowed):
        sync_pull.copy_office(Context(database, worker.id), desk_path)
    assert not desk_path.exists()
    summary = sync_pull.copy_office(Context(database, supervisor.id), desk_path, name="P")
    with database.read() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "desk_copy")).all()
    assert len(events) == 1
    event = events[0]
    assert event.worker_id == supervisor.id and event.entity == "sync_desk"
    assert event.entity_id == summary.desk_id
    assert event.details == {"rows": summary.rows, "persons": 4, "encrypted": False}
    with pytest.raises(CaseworkError):  # a second "first copy" onto the same file
        sync_pull.copy_office(Context(database, supervisor.id), desk_path)


def test_desk_ids_are_new_for_each_new_desk(database: Database, tmp_path: Path) -> None:
    office(database, 2)
    a = sync_pull.pull(tmp_path / "a.db", database, name="A").desk_id
    b = sync_pull.pull(tmp_path / "b.db", database, name="B").desk_id
    assert isinstance(a, uuid.UUID) and a != b
