"""An administrator adds colleagues and programmes from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.cli import main
from casework.db import open_database
from casework.errors import NotAllowed
from casework.services import auth, staff
from casework.services.context import Context

PASSWORD = "frase larga de ana"


def test_admin_adds_a_worker_who_can_then_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "office.db")
    db = open_database(path)
    ctx = Context(db)
    admin = staff.first_run(
        ctx,
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "ana", "full_name": "Ana Pizarro"},
    )
    auth.choose_first_password(ctx, admin.id, PASSWORD)
    monkeypatch.setattr("casework.cli.stdin_is_terminal", lambda: True)  # at a terminal
    monkeypatch.setattr("builtins.input", lambda _prompt: "ana")
    answers = iter(["not the admin password"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))
    command = ["programme", "add", "OMIL", "--name", "Intermediación laboral", "--db", path]
    assert main(command) == 2
    answers = iter([PASSWORD])
    assert main(["programme", "add", "OMIL", "--name", "Intermediación laboral", "--db", path]) == 0
    answers = iter([PASSWORD, "clave de carla 2026", "clave de carla 2026"])
    assert (
        main(
            [
                "worker",
                "add",
                "carla",
                "--name",
                "Carla Soto",
                "--role",
                "supervisor",
                "--programme",
                "OMIL",
                "--db",
                path,
            ]
        )
        == 0
    )
    assert "carla" in capsys.readouterr().out
    assert auth.authenticate(ctx, "carla", "clave de carla 2026").role == "supervisor"
    answers = iter([PASSWORD, "x", "x"])
    assert (
        main(["worker", "add", "carla", "--name", "Otra", "--programme", "OMIL", "--db", path]) == 2
    )
    answers = iter([PASSWORD])
    assert main(["worker", "list", "--db", path]) == 0
    listing = capsys.readouterr().out
    assert "carla" in listing and "OMIL" in listing
    db.dispose()


def test_admin_deactivates_unlocks_and_renames_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "office.db")
    db = open_database(path)
    ctx = Context(db)
    admin = staff.first_run(
        ctx,
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "ana", "full_name": "Ana Pizarro"},
    )
    auth.choose_first_password(ctx, admin.id, PASSWORD)
    staff.add_worker(
        Context(db, admin.id),
        {
            "username": "carla",
            "full_name": "Carla Soto",
            "programme_code": "OFMIG",
            "password": "clave de carla 2026",
        },
    )
    monkeypatch.setattr("casework.cli.stdin_is_terminal", lambda: True)  # at a terminal
    monkeypatch.setattr("builtins.input", lambda _prompt: "ana")
    monkeypatch.setattr("getpass.getpass", lambda _prompt: PASSWORD)

    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(NotAllowed):
            auth.authenticate(ctx, "carla", "equivocada")
    assert main(["worker", "unlock", "carla", "--db", path]) == 0
    assert auth.authenticate(ctx, "carla", "clave de carla 2026").username == "carla"

    assert main(["worker", "deactivate", "carla", "--db", path]) == 0
    assert "carla desactivado/a" in capsys.readouterr().out
    with pytest.raises(NotAllowed):
        auth.authenticate(ctx, "carla", "clave de carla 2026")
    assert main(["worker", "deactivate", "ana", "--db", path]) == 2  # the last administrator
    assert "administración" in capsys.readouterr().err
    assert main(["worker", "reactivate", "carla", "--db", path]) == 0
    assert main(["worker", "deactivate", "nadie", "--db", path]) == 2

    assert main(["programme", "rename", "OFMIG", "--name", "Oficina Migrante", "--db", path]) == 0
    assert [p.name for p in staff.list_programmes(Context(db, admin.id))] == ["Oficina Migrante"]
    db.dispose()
