"""The command line as a user types it: clear one-line errors, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import __version__
from casework.cli import main
from casework.db import Database, open_database
from casework.services import staff
from casework.services.context import Context

from .conftest import PgServer


def run(*args: str, env_lang: str = "es", **env_vars: str) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, LANG=f"{env_lang}_CL.UTF-8" if env_lang == "es" else "en_GB.UTF-8")
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-m", "casework", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"casework {__version__}"


def test_demo_then_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    result = run("demo", "--people", "50", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "50 personas" in result.stdout
    assert db.exists()
    result = run("db", "upgrade", "--db", str(db), env_lang="en")
    assert result.returncode == 0
    assert "up to date" in result.stdout


def test_demo_twice_is_a_clear_error(tmp_path: Path, password_file: Callable[[str], Path]) -> None:
    from casework.synthetic.demo import DEMO_PASSWORD

    db = str(tmp_path / "d.db")
    assert run("demo", "--people", "5", "--db", db).returncode == 0
    result = run("demo", "--people", "5", "--db", db, env_lang="en")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "empty database" in result.stderr
    # Replacing a database that has workers is its administrator's act.
    replace = ("demo", "--people", "5", "--db", db, "--replace")
    refused = run(*replace, env_lang="en")
    assert refused.returncode == 2 and "sign in" in refused.stderr
    signed = ("--user", "admin", "--password-file", str(password_file(DEMO_PASSWORD)))
    assert run(*replace, *signed).returncode == 0


def test_a_folder_given_as_database_is_a_clear_error(tmp_path: Path) -> None:
    result = run("db", "upgrade", "--db", str(tmp_path), env_lang="en")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "is a folder" in result.stderr


def test_unreachable_server_is_a_clear_error() -> None:
    result = run(
        "db", "upgrade", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x", env_lang="en"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Could not open the database" in result.stderr or "cannot open" in result.stderr


def test_bad_people_count(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--lang", "en", "demo", "--people", "0", "--db", str(tmp_path / "x.db")]) == 2
    assert "above zero" in capsys.readouterr().err


def test_default_database_lives_in_the_user_data_dir(isolated_user_dirs: Path) -> None:
    result = run("db", "path")
    assert result.returncode == 0
    assert str(isolated_user_dirs / "casework.db") in result.stdout
    assert result.stdout.rstrip().endswith("casework.log")  # and where the log is


@pytest.fixture
def office(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "office.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    staff.first_run(
        Context(db), {"code": "OFMIG", "name": "Oficina"}, {"username": "ana", "full_name": "Ana"}
    )
    db.dispose()
    return str(path)


@pytest.fixture
def ana(office: str, cli_user: Callable[[Database, str], list[str]]) -> list[str]:
    """The office's administrator signing in with a password file."""
    db = open_database(office)
    try:
        return cli_user(db, "ana")
    finally:
        db.dispose()


def _one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["--lang", "en", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    assert captured.err.startswith("casework: ")
    return captured.err


def test_commands_that_prompt_refuse_without_a_terminal(
    office: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (
        ["worker", "add", "beto", "--name", "Beto"],
        ["password", "ana"],
        ["programme", "add", "OMIL", "--name", "Intermediación laboral"],
        ["catalogue", "deactivate", "ong_vecinos"],
    ):
        assert "no terminal" in _one_line_error(capsys, *command, "--db", office)
    err = _one_line_error(capsys, "init", "--encrypt", "--db", str(tmp_path / "new.db"))
    assert "--passphrase-file" in err
    assert not (tmp_path / "new.db").exists()


def test_no_terminal_really_means_no_terminal(office: str) -> None:
    # A real process whose standard input is not a terminal (a cron job, a pipe).
    result = run("worker", "add", "beto", "--name", "Beto", "--db", office)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "no hay terminal" in result.stderr


def test_every_db_value_is_checked_and_nothing_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    typo = tmp_path / "ofice" / "office.db"
    assert "folder" in _one_line_error(capsys, "worker", "list", "--db", str(typo))
    assert not typo.parent.exists()
    missing = tmp_path / "offfice.db"
    err = _one_line_error(capsys, "report", "caseload", "--db", str(missing))
    assert "casework init" in err
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE recetas (nombre TEXT)")
    conn.close()
    text = tmp_path / "notes.db"
    text.write_text("no es una base\n")
    before = {p: p.read_bytes() for p in (empty, other, text)}
    for command in (["worker", "list"], ["init"], ["backup"], ["demo", "--people", "3"]):
        assert "empty file" in _one_line_error(capsys, *command, "--db", str(empty))
        assert "not a casework database" in _one_line_error(capsys, *command, "--db", str(other))
        assert "not a casework database" in _one_line_error(capsys, *command, "--db", str(text))
    assert "not a casework database" in _one_line_error(
        capsys, "demo", "--replace", "--people", "3", "--db", str(other)
    )
    assert {p: p.read_bytes() for p in before} == before
    # Nothing was created beside them (no folder, no database).
    assert {p.name for p in tmp_path.iterdir()} - {"userdata"} == {
        "empty.db",
        "notes.db",
        "other.db",
    }


def test_unusual_db_urls_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for url in ("://", "foo://bar", "sqlite://", "sqlite:///:memory:", "mysql://u@h/db"):
        _one_line_error(capsys, "worker", "list", "--db", url)


def test_init_creates_then_commands_use_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "nueva.db")
    assert main(["init", "--db", path]) == 0
    assert main(["catalogue", "list", "--db", path]) == 0
    assert "sermig" in capsys.readouterr().out
    assert "ya existe" in _one_line_error(capsys, "--lang", "es", "init", "--db", path).lower()


def test_backup_to_an_unwritable_place_is_one_line(
    office: str, ana: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere: use a file as a folder
            target = tmp_path / "a-file"
            target.write_text("x")
            out = target / "copy.db"
        else:
            out = locked / "copy.db"
        assert "Could not write the backup" in _one_line_error(
            capsys, "backup", "--db", office, "--out", str(out), *ana
        )
    finally:
        locked.chmod(0o700)
    existing = tmp_path / "monday.db"
    existing.write_text("a file someone keeps")
    assert "already exists" in _one_line_error(
        capsys, "backup", "--db", office, "--out", str(existing), *ana
    )
    assert existing.read_text() == "a file someone keeps"


def test_the_first_run_creates_the_office_in_the_user_data_dir(
    isolated_user_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not isolated_user_dirs.exists()
    assert main(["init"]) == 0
    assert (isolated_user_dirs / "casework.db").stat().st_size > 0
    assert main(["catalogue", "list"]) == 0
    assert "sermig" in capsys.readouterr().out


def test_the_desk_without_a_terminal_is_one_line(
    office: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no terminal" in _one_line_error(capsys, "--db", office)


@pytest.mark.postgres
def test_an_empty_postgresql_database_is_created_only_by_init(
    pg_server: PgServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_server.create()
    try:
        err = _one_line_error(capsys, "catalogue", "list", "--db", url)
        assert "not a casework database" in err and "@" in err
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []  # refused: nothing was created
        engine.dispose()
        assert main(["init", "--db", url]) == 0
        assert main(["catalogue", "list", "--db", url]) == 0
    finally:
        pg_server.drop(url)


def test_db_given_before_the_command_is_the_one_used(tmp_path: Path) -> None:
    """`casework --db X init` once created the default database instead of X."""
    from casework import cli

    first = tmp_path / "antes.db"
    second = tmp_path / "despues.db"
    assert cli.main(["--lang", "es", "--db", str(first), "init"]) == 0
    assert first.exists()
    assert cli.main(["--lang", "es", "init", "--db", str(second)]) == 0
    assert second.exists()
    assert cli.build_parser().parse_args(["--db", "x.db", "worker", "list"]).db == "x.db"
    assert cli.build_parser().parse_args(["worker", "list", "--db", "y.db"]).db == "y.db"
    assert cli.build_parser().parse_args(["worker", "list"]).db is None
