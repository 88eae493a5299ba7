"""`casework backup` while desks work, and `casework restore` that checks before it replaces."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from casework.cli import main
from casework.db import BACKUPS_KEPT, Database, is_encrypted_file, open_database
from casework.services import backup, persons, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data


@pytest.fixture
def office(tmp_path: Path, sqlite_template: Path) -> tuple[Database, WorkerOut]:
    path = tmp_path / "office.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    admin = staff.first_run(
        Context(db), {"code": "OFMIG", "name": "Oficina"}, {"username": "ana", "full_name": "Ana"}
    )
    return db, admin


@pytest.fixture
def ana(
    office: tuple[Database, WorkerOut], cli_user: Callable[[Database, str], list[str]]
) -> list[str]:
    """The office's administrator signing in: backing up the office, or restoring over it,
    is an administrator's act."""
    return cli_user(office[0], "ana")


def _add(db: Database, who: WorkerOut, n: int) -> None:
    data = person_data(given_names=f"Persona{n:04d}", documents=[])
    persons.register_intake(Context(db, who.id), intake_data(data), allow_likely=True)


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
    office: tuple[Database, WorkerOut],
    ana: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, admin = office
    _add(db, admin, 1)
    path = db.file_path
    assert path is not None
    db.dispose()
    assert main(["backup", "--db", str(path), "--out", str(tmp_path / "monday.db"), *ana]) == 0
    assert "monday.db" in capsys.readouterr().out
    db = open_database(str(path))
    _add(db, admin, 2)
    db.dispose()
    assert _people(path) == {"Persona0001", "Persona0002"}
    assert main(["restore", str(tmp_path / "monday.db"), "--db", str(path), *ana]) == 0
    assert "1 personas" in capsys.readouterr().out
    assert _people(path) == {"Persona0001"}
    [replaced] = (tmp_path / "backups").glob("office-*-pre-restore.db")
    assert _people(replaced) == {"Persona0001", "Persona0002"}


def test_a_damaged_or_foreign_file_is_refused_and_changes_nothing(
    office: tuple[Database, WorkerOut],
    ana: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
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
        assert main(["--lang", "en", "restore", str(bad), "--db", str(path), *ana]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert _people(path) == {"Persona0001"}
    assert not (tmp_path / "backups").exists()


PASSPHRASE = "clave de respaldo 2026"


def _rows(path: Path, passphrase: str | None = None) -> dict[str, int]:
    db = open_database(str(path), upgrade=False, passphrase=passphrase)
    try:
        with db.engine.connect() as conn:
            names = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).scalars()
            return {
                n: conn.exec_driver_sql(f'SELECT count(*) FROM "{n}"').scalar_one() for n in names
            }
    finally:
        db.dispose()


def _names(path: Path, passphrase: str | None = None) -> set[str]:
    db = open_database(str(path), upgrade=False, passphrase=passphrase)
    try:
        with db.engine.connect() as conn:
            return set(conn.exec_driver_sql("SELECT given_names FROM person").scalars())
    finally:
        db.dispose()


def _restore(*args: str) -> int:
    return main(["--lang", "en", "restore", *args])


def test_restoring_the_oldest_kept_backup_never_prunes_it(
    office: tuple[Database, WorkerOut], ana: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, admin = office
    path = db.file_path
    assert path is not None
    _add(db, admin, 1)
    copies = [db.backup_file(reason=f"n{i:02d}") for i in range(BACKUPS_KEPT)]
    oldest = copies[0]
    assert oldest is not None
    before = oldest.read_bytes()
    _add(db, admin, 2)
    db.dispose()
    assert main(["restore", str(oldest), "--db", str(path), *ana]) == 0
    out = capsys.readouterr().out
    # The one being restored is still there, byte for byte; the replaced one is named.
    assert oldest.read_bytes() == before
    [previous] = (path.parent / "backups").glob("office-*-pre-restore.db")
    assert str(previous) in out and "1 personas" in out
    assert _names(path) == {"Persona0001"}
    assert _names(previous) == {"Persona0001", "Persona0002"}
    # The next command works on the restored office (no silent fresh, empty one).
    assert main(["worker", "list", "--db", str(path), *ana]) == 0
    assert "ana" in capsys.readouterr().out


def test_restore_to_a_new_path_plain_and_encrypted(
    office: tuple[Database, WorkerOut],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, admin = office
    _add(db, admin, 1)
    plain_copy = backup.backup(db, tmp_path / "plain-copy.db")
    db.dispose()
    assert _restore(str(plain_copy), "--db", str(tmp_path / "fresh.db")) == 0
    assert "no database at" in capsys.readouterr().out
    assert _names(tmp_path / "fresh.db") == {"Persona0001"}
    assert _rows(tmp_path / "fresh.db")["audit_event"] == _rows(plain_copy)["audit_event"] + 1

    enc_path = tmp_path / "enc-office.db"
    shutil.copy(plain_copy, enc_path)
    backup.encrypt(open_database(str(enc_path), upgrade=False), PASSPHRASE)
    monkeypatch.setenv("CASEWORK_PASSPHRASE", PASSPHRASE)
    assert _restore(str(enc_path), "--db", str(tmp_path / "fresh-enc.db")) == 0
    assert "(encrypted)" in capsys.readouterr().out
    assert is_encrypted_file(tmp_path / "fresh-enc.db")
    assert _names(tmp_path / "fresh-enc.db", PASSPHRASE) == {"Persona0001"}


def test_restore_across_plain_and_encrypted_keeps_the_office_encrypted(
    office: tuple[Database, WorkerOut],
    ana: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, admin = office
    _add(db, admin, 1)
    plain_copy = backup.backup(db, tmp_path / "plain-copy.db")
    db.dispose()
    enc_office = tmp_path / "enc.db"
    shutil.copy(plain_copy, enc_office)
    enc_db = open_database(str(enc_office), upgrade=False)
    backup.encrypt(enc_db, PASSPHRASE)
    enc_db = open_database(str(enc_office), passphrase=PASSPHRASE)
    _add(enc_db, admin, 2)
    enc_copy = backup.backup(enc_db, tmp_path / "enc-copy.db")
    enc_db.dispose()
    monkeypatch.setenv("CASEWORK_PASSPHRASE", PASSPHRASE)

    # A plain backup onto the encrypted office: restored, and still encrypted.
    assert _restore(str(plain_copy), "--db", str(enc_office), *ana) == 0
    assert is_encrypted_file(enc_office)
    assert _names(enc_office, PASSPHRASE) == {"Persona0001"}
    # An encrypted backup onto a plain office: restored, and encrypted from now on.
    plain_office = tmp_path / "office.db"
    assert _restore(str(enc_copy), "--db", str(plain_office), *ana) == 0
    out = capsys.readouterr().out
    assert "(encrypted)" in out
    assert is_encrypted_file(plain_office)
    assert _names(plain_office, PASSPHRASE) == {"Persona0001", "Persona0002"}
    [previous] = (tmp_path / "backups").glob("office-*-pre-restore.db")
    assert not is_encrypted_file(previous) and _names(previous) == {"Persona0001"}


def _refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert _restore(*args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_a_damaged_backup_is_called_damaged_and_the_office_is_untouched(
    office: tuple[Database, WorkerOut],
    ana: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sqlite3

    db, admin = office
    _add(db, admin, 1)
    path = db.file_path
    assert path is not None
    bad_name = backup.backup(db, tmp_path / "bad-name.db")
    db.dispose()
    # A stored name whose bytes are not UTF-8: integrity_check does not see it.
    with sqlite3.connect(bad_name) as conn:
        conn.execute("UPDATE person SET given_names = CAST(X'50657273ff6e61' AS TEXT)")
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    office_bytes = path.read_bytes()
    err = _refused([str(bad_name), "--db", str(path), *ana], capsys)
    assert "is damaged" in err and "person.given_names" in err
    # A page of the file overwritten with zeros.
    torn = tmp_path / "torn.db"
    data = bytearray(bad_name.read_bytes())
    data[4096 * 3 : 4096 * 4] = bytes(4096)
    torn.write_bytes(bytes(data))
    assert "is damaged" in _refused([str(torn), "--db", str(path), *ana], capsys)
    assert path.read_bytes() == office_bytes
    assert not (tmp_path / "backups").exists()
    assert not list(tmp_path.glob("*.restoring*"))


def test_encrypted_backups_damaged_or_under_another_key(
    office: tuple[Database, WorkerOut],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, admin = office
    for n in range(30):
        _add(db, admin, n)
    enc = backup.backup(db, tmp_path / "copy.db")
    db.dispose()
    backup.encrypt(open_database(str(enc), upgrade=False), PASSPHRASE)
    data = bytearray(enc.read_bytes())
    assert len(data) > 4096 * 8
    data[4096 * 6 + 100 : 4096 * 6 + 132] = bytes(32)  # page 7: page 1 still decrypts
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data))
    target = str(tmp_path / "new.db")
    monkeypatch.setenv("CASEWORK_PASSPHRASE", PASSPHRASE)
    err = _refused([str(damaged), "--db", target], capsys)
    assert "is damaged" in err and "HMAC" in err and "passphrase" not in err
    monkeypatch.setenv("CASEWORK_PASSPHRASE", "otra clave")
    assert "does not open the encrypted backup" in _refused([str(enc), "--db", target], capsys)
    monkeypatch.delenv("CASEWORK_PASSPHRASE")
    assert "is encrypted" in _refused([str(enc), "--db", target], capsys)
    assert not (tmp_path / "new.db").exists()


def test_files_that_are_neither_sqlite_nor_sqlcipher_are_named_so(
    office: tuple[Database, WorkerOut],
    ana: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, _admin = office
    path = str(db.file_path)
    db.dispose()
    text = tmp_path / "notes.db"
    text.write_text("Acta de reunión\n" * 512)  # a multiple of 512 bytes, not random
    cut = tmp_path / "cut.db"
    cut.write_bytes(os.urandom(5000))  # random, but no whole number of pages
    empty = tmp_path / "empty.db"
    empty.touch()
    for bad in (text, cut):
        assert "neither SQLite nor an encrypted" in _refused([str(bad), "--db", path, *ana], capsys)
    assert "is empty" in _refused([str(empty), "--db", path, *ana], capsys)


def test_a_backup_from_an_unknown_schema_or_while_a_desk_is_open_is_refused(
    office: tuple[Database, WorkerOut],
    ana: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sqlite3

    db, admin = office
    _add(db, admin, 1)
    path = db.file_path
    assert path is not None
    newer = backup.backup(db, tmp_path / "newer.db")
    good = backup.backup(db, tmp_path / "good.db")
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f999_from_the_future'")
    conn.close()
    db.dispose()
    assert "unknown schema" in _refused([str(newer), "--db", str(path), *ana], capsys)
    desk = open_database(str(path))
    _add(desk, admin, 2)  # a desk is still open on the file
    for i in range(BACKUPS_KEPT):
        desk.backup_file(reason=f"n{i:02d}")
    kept = sorted((path.parent / "backups").iterdir())
    try:
        assert "has the database" in _refused([str(good), "--db", str(path), *ana], capsys)
    finally:
        desk.dispose()
    assert _names(path) == {"Persona0001", "Persona0002"}
    # Refused before anything was copied: no pre-restore copy, no old backup pruned.
    assert sorted((path.parent / "backups").iterdir()) == kept


def test_a_backup_at_an_older_revision_is_brought_to_the_newest(
    office: tuple[Database, WorkerOut],
    ana: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from alembic import command

    db, _admin = office
    path = db.file_path
    head = db.head_revision()
    db.dispose()
    old = tmp_path / "old.db"
    old_db = Database(f"sqlite:///{old}")
    cfg = old_db.alembic_config()
    command.upgrade(cfg, "0007")
    old_db.dispose()
    assert _restore(str(old), "--db", str(path), *ana) == 0
    assert f"schema {head}" in capsys.readouterr().out
    check = open_database(str(path), upgrade=False)
    try:
        assert check.current_revision() == head
    finally:
        check.dispose()
