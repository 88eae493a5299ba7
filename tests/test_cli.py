"""The command line as a user types it: clear one-line errors, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from casework import __version__
from casework.cli import main


def run(*args: str, env_lang: str = "es") -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, LANG=f"{env_lang}_CL.UTF-8" if env_lang == "es" else "en_GB.UTF-8")
    return subprocess.run(
        [sys.executable, "-m", "casework", *args],
        capture_output=True,
        text=True,
        env=env,
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


def test_demo_twice_is_a_clear_error(tmp_path: Path) -> None:
    db = str(tmp_path / "d.db")
    assert run("demo", "--people", "5", "--db", db).returncode == 0
    result = run("demo", "--people", "5", "--db", db, env_lang="en")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "empty database" in result.stderr
    assert run("demo", "--people", "5", "--db", db, "--replace").returncode == 0


def test_a_folder_given_as_database_is_a_clear_error(tmp_path: Path) -> None:
    result = run("db", "upgrade", "--db", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "folder" in result.stderr


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
