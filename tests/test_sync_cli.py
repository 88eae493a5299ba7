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
    # Told who makes it (not only a list of roles).
    assert "la hacen los supervisores y administradores" in err, err
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
        "Conflicto: 1 (2 en espera)",
        "Un supervisor los resuelve con F2",
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
    assert main(["sync", "--db", str(desk)]) == 2  # no desk yet: the first copy needs it
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
    captured = capsys.readouterr()
    out = captured.out
    assert "Enviado: 1" in out and "Aplicado: 1" in out, out
    # The push's progress counts changes; the copy's, rows.
    assert "100%: 1/1 cambios" in captured.err, captured.err
    assert "1/1 filas" not in captured.err
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


# The desk's own server (a desk of one office never syncs into another) -------------------


def test_a_desk_syncs_with_the_server_it_keeps_without_naming_it(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    signin = cli_user(server, "creyes")
    assert first_copy(server, desk, signin) == 0
    desk_db = open_database(str(desk))
    try:
        made = persons.register_intake(
            Context(desk_db, worker_id(desk_db, "dfuentes").id), intake_data()
        ).person_id
    finally:
        desk_db.dispose()
    capsys.readouterr()
    assert main(["sync", "--db", str(desk), *signin]) == 0  # no --server
    out = capsys.readouterr().out
    assert "Enviado: 1" in out and "Aplicado: 1" in out, out
    from casework.models import Person

    with server.read() as s:
        assert s.get(Person, made) is not None
    # The same server written another way (its URL instead of its path) is the same one.
    url = f"sqlite:///{server.file_path}"
    assert main(["sync", "--db", str(desk), "--server", url, *signin]) == 0
    assert "Enviados: 0" in capsys.readouterr().out


def test_another_offices_server_is_refused_naming_both_and_nothing_happens(
    server: Database,
    desk: Path,
    tmp_path: Path,
    sqlite_template: Path,
    cli_user: Callable[[Database, str], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    signin = cli_user(server, "creyes")
    assert first_copy(server, desk, signin) == 0
    desk_db = open_database(str(desk))
    try:
        persons.register_intake(Context(desk_db, worker_id(desk_db, "dfuentes").id), intake_data())
    finally:
        desk_db.dispose()
    other = tmp_path / "otra-oficina.db"
    shutil.copy(sqlite_template, other)
    before_desk, before_other = desk.read_bytes(), other.read_bytes()
    capsys.readouterr()

    assert main(["sync", "--db", str(desk), "--server", str(other), *signin]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith("casework: ") and err.count("\n") == 1, err
    assert f"sqlite:///{server.file_path}" in err and f"sqlite:///{other}" in err, err
    assert "no se envió ni se cambió nada" in err
    assert captured.out == ""
    assert desk.read_bytes() == before_desk and other.read_bytes() == before_other
    assert main(["sync", "status", "--db", str(desk)]) == 0
    assert "Cambio por enviar: 1" in capsys.readouterr().out  # still waiting, not sent


def test_a_server_that_asks_for_a_password_still_needs_server(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    signin = cli_user(server, "creyes")
    assert first_copy(server, desk, signin) == 0
    desk_db = open_database(str(desk))
    try:  # the same desk, as if copied from a PostgreSQL server with a password
        outbox.make_desk(
            desk_db, name="Operativo", server="postgresql://casework:secreto@oficina/casework"
        )
    finally:
        desk_db.dispose()
    capsys.readouterr()
    assert main(["sync", "status", "--db", str(desk)]) == 0
    assert "secreto" not in capsys.readouterr().out  # never kept

    assert main(["sync", "--db", str(desk), *signin]) == 2
    err = capsys.readouterr().err
    assert "pide una contraseña" in err and "--server" in err, err
    assert "secreto" not in err

    elsewhere = "postgresql://casework:secreto@otra-oficina/casework"
    assert main(["sync", "--db", str(desk), "--server", elsewhere, *signin]) == 2
    err = capsys.readouterr().err
    assert "postgresql://casework:***@oficina/casework" in err, err
    assert "postgresql://casework:***@otra-oficina/casework" in err and "secreto" not in err


def test_status_and_summary_count_conflicts_and_those_on_hold_apart(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    import datetime as dt
    import uuid

    from casework.models import SyncConflict

    assert first_copy(server, desk, cli_user(server, "creyes")) == 0
    desk_db = open_database(str(desk))
    try:
        status = outbox.desk_status(desk_db)
        assert status is not None
        first = uuid.uuid4()
        with desk_db.write() as session:
            for seq, kind in enumerate(("conflict", "waiting", "waiting"), start=1):
                session.add(
                    SyncConflict(
                        id=first if kind == "conflict" else uuid.uuid4(),
                        command_id=uuid.uuid4(),
                        seq=seq,
                        desk_id=status.desk_id,
                        desk_name=status.name,
                        command="persons.update_person",
                        payload={},
                        kind=kind,
                        code="edit_conflict" if kind == "conflict" else "waits_behind",
                        blocked_by=None if kind == "conflict" else first,
                        occurred_at=dt.datetime.now(dt.UTC),
                    )
                )
                session.flush()
    finally:
        desk_db.dispose()
    capsys.readouterr()
    assert main(["sync", "status", "--db", str(desk)]) == 0
    out = capsys.readouterr().out
    assert "Conflicto abierto: 1 (2 en espera)" in out, out


def test_a_cut_never_prints_the_statement_or_a_persons_data(
    server: Database,
    desk: Path,
    cli_user: Callable[[Database, str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signin = cli_user(server, "creyes")
    assert first_copy(server, desk, signin) == 0
    dropped = sa.exc.OperationalError(
        "INSERT INTO person (given_names, phone) VALUES (?, ?)",
        ("Yesenia", "+56987654321"),
        Exception("server closed the connection unexpectedly\nThis probably means..."),
    )

    def cut(desk_db: Database, server_db: Database, *, progress: object = None) -> None:
        raise sync_push.PushInterrupted(sync_push.PushSummary(sent=2, applied=2), dropped)

    monkeypatch.setattr(sync_push, "push", cut)
    capsys.readouterr()
    assert first_copy(server, desk, signin) == 1
    err = capsys.readouterr().err
    assert "server closed the connection unexpectedly" in err
    for leak in ("Yesenia", "+56987654321", "INSERT", "sqlalche.me"):
        assert leak not in err, err


def test_the_desk_does_not_open_while_a_sync_replaces_it(
    desk: Path,
    server: Database,
    cli_user: Callable[[Database, str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from casework.db import not_open_elsewhere

    assert first_copy(server, desk, cli_user(server, "creyes")) == 0
    monkeypatch.setattr("casework.cli.require_terminal", lambda _code: None)
    monkeypatch.setattr("casework.app.run_app", lambda *a, **k: pytest.fail("opened"))
    capsys.readouterr()
    with not_open_elsewhere(desk):  # casework sync, replacing it right now
        assert main(["--db", str(desk)]) == 2
    assert "reemplazando el puesto" in capsys.readouterr().err
