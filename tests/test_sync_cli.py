"""`casework sync` and `casework sync status` (issue #17), as an office's staff run them: the
first copy onto a new desk file (supervisors only, audited, encrypted when asked), a sync
that pushes then pulls with its summary, a push cut by the network, and the desk's status."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.cli import main
from casework.db import SQLITE_MAGIC, Database, open_database
from casework.models import AuditEvent
from casework.services import outbox, persons, staff, sync_push
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.synthetic import demo

from .factories import intake_data

PASSPHRASE = "clave del puesto de prueba"


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    path = tmp_path / "office.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    for username, role in (("creyes", "supervisor"), ("dfuentes", "worker")):
        staff.create_worker(
            Context(db, admin.id),
            {"username": username, "full_name": username, "role": role, "programme_code": "OFMIG"},
        )
    demo.generate(Context(db), 12)
    yield db
    db.dispose()


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    return tmp_path / "desk.db"


def first_copy(server: Database, desk: Path, signin: list[str], *more: str) -> int:
    return main(["sync", "--db", str(desk), "--server", str(server.file_path), *signin, *more])


def worker_id(db: Database, username: str) -> WorkerOut:
    found = staff.find_worker(Context(db), username)
    assert found is not None
    return found


def test_a_supervisor_makes_the_first_copy_and_the_server_records_it(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert first_copy(server, desk, cli_user(server, "creyes"), "--name", "Operativo") == 0
    out = capsys.readouterr().out
    assert "Filas copiadas" in out and "(12 personas)" in out and "Tiempo" in out
    assert desk.read_bytes().startswith(SQLITE_MAGIC)
    with server.read() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "desk_copy")).all()
    assert len(events) == 1 and events[0].entity == "sync_desk"

    assert main(["sync", "status", "--db", str(desk)]) == 0
    status = capsys.readouterr().out
    assert "Puesto: Operativo" in status
    assert f"Servidor: sqlite:///{server.file_path}" in status
    assert "Cambios por enviar: 0" in status and "Último envío: nunca" in status
    assert "Conflictos abiertos: 0" in status


def test_a_desk_worker_may_not_copy_the_whole_office(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert first_copy(server, desk, cli_user(server, "dfuentes")) == 2
    err = capsys.readouterr().err
    assert err.startswith("casework: ") and err.count("\n") == 1
    assert not desk.exists()
    assert sorted(p.name for p in desk.parent.iterdir() if p.name.startswith("desk")) == []


def test_encrypt_makes_an_sqlcipher_desk(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    password_file: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = password_file(PASSPHRASE)
    args = ["--encrypt", "--passphrase-file", str(key)]
    assert first_copy(server, desk, cli_user(server, "creyes"), *args) == 0
    assert "cifrado" in capsys.readouterr().out
    assert not desk.read_bytes().startswith(SQLITE_MAGIC)
    assert main(["sync", "status", "--db", str(desk), "--passphrase-file", str(key)]) == 0
    assert "Cambios por enviar: 0" in capsys.readouterr().out


def test_a_plain_desk_becomes_encrypted_at_its_next_sync(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    password_file: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signin = cli_user(server, "creyes")
    assert first_copy(server, desk, signin) == 0
    assert desk.read_bytes().startswith(SQLITE_MAGIC)
    monkeypatch.setattr(sync_push, "push", lambda *a, **k: sync_push.PushSummary())
    key = password_file(PASSPHRASE)
    assert first_copy(server, desk, signin, "--encrypt", "--passphrase-file", str(key)) == 0
    assert "cifrado" in capsys.readouterr().out
    assert not desk.read_bytes().startswith(SQLITE_MAGIC)
    assert first_copy(server, desk, signin, "--passphrase-file", str(key)) == 0
    assert not desk.read_bytes().startswith(SQLITE_MAGIC)


def test_sync_pushes_then_pulls_and_says_what_happened(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signin = cli_user(server, "creyes")
    assert first_copy(server, desk, signin) == 0
    desk_db = open_database(str(desk))
    try:
        persons.register_intake(Context(desk_db, worker_id(desk_db, "dfuentes").id), intake_data())
    finally:
        desk_db.dispose()
    capsys.readouterr()
    assert main(["sync", "status", "--db", str(desk)]) == 0
    status = capsys.readouterr().out
    assert "Cambio por enviar: 1" in status and "Registrar persona: 1" in status

    pushed: list[tuple[Database, Database]] = []

    def fake_push(
        desk_db: Database, server_db: Database, *, progress: object = None
    ) -> sync_push.PushSummary:
        pushed.append((desk_db, server_db))
        return sync_push.PushSummary(
            sent=4, applied=2, already=1, duplicates=1, conflicts=1, waiting=2
        )

    monkeypatch.setattr(sync_push, "push", fake_push)
    assert first_copy(server, desk, signin) == 0
    out = capsys.readouterr().out
    assert len(pushed) == 1 and pushed[0][0].file_path == desk.resolve()
    for line in (
        "Enviados: 4",
        "Aplicados: 2",
        "Ya aplicado antes: 1",
        "En la cola de posibles duplicados: 1",
        "Conflicto: 1 (y 2 en espera",
        "Filas copiadas",
        "Cambio sin enviar conservado en la copia: 1",
    ):
        assert line in out, (line, out)


def test_a_push_cut_by_the_network_says_how_far_it_got_and_to_run_again(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signin = cli_user(server, "creyes")
    assert first_copy(server, desk, signin) == 0
    before = desk.read_bytes()

    def cut(desk_db: Database, server_db: Database, *, progress: object = None) -> None:
        raise sync_push.PushInterrupted(
            sync_push.PushSummary(sent=7, applied=7), ConnectionError("server closed")
        )

    monkeypatch.setattr(sync_push, "push", cut)
    capsys.readouterr()
    assert first_copy(server, desk, signin) == 1
    captured = capsys.readouterr()
    assert "llegaron 7 cambios" in captured.err
    assert "Vuelva a ejecutar casework sync" in captured.err
    assert "Enviados: 7" in captured.out
    assert "Filas copiadas" not in captured.out  # no pull after a cut push
    assert desk.read_bytes() == before


def test_mistakes_are_one_line_and_exit_2(
    server: Database, desk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--db", str(desk)]) == 2
    assert "--server" in capsys.readouterr().err
    assert main(["sync", "status", "--db", str(server.file_path)]) == 2
    assert "no es un puesto sin conexión" in capsys.readouterr().err
    assert main(["--lang", "en", "sync", "status", "--db", str(tmp_path / "none.db")]) == 2
    assert capsys.readouterr().err.startswith("casework: ")


def test_a_real_sync_sends_the_desks_intake_and_a_second_sends_nothing(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from casework.models import Person

    signin = cli_user(server, "creyes")
    assert first_copy(server, desk, signin) == 0
    desk_db = open_database(str(desk))
    try:
        worker = worker_id(desk_db, "dfuentes")
        made = persons.register_intake(Context(desk_db, worker.id), intake_data()).person_id
    finally:
        desk_db.dispose()
    capsys.readouterr()
    assert first_copy(server, desk, signin) == 0
    out = capsys.readouterr().out
    assert "Enviado: 1" in out and "Aplicado: 1" in out, out
    with server.read() as s:
        assert s.get(Person, made) is not None  # on the server, with the desk's id
    assert main(["sync", "status", "--db", str(desk)]) == 0
    status = capsys.readouterr().out
    assert "Cambios por enviar: 0" in status and "Último envío: nunca" not in status
    assert first_copy(server, desk, signin) == 0
    assert "Enviados: 0" in capsys.readouterr().out


def test_a_desk_open_in_the_app_is_not_synced_and_nothing_is_lost(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from casework.db import hold_open

    signin = cli_user(server, "creyes")
    assert first_copy(server, desk, signin) == 0
    desk_db = open_database(str(desk))
    worker = worker_id(desk_db, "dfuentes")
    persons.register_intake(Context(desk_db, worker.id), intake_data())
    held = hold_open(desk)  # the desk app has the file open
    assert held is not None
    before = desk.read_bytes()
    capsys.readouterr()
    try:
        assert first_copy(server, desk, signin) != 0
        err = capsys.readouterr().err
        assert "está abierto en casework" in err and "No se envió ni se cambió nada" in err, err
        assert desk.read_bytes() == before  # not replaced, nothing marked sent
        assert outbox.desk_status(desk_db).waiting == 1  # type: ignore[union-attr]
    finally:
        os.close(held)
        desk_db.dispose()
    assert first_copy(server, desk, signin) == 0  # closed: the sync goes through
    assert "Enviado: 1" in capsys.readouterr().out
