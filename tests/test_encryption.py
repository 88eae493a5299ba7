"""Encryption at rest: a SQLCipher file shows nothing of the people in it, without the key
nothing opens, and a plain database can be converted."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from casework.cli import main
from casework.db import Database, EncryptionError, is_encrypted_file, open_database
from casework.services import backup, persons, staff
from casework.services.context import Context

from .conftest import CLI_PASSWORD
from .factories import intake_data, person_data

PASSPHRASE = "tres tristes tigres 2026"
# Synthetic values that would stand out in the file's bytes.
NAME = "Wilmerzon"
DOC = "ZQ8877665"


def _fill(db: Database) -> None:
    ctx = Context(db)
    admin = staff.first_run(
        ctx, {"code": "OFMIG", "name": "Oficina"}, {"username": "ana", "full_name": "Ana"}
    )
    data = person_data(
        given_names=NAME, documents=[{"type": "passport", "number": DOC}], phone="987650001"
    )
    persons.register_intake(Context(db, admin.id), intake_data(data))


def _bytes(path: Path) -> bytes:
    out = b""
    for suffix in ("", "-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            out += side.read_bytes()
    return out


def _no_personal_values(path: Path) -> None:
    raw = _bytes(path)
    for value in (NAME, DOC, "987650001", "Rondón", "Consulta por residencia"):
        assert value.encode() not in raw, value
    assert b"SQLite format 3" not in raw[:16]


def test_no_personal_value_appears_in_the_encrypted_files_bytes(tmp_path: Path) -> None:
    path = tmp_path / "enc.db"
    db = open_database(str(path), passphrase=PASSPHRASE)
    _fill(db)
    _no_personal_values(path)  # while open, with the WAL beside it
    copy = backup.backup(db, tmp_path / "copy.db")
    db.dispose()
    _no_personal_values(path)
    _no_personal_values(copy)
    # The same check on a plain file does find them: the test can see a leak.
    plain = open_database(str(tmp_path / "plain.db"))
    _fill(plain)
    plain.dispose()
    assert NAME.encode() in _bytes(tmp_path / "plain.db")


def test_wrong_or_missing_passphrase_is_a_clear_message(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    password_file: Callable[[str], Path],
) -> None:
    path = tmp_path / "enc.db"
    open_database(str(path), passphrase=PASSPHRASE).dispose()
    with pytest.raises(EncryptionError) as err:
        open_database(str(path), passphrase="not it")
    assert err.value.code == "wrong_passphrase"
    signed = ["--user", "ana", "--password-file", str(password_file(CLI_PASSWORD))]
    assert main(["--lang", "en", "backup", "--db", str(path), *signed]) == 2
    assert capsys.readouterr().err.strip() == (
        "casework: The database is encrypted: type its passphrase, or use "
        "CASEWORK_PASSPHRASE or --passphrase-file."
    )
    monkeypatch.setenv("CASEWORK_PASSPHRASE", "not it either")
    assert main(["--lang", "en", "backup", "--db", str(path), *signed]) == 2
    err_text = capsys.readouterr().err
    assert "does not open this database" in err_text and "Traceback" not in err_text


def test_init_encrypt_then_unattended_backup_from_a_passphrase_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    path = tmp_path / "office.db"
    key = tmp_path / "key.txt"
    key.write_text(PASSPHRASE + "\n")
    key.chmod(0o600)  # a key file others may read is refused (test_private_files)
    assert main(["init", "--encrypt", "--db", str(path), "--passphrase-file", str(key)]) == 0
    assert is_encrypted_file(path)
    office = open_database(str(path), passphrase=PASSPHRASE)
    _fill(office)
    signed = cli_user(office, "ana")  # the administrator's password file, for the script
    office.dispose()
    out = tmp_path / "nightly.db"
    args = ["backup", "--db", str(path), "--passphrase-file", str(key), "--out", str(out)]
    assert main([*args, *signed]) == 0
    assert is_encrypted_file(out)
    printed = capsys.readouterr()
    assert PASSPHRASE not in printed.out + printed.err
    # The passphrase is in no file casework wrote.
    for written in tmp_path.rglob("*"):
        if written.is_file() and written != key:
            assert PASSPHRASE.encode() not in written.read_bytes()
        if written.is_file() and str(written) != signed[-1]:
            assert CLI_PASSWORD.encode() not in written.read_bytes()


def test_a_plain_database_and_its_backups_are_converted(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    path = tmp_path / "old.db"
    db = open_database(str(path))
    _fill(db)
    signed = cli_user(db, "ana")  # encrypting an office with workers: its administrator
    db.backup_file(reason="earlier")
    db.dispose()
    monkeypatch.setenv("CASEWORK_PASSPHRASE", PASSPHRASE)
    assert main(["init", "--encrypt", "--db", str(path), *signed]) == 0
    assert "1" in capsys.readouterr().out
    _no_personal_values(path)
    [old_copy] = (tmp_path / "backups").glob("old-*.db")
    _no_personal_values(old_copy)
    db = open_database(str(path))  # from CASEWORK_PASSPHRASE
    ana = staff.find_worker(Context(db), "ana")
    assert ana is not None  # the search is a signed-in worker's
    assert [p.given_names for p in persons.search_persons(Context(db, ana.id), NAME)] == [NAME]
    db.dispose()
    assert main(["init", "--encrypt", "--db", str(path)]) == 2
    assert "ya está cifrada" in capsys.readouterr().err


def test_the_engine_url_never_holds_the_passphrase(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "e.db"), passphrase=PASSPHRASE)
    assert PASSPHRASE not in str(db.engine.url)
    assert PASSPHRASE not in db.describe()
    assert PASSPHRASE not in db.alembic_config().get_main_option("sqlalchemy.url", "")
    db.dispose()
    shutil.rmtree(tmp_path / "backups", ignore_errors=True)


def test_the_desk_opens_an_encrypted_file_with_a_passphrase_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "puesto.db"
    db = open_database(str(path), passphrase=PASSPHRASE)
    _fill(db)
    db.dispose()
    key = tmp_path / "clave.txt"
    key.write_text(PASSPHRASE + "\n")
    key.chmod(0o600)
    opened: list[bool] = []

    def run_app(database: Database, demo: bool = False) -> int:
        opened.append(database.encrypted and not staff.is_empty(Context(database)))
        return 0

    monkeypatch.setattr("casework.app.run_app", run_app)
    monkeypatch.setattr("casework.cli.require_terminal", lambda _code: None)
    monkeypatch.delenv("CASEWORK_PASSPHRASE", raising=False)
    assert main(["--db", str(path), "--passphrase-file", str(key)]) == 0
    assert opened == [True]  # opened with the key, no prompt
