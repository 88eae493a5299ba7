"""Sign-in with passwords, lock-out, and who sees the extra-sensitive flags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from textual.widgets import Input, Static

from casework import clock
from casework.app import make_app
from casework.db import Database
from casework.errors import NotAllowed
from casework.models import AuditEvent, Worker
from casework.screens.sign_in import SignInScreen
from casework.screens.today import TodayScreen
from casework.services import auth, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.synthetic import demo

PASSWORD = "caballo bateria grapa"


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: the tests check behaviour, not the cost of a guess."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    monkeypatch.setattr(auth, "_dummy_hash", {})


def _actions(db: Database, worker_id: object = None) -> list[str]:
    with db.read() as s:
        stmt = sa.select(AuditEvent.action).order_by(AuditEvent.at)
        if worker_id is not None:
            stmt = stmt.where(AuditEvent.entity_id == worker_id)
        return list(s.scalars(stmt))


@pytest.fixture
def with_password(database: Database, admin: WorkerOut, worker: WorkerOut) -> WorkerOut:
    auth.set_password(Context(database, admin.id), worker.id, PASSWORD)
    return worker


def test_password_is_stored_only_as_an_argon2_hash(
    database: Database, with_password: WorkerOut
) -> None:
    with database.read() as s:
        stored = s.get(Worker, with_password.id)
        assert stored is not None and stored.password_hash is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash
    signed = auth.authenticate(Context(database), "DFuentes ", PASSWORD)
    assert signed.id == with_password.id
    assert _actions(database, with_password.id)[-1] == "sign_in"


def test_wrong_password_and_unknown_user_get_the_same_message(
    database: Database, with_password: WorkerOut
) -> None:
    with pytest.raises(NotAllowed) as wrong:
        auth.authenticate(Context(database), "dfuentes", "not the password")
    with pytest.raises(NotAllowed) as unknown:
        auth.authenticate(Context(database), "nadie", PASSWORD)
    assert wrong.value.message() == unknown.value.message()
    failed = [a for a in _actions(database) if a == "sign_in_failed"]
    assert len(failed) == 2  # both failures are in the audit trail


def test_five_failures_lock_the_account_even_for_the_right_password(
    database: Database, admin: WorkerOut, with_password: WorkerOut
) -> None:
    clock.freeze(dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC))
    try:
        for _ in range(auth.MAX_FAILURES - 1):
            with pytest.raises(NotAllowed, match="incorrectos"):
                auth.authenticate(Context(database), "dfuentes", "guess guess guess")
        with pytest.raises(NotAllowed) as err:
            auth.authenticate(Context(database), "dfuentes", "guess guess guess")
        assert err.value.code == "account_locked"
        with pytest.raises(NotAllowed) as err:
            auth.authenticate(Context(database), "dfuentes", PASSWORD)
        assert err.value.code == "account_locked"
        clock.freeze(dt.datetime(2026, 11, 23, 13, 16, tzinfo=dt.UTC))
        assert auth.authenticate(Context(database), "dfuentes", PASSWORD).id == with_password.id
    finally:
        clock.freeze(None)
    with database.read() as s:
        details = s.scalars(
            sa.select(AuditEvent.details).where(AuditEvent.action == "sign_in_failed")
        ).all()
    assert {"reason": "locked_now"} in details
    assert all(PASSWORD not in str(d) and "guess" not in str(d) for d in details)


def test_an_admin_unlocks_by_setting_a_password(
    database: Database, admin: WorkerOut, with_password: WorkerOut
) -> None:
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(NotAllowed):
            auth.authenticate(Context(database), "dfuentes", "guess guess guess")
    auth.set_password(Context(database, admin.id), with_password.id, "otra frase larga")
    assert auth.authenticate(Context(database), "dfuentes", "otra frase larga")


def test_only_admins_set_other_peoples_passwords(
    database: Database, with_password: WorkerOut, supervisor: WorkerOut
) -> None:
    with pytest.raises(NotAllowed):
        auth.set_password(Context(database, supervisor.id), with_password.id, "x" * 12)
    with pytest.raises(NotAllowed, match="10"):
        auth.set_password(
            Context(database, with_password.id),
            with_password.id,
            "short",
            current_password=PASSWORD,
        )
    auth.set_password(
        Context(database, with_password.id),
        with_password.id,
        "una frase nueva y larga",
        current_password=PASSWORD,
    )
    assert auth.authenticate(Context(database), "dfuentes", "una frase nueva y larga")


def test_an_account_without_password_cannot_sign_in(database: Database, worker: WorkerOut) -> None:
    with pytest.raises(NotAllowed) as err:
        auth.authenticate(Context(database), "dfuentes", "")
    assert err.value.code == "password_not_set"
    # Only the first admin of a database where nobody has a password may choose one.
    with pytest.raises(NotAllowed):
        auth.choose_first_password(Context(database), worker.id, PASSWORD)


# The desk ----------------------------------------------------------------------------------


@pytest.fixture
def sqlite_db(tmp_path, sqlite_template):  # type: ignore[no-untyped-def]
    import shutil

    from casework.db import open_database

    path = tmp_path / "desk.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    yield db
    db.dispose()


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_first_run_makes_the_admin_choose_a_password(sqlite_db: Database) -> None:
    app = make_app(sqlite_db)
    async with app.run_test(size=(100, 40)) as pilot:
        await _settle(pilot)
        screen = app.screen
        screen.query_one("#full-name", Input).value = "Ana Admin"
        screen.query_one("#username", Input).value = "ana"
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        await pilot.press(*PASSWORD, "enter", *"something else!", "enter")
        await _settle(pilot)
        assert "no coinciden" in str(app.screen.query_one("#error", Static).render())
        await pilot.press(*PASSWORD, "enter", *PASSWORD, "enter")
        await _settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert app.worker is not None and app.worker.username == "ana"
    assert auth.authenticate(Context(sqlite_db), "ana", PASSWORD).username == "ana"


async def test_the_desk_asks_for_the_password_and_says_when_it_is_wrong(
    sqlite_db: Database,
) -> None:
    ctx = Context(sqlite_db)
    admin = staff.first_run(
        ctx, {"code": "OFMIG", "name": "Of"}, {"username": "ana", "full_name": "Ana"}
    )
    auth.choose_first_password(ctx, admin.id, PASSWORD)
    app = make_app(sqlite_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        await pilot.press(*"ana", "enter", *"wrong password", "enter")
        await _settle(pilot)
        assert "incorrectos" in str(app.screen.query_one("#error", Static).render())
        assert app.worker is None
        await pilot.press(*PASSWORD, "enter")
        await _settle(pilot)
        assert isinstance(app.screen, TodayScreen)


async def test_a_temporary_password_is_replaced_at_the_first_sign_in(
    sqlite_db: Database,
) -> None:
    """A colleague added by the administrator signs in with the temporary password and must
    choose their own before the day opens; the temporary one then stops working."""
    ctx = Context(sqlite_db)
    admin = staff.first_run(
        ctx, {"code": "OFMIG", "name": "Of"}, {"username": "ana", "full_name": "Ana"}
    )
    auth.choose_first_password(ctx, admin.id, PASSWORD)
    temporary = "temporal-2026-x"
    staff.add_worker(
        Context(sqlite_db, admin.id),
        {"username": "luis", "full_name": "Luis", "programme_code": "OFMIG", "password": temporary},
    )
    app = make_app(sqlite_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        await pilot.press(*"luis", "enter", *temporary, "enter")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        assert "propia" in str(screen.query_one(".title", Static).render())
        await pilot.press(*temporary, "enter", *temporary, "enter")  # the same one again
        await _settle(pilot)
        assert "distinta" in str(app.screen.query_one("#error", Static).render())
        await pilot.press(*"mi frase secreta", "enter", *"otra frase", "enter")
        await _settle(pilot)
        assert "no coinciden" in str(app.screen.query_one("#error", Static).render())
        await pilot.press(*"mi frase secreta", "enter", *"mi frase secreta", "enter")
        await _settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert app.worker is not None and not app.worker.password_temporary
    with pytest.raises(NotAllowed):
        auth.authenticate(ctx, "luis", temporary)
    assert not auth.authenticate(ctx, "luis", "mi frase secreta").password_temporary


async def test_demo_database_opens_signed_in_without_a_prompt(sqlite_db: Database) -> None:
    demo.generate(Context(sqlite_db), 5, seed=3)
    app = make_app(sqlite_db, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert app.worker is not None and app.worker.username == "demo"
    # The same database opened without --demo asks who is there.
    app = make_app(sqlite_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        assert isinstance(app.screen, SignInScreen)


def test_audit_command_lists_who_saw_a_file_without_personal_values(
    database: Database,
    ctx: Context,
    worker: WorkerOut,
    supervisor: WorkerOut,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    from casework.cli import main
    from casework.services import person_file, persons

    from .factories import intake_data

    pid = persons.register_intake(ctx, intake_data()).person_id
    person_file.get_person(ctx, pid)
    if database.file_path is None:
        pytest.skip("the command reads a SQLite file here")
    creyes = cli_user(database, "creyes")
    assert main(["audit", "--person", str(pid), "--db", str(database.file_path), *creyes]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any("view" in line and "Daniela Fuentes" in line for line in lines)
    assert "Yesenia" not in out and "VE1234567" not in out
    bad = ["audit", "--person", "not-an-id", "--db", str(database.file_path), *creyes]
    assert main(bad) == 2


def test_password_command_needs_an_administrator(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from casework.cli import main

    ctx = Context(sqlite_db)
    admin = staff.first_run(
        ctx, {"code": "OFMIG", "name": "Of"}, {"username": "ana", "full_name": "Ana"}
    )
    auth.choose_first_password(ctx, admin.id, PASSWORD)
    staff.create_worker(
        Context(sqlite_db, admin.id),
        {"username": "beto", "full_name": "Beto", "programme_code": "OFMIG"},
    )
    db_path = str(sqlite_db.file_path)
    answers = iter([PASSWORD, "nueva frase de beto", "nueva frase de beto"])
    monkeypatch.setattr("casework.cli.stdin_is_terminal", lambda: True)  # at a terminal
    monkeypatch.setattr("builtins.input", lambda _prompt: "ana")
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))
    assert main(["password", "beto", "--db", db_path]) == 0
    assert "beto" in capsys.readouterr().out
    assert auth.authenticate(ctx, "beto", "nueva frase de beto").username == "beto"
    answers = iter(["wrong admin password"])
    assert main(["password", "beto", "--db", db_path]) == 2
    assert "incorrectos" in capsys.readouterr().err
