"""Files only their owner reads (issue #12 point 4): every file casework writes is 0600 in
folders it made 0700, whatever the umask; a key file others may read is refused; every
security act (encrypting, restore, role or programme change) leaves one audit row."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import paths
from casework.cli import main
from casework.db import Database, EncryptionError, open_database, read_passphrase_file
from casework.models import AuditEvent
from casework.services import backup, panel, persons, rights, settings, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.synthetic import demo

from .factories import intake_data

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")

KEY = "una clave larga de prueba"


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """The umask most desktops have: without explicit modes every file would be 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _loose(root: Path) -> dict[str, str]:
    """Everything under ``root`` (and ``root``) that is not owner-only."""
    found = {}
    for item in [root, *root.rglob("*")]:
        want = 0o700 if item.is_dir() else 0o600
        if _mode(item) != want:
            found[str(item.relative_to(root.parent))] = oct(_mode(item))
    return found


def _office(path: Path) -> tuple[Database, WorkerOut]:
    db = open_database(str(path))
    admin = staff.first_run(
        Context(db), {"code": "OFMIG", "name": "Oficina"}, {"username": "ana", "full_name": "Ana"}
    )
    return db, admin


def _actions(db: Database, action: str) -> list[tuple[object, dict[str, object]]]:
    with db.read() as s:
        rows = s.execute(
            sa.select(AuditEvent.worker_id, AuditEvent.details).where(AuditEvent.action == action)
        ).all()
    return [(w, d) for w, d in rows]


def test_a_new_database_its_wal_and_shm_and_its_folder_are_owner_only(
    isolated_user_dirs: Path,
) -> None:
    db, admin = _office(paths.default_db_path())  # the data folder does not exist yet
    try:
        persons.register_intake(Context(db, admin.id), intake_data())
        names = {p.name for p in isolated_user_dirs.iterdir()}
        assert {"casework.db", "casework.db-wal", "casework.db-shm"} <= names
        assert _loose(isolated_user_dirs) == {}
    finally:
        db.dispose()


def test_an_older_database_left_readable_by_all_is_tightened_when_opened(
    isolated_user_dirs: Path,
) -> None:
    db, _ = _office(paths.default_db_path())
    backup.backup(db)
    db.dispose()
    copy = next((isolated_user_dirs / "backups").iterdir())
    for item, mode in [
        (isolated_user_dirs, 0o755),
        (isolated_user_dirs / "backups", 0o755),
        (paths.default_db_path(), 0o644),
        (copy, 0o644),
    ]:
        item.chmod(mode)
    db = open_database(None)
    try:
        assert _mode(paths.default_db_path()) == 0o600
        assert _mode(isolated_user_dirs) == 0o700
        backup.backup(db)  # the backups folder and the copies an older version left
        assert _loose(isolated_user_dirs) == {}
    finally:
        db.dispose()


def test_backup_and_restore_write_owner_only_files(
    isolated_user_dirs: Path, tmp_path: Path
) -> None:
    db, _ = _office(paths.default_db_path())
    elsewhere = backup.backup(db, tmp_path / "pendrive" / "lunes.db")
    assert (_mode(elsewhere.parent), _mode(elsewhere)) == (0o700, 0o600)
    modes: dict[str, int] = {}

    def step(name: str) -> None:
        restoring = paths.default_db_path().with_name("casework.db.restoring")
        if name == "checked":
            modes["restoring"] = _mode(restoring)

    report = backup.restore(paths.default_db_path(), elsewhere, current=db, step=step)
    assert modes == {"restoring": 0o600}
    assert report.previous is not None and report.previous.name.endswith("-pre-restore.db")
    assert _loose(isolated_user_dirs) == {}
    restored = open_database(None)
    try:
        [(actor, details)] = _actions(restored, "restore")
        assert actor is None and details["via"] == "command_line"
        assert details["source"] == "lunes.db"
    finally:
        restored.dispose()


def test_a_restore_onto_an_encrypted_office_stays_owner_only(
    isolated_user_dirs: Path, tmp_path: Path
) -> None:
    db, _ = _office(paths.default_db_path())
    plain = backup.backup(db, tmp_path / "plain.db")
    backup.encrypt(db, KEY)
    db = open_database(None, passphrase=KEY)
    try:
        backup.restore(paths.default_db_path(), plain, current=db)
    finally:
        db.dispose()
    assert _loose(isolated_user_dirs) == {}


def test_exports_and_rights_answers_are_owner_only(
    isolated_user_dirs: Path, tmp_path: Path
) -> None:
    db, admin = _office(paths.default_db_path())
    try:
        ctx = Context(db, admin.id)
        settings.set_municipality(ctx, {"code": "13101", "version": 0})
        desktop = tmp_path / "Escritorio"
        desktop.mkdir(mode=0o755)
        desktop.chmod(0o755)
        result = panel.export(ctx, "2026-Q3", desktop / "mesa")
        assert result.files and _loose(desktop / "mesa") == {}
        for path in result.files:
            path.chmod(0o644)
        again = panel.export(ctx, "2026-Q3", desktop)  # a folder the user chose
        assert _mode(desktop) == 0o755  # theirs: left as it was
        assert {_mode(p) for p in again.files} == {0o600}

        # A rights answer is a supervisor's act (of the person's programme).
        sup = staff.create_worker(
            ctx,
            {
                "username": "sup",
                "full_name": "Supervisora",
                "role": "supervisor",
                "programme_code": "OFMIG",
            },
        )
        boss = Context(db, sup.id)
        pid = persons.register_intake(boss, intake_data()).person_id
        req = rights.register(boss, {"person_id": pid, "kind": "access", "identity_checked": True})
        answer = rights.answer_access_to(boss, req.id, rights.default_answer_folder())
        assert answer.json_path.parent == isolated_user_dirs / "casework-exports"
        assert _loose(isolated_user_dirs) == {}
    finally:
        db.dispose()


def test_the_demo_database_is_owner_only(isolated_user_dirs: Path) -> None:
    db = open_database(str(isolated_user_dirs / "demo.db"))
    try:
        demo.generate(Context(db), 30, seed=5)  # rows written by a second process
        assert (isolated_user_dirs / "demo.db-wal").exists()
        assert _loose(isolated_user_dirs) == {}
    finally:
        db.dispose()


def test_a_key_file_others_can_read_is_refused_and_the_database_untouched(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    db, _ = _office(tmp_path / "office.db")
    signed = cli_user(db, "ana")  # a backup is an administrator's act
    backup.encrypt(db, KEY)
    key = tmp_path / "clave.txt"
    key.write_text(KEY + "\n")
    key.chmod(0o644)
    before = hashlib.sha256((tmp_path / "office.db").read_bytes()).hexdigest()
    with pytest.raises(EncryptionError) as err:
        read_passphrase_file(key)
    assert err.value.code == "secret_file_open"
    args = ["backup", "--db", str(tmp_path / "office.db"), "--passphrase-file", str(key), *signed]
    assert main(args) == 2
    message = capsys.readouterr().err
    assert str(key) in message and f"chmod 600 {key}" in message
    assert "\n" not in message.strip()
    assert hashlib.sha256((tmp_path / "office.db").read_bytes()).hexdigest() == before
    assert not (tmp_path / "backups").exists()
    key.chmod(0o600)
    assert read_passphrase_file(key) == KEY
    assert main(args) == 0


def test_init_encrypt_is_audited_once_by_who_signed_in(
    tmp_path: Path, cli_user: Callable[[Database, str], list[str]]
) -> None:
    key = tmp_path / "clave.txt"
    key.write_text(KEY)
    key.chmod(0o600)
    existing = tmp_path / "office.db"
    office, admin = _office(existing)
    signed = cli_user(office, "ana")  # an office with workers: its administrator signs in
    office.dispose()
    backup.backup(open_database(str(existing)))  # a plain backup, encrypted with it
    new = tmp_path / "nueva.db"  # nobody to sign in yet: the command line did it
    for path, extra in ((existing, signed), (new, [])):
        args = ["init", "--encrypt", "--db", str(path), "--passphrase-file", str(key), *extra]
        assert main(args) == 0
    for path, who, details in [
        (existing, admin.id, {"backups": 1}),
        (new, None, {"new_database": True, "via": "command_line"}),
    ]:
        db = open_database(str(path), passphrase=KEY)
        try:
            assert _actions(db, "encrypt") == [(who, details)]
        finally:
            db.dispose()
        assert _mode(path) == 0o600


def test_encrypting_outside_the_command_line_is_owner_only_too(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "office.db"
    shutil.copy(sqlite_template, path)
    path.chmod(0o644)
    backup.encrypt(open_database(str(path)), KEY)
    assert _mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["office.db"]


def test_role_and_programme_changes_are_audited_with_their_codes(
    database: Database, admin: WorkerOut, worker: WorkerOut
) -> None:
    ctx = Context(database, admin.id)
    staff.create_programme(ctx, {"code": "SALUD", "name": "Salud"})
    change = {"full_name": "Daniela Fuentes", "role": "supervisor", "programme_code": "OFMIG"}
    staff.change_worker(ctx, worker.id, change)
    staff.change_worker(ctx, worker.id, {**change, "programme_code": "SALUD"})
    staff.change_worker(ctx, worker.id, {**change, "programme_code": "SALUD"})  # no change
    assert _actions(database, "role_change") == [
        (admin.id, {"from_role": "worker", "to_role": "supervisor"})
    ]
    assert _actions(database, "programme_change") == [
        (admin.id, {"from_programme": "OFMIG", "to_programme": "SALUD"})
    ]
    with database.read() as s:
        updates = s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "update", AuditEvent.entity == "worker")
        )
    assert updates == 0
