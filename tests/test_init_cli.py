"""`casework init --admin`: an office scripts its set-up without the desk; and no command
that would prompt ends in a traceback when there is no terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from casework.cli import main
from casework.db import open_database
from casework.errors import NotAllowed
from casework.services import auth, staff
from casework.services.context import Context

from .conftest import CLI_PASSWORD, PgServer

ADMIN = ["--admin", "Ana", "--name", "Ana Pizarro"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LANG="es_CL.UTF-8")
    return subprocess.run(
        [sys.executable, "-m", "casework", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        timeout=120,
    )


def test_init_creates_the_database_the_programme_and_the_administrator(
    tmp_path: Path, password_file: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "oficina.db")
    command = ["init", "--db", path, *ADMIN, "--programme", "Programa Migrantes"]
    command += ["--programme-code", "PMIG", "--password-file", str(password_file(CLI_PASSWORD))]
    assert main(command) == 0
    out = capsys.readouterr().out
    assert "Base de datos creada" in out
    assert "Primera cuenta creada: ana (administrador/a) en el programa Programa Migrantes" in out
    db = open_database(path)
    try:
        worker = auth.authenticate(Context(db), "ana", CLI_PASSWORD)
        assert (worker.role, worker.full_name, worker.password_temporary) == (
            "admin",
            "Ana Pizarro",
            False,
        )
        assert [(p.code, p.name) for p in staff.list_programmes(Context(db, worker.id))] == [
            ("PMIG", "Programa Migrantes")
        ]
    finally:
        db.dispose()
    # Once there are workers, never again: a clear line, nothing changed.
    again = ["init", "--db", path, "--admin", "otro", "--name", "Otro"]
    assert main([*again, "--password-file", str(password_file(CLI_PASSWORD))]) == 2
    err = capsys.readouterr().err
    assert "ya tiene funcionarios" in err and "casework worker add" in err


def test_init_admin_on_a_database_created_before_and_still_empty(
    tmp_path: Path, password_file: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "oficina.db")
    assert main(["init", "--db", path]) == 0
    secret = str(password_file(CLI_PASSWORD))
    assert main(["init", "--db", path, *ADMIN, "--password-file", secret]) == 0
    assert "Primera cuenta creada: ana" in capsys.readouterr().out


def test_the_password_from_standard_input(tmp_path: Path) -> None:
    path = str(tmp_path / "oficina.db")
    done = run("init", "--db", path, *ADMIN, "--password-stdin", stdin=CLI_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    db = open_database(path)
    try:
        assert auth.authenticate(Context(db), "ana", CLI_PASSWORD).username == "ana"
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--password-file", "SHORT"], "al menos 10 caracteres"),
        ([], "use --password-file ARCHIVO o --password-stdin"),
        (["--password-file", "GOOD", "--password-stdin"], "no ambos"),
    ],
)
def test_init_admin_is_refused_before_anything_is_created(
    tmp_path: Path,
    password_file: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    expected: str,
) -> None:
    files = {"SHORT": str(password_file("corta")), "GOOD": str(password_file(CLI_PASSWORD))}
    extra = [files.get(a, a) for a in extra]
    path = tmp_path / "oficina.db"
    assert main(["init", "--db", str(path), *ADMIN, *extra]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and err.count("\n") == 1
    assert not path.exists()


def test_init_admin_needs_a_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--db", str(tmp_path / "o.db"), "--admin", "ana"]) == 2
    assert "--admin USUARIO y --name" in capsys.readouterr().err


@pytest.mark.postgres
def test_init_admin_on_postgresql(
    pg_server: PgServer, password_file: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_server.create()
    try:
        secret = str(password_file(CLI_PASSWORD))
        assert main(["init", "--db", url, *ADMIN, "--password-file", secret]) == 0
        db = open_database(url)
        try:
            assert auth.authenticate(Context(db), "ana", CLI_PASSWORD).role == "admin"
        finally:
            db.dispose()
        capsys.readouterr()
        assert main(["init", "--db", url, *ADMIN, "--password-file", secret]) == 2
        assert "ya tiene funcionarios" in capsys.readouterr().err
    finally:
        pg_server.drop(url)


# No terminal: every prompt is a clear line naming the flag to use -----------------------------


@pytest.fixture
def office(tmp_path: Path, password_file: Callable[[str], Path]) -> tuple[str, str]:
    path = str(tmp_path / "oficina.db")
    secret = str(password_file(CLI_PASSWORD))
    assert main(["init", "--db", path, *ADMIN, "--password-file", secret]) == 0
    db = open_database(path)
    try:
        ctx = Context(db)
        ana = auth.authenticate(ctx, "ana", CLI_PASSWORD)
        staff.create_worker(
            Context(db, ana.id),
            {"username": "walt", "full_name": "Walter Ríos", "programme_code": "OFMIG"},
        )
    finally:
        db.dispose()
    return path, secret


def test_no_command_prompts_without_a_terminal(
    tmp_path: Path, office: tuple[str, str], password_file: Callable[[str], Path]
) -> None:
    path, secret = office
    encrypted = str(tmp_path / "cifrada-ya.db")
    key = str(password_file("clave de cifrado de prueba"))
    assert main(["init", "--encrypt", "--db", encrypted, "--passphrase-file", key]) == 0
    signed = ["--db", path, "--user", "ana", "--password-file", secret]
    listed = tmp_path / "lista.csv"
    listed.write_text("nombres;apellido_paterno\nAna;Soto\n", encoding="utf-8")
    cases = {
        # command: what the one line must name
        ("worker", "add", "zoe", "--name", "Zoe", "--programme", "OFMIG", *signed): (
            "--new-password-file ARCHIVO o --new-password-stdin"
        ),
        ("password", "ana", *signed): "--new-password-file ARCHIVO o --new-password-stdin",
        ("worker", "list", "--db", path): "--password-file ARCHIVO",
        ("import", "persons", str(listed), "--db", path): "--password-file ARCHIVO",
        ("signin", "--db", path, "--user", "ana"): "--password-file ARCHIVO",
        ("init", "--db", str(tmp_path / "nueva.db"), *ADMIN): "--password-stdin",
        ("init", "--encrypt", "--db", str(tmp_path / "cifrada.db")): "--passphrase-file",
        ("worker", "list", "--db", encrypted, "--user", "ana", "--password-file", secret): (
            "--passphrase-file"
        ),
    }
    env = dict(os.environ, LANG="es_CL.UTF-8")
    started = {  # all at once: each is mostly Python starting up
        command: subprocess.Popen(
            [sys.executable, "-m", "casework", *command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for command in cases
    }
    for command, proc in started.items():
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (command, err)
        assert "Traceback" not in err and "EOFError" not in err
        assert cases[command] in err, (command, err)
    # Nobody was added without a password.
    db = open_database(path)
    try:
        with pytest.raises(NotAllowed):
            auth.authenticate(Context(db), "zoe", CLI_PASSWORD)
        assert staff.find_worker(Context(db), "zoe") is None
    finally:
        db.dispose()


def test_worker_add_and_password_read_the_new_password_from_a_file_or_stdin(
    office: tuple[str, str], password_file: Callable[[str], Path]
) -> None:
    path, secret = office
    signed = ["--db", path, "--user", "ana", "--password-file", secret]
    new = str(password_file("clave de zoe 2026"))
    added = run("worker", "add", "zoe", "--name", "Zoe", "--programme", "OFMIG", *signed,
                "--new-password-file", new)  # fmt: skip
    assert added.returncode == 0, added.stderr
    changed = run("password", "zoe", *signed, "--new-password-stdin", stdin="otra clave larga\n")
    assert changed.returncode == 0, changed.stderr
    db = open_database(path)
    try:
        assert auth.authenticate(Context(db), "zoe", "otra clave larga").username == "zoe"
    finally:
        db.dispose()
