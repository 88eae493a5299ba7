"""`casework backup` while desks work, and `casework restore` that checks before it replaces."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from casework.cli import main
from casework.db import Database, open_database
from casework.services import backup, persons, workers
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data


@pytest.fixture
def office(tmp_path: Path, sqlite_template: Path) -> tuple[Database, WorkerOut]:
    path = tmp_path / "office.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    admin = workers.first_run(
        Context(db), {"code": "OFMIG", "name": "Oficina"}, {"username": "ana", "full_name": "Ana"}
    )
    return db, admin


def _add(db: Database, who: WorkerOut, n: int) -> None:
    data = person_data(given_names=f"Persona{n:04d}", documents=[])
    persons.register_intake(Context(db, who.id), intake_data(data))


def _people(path: Path) -> set[str]:
    db = open_database(str(path), upgrade=False)
    try:
        with db.engine.connect() as conn:
            return set(conn.exec_driver_sql("SELECT given_names FROM person").scalars())
    finally:
        db.dispose()


def test_backup_while_a_desk_writes_is_a_consistent_copy(
    office: tuple[Database, WorkerOut], tmp_path: Path
) -> None:
    db, admin = office
    _add(db, admin, 0)
    stop = threading.Event()
    written: list[int] = []

    def desk() -> None:
        n = 1
        while not stop.is_set() and n < 200:
            _add(db, admin, n)
            written.append(n)
            n += 1

    writer = threading.Thread(target=desk)
    writer.start()
    try:
        copies = [backup.backup(db, tmp_path / f"copy{i}.db") for i in range(3)]
    finally:
        stop.set()
        writer.join()
    sizes = []
    for copy in copies:
        names = _people(copy)
        # Whole intakes only: every copy holds a prefix of what was committed.
        assert names == {f"Persona{i:04d}" for i in range(len(names))}
        sizes.append(len(names))
    assert sizes == sorted(sizes)
    assert len(_people(db.file_path)) == len(written) + 1  # type: ignore[arg-type]


def test_restore_brings_back_the_copy_and_keeps_the_replaced_one(
    office: tuple[Database, WorkerOut], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, admin = office
    _add(db, admin, 1)
    path = db.file_path
    assert path is not None
    db.dispose()
    assert main(["backup", "--db", str(path), "--out", str(tmp_path / "monday.db")]) == 0
    assert "monday.db" in capsys.readouterr().out
    db = open_database(str(path))
    _add(db, admin, 2)
    db.dispose()
    assert _people(path) == {"Persona0001", "Persona0002"}
    assert main(["restore", str(tmp_path / "monday.db"), "--db", str(path)]) == 0
    assert "1 personas" in capsys.readouterr().out
    assert _people(path) == {"Persona0001"}
    [replaced] = (tmp_path / "backups").glob("office-*-pre-restore.db")
    assert _people(replaced) == {"Persona0001", "Persona0002"}


def test_a_damaged_or_foreign_file_is_refused_and_changes_nothing(
    office: tuple[Database, WorkerOut], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, admin = office
    _add(db, admin, 1)
    path = db.file_path
    assert path is not None
    db.dispose()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    other = tmp_path / "other.db"
    import sqlite3

    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (v TEXT)")
    conn.close()
    for bad in (junk, other, tmp_path / "missing.db"):
        assert main(["--lang", "en", "restore", str(bad), "--db", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert _people(path) == {"Persona0001"}
    assert not (tmp_path / "backups").exists()
