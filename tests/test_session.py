"""Leaving the desk and administration refusing impossible states (issue #15, points 6, 7):
sign out, switch user, the idle lock and its office setting; a role that needs a
programme is never given without one."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from textual.widgets import Input, Select, Static

from casework import clock
from casework.app import CaseworkApp, make_app
from casework.db import Database
from casework.errors import EditConflict, InvalidInput, NotAllowed
from casework.models import AuditEvent, Worker
from casework.screens.admin import AdminScreen, NewWorkerModal, OfficeSettingsModal
from casework.screens.intake import IntakeScreen
from casework.screens.lock import LockScreen
from casework.screens.sign_in import SignInScreen
from casework.screens.today import TodayScreen
from casework.services import auth, persons, settings, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import ConfirmModal

from .factories import intake_data, person_data
from .test_desk import PASSWORD, settle, sign_in_as, text_of

# Part 2: a desk worker or a supervisor needs a programme ---------------------------------


def _refused_for_programme(call: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        call()
    [error] = err.value.errors
    assert (error.field, error.code) == ("programme_code", "session_programme_required")
    assert "programa" in error.message("es") and "programme" in error.message("en")


def test_add_worker_needs_a_programme_for_desk_workers_and_supervisors(
    database: Database, admin: WorkerOut
) -> None:
    ctx = Context(database, admin.id)
    base = {"full_name": "Sin Programa", "password": "clave temporal 2026"}
    for n, role in enumerate(("worker", "supervisor")):
        _refused_for_programme(
            lambda n=n, role=role: staff.add_worker(
                ctx, {**base, "username": f"sp{n}", "role": role}
            )
        )
    # Nothing was written by the refusals.
    assert [w.username for w in staff.staff(ctx)] == ["admin"]
    # An administrator and an office-wide supervisor may have none.
    boss = staff.add_worker(ctx, {**base, "username": "jefa", "role": "admin"})
    wide = staff.add_worker(
        ctx, {**base, "username": "toda", "role": "supervisor", "office_wide": True}
    )
    assert (boss.programme_code, wide.programme_code) == (None, None)


def test_create_and_change_worker_check_role_and_programme_together(
    database: Database, admin: WorkerOut, worker: WorkerOut
) -> None:
    ctx = Context(database, admin.id)
    _refused_for_programme(
        lambda: staff.create_worker(ctx, {"username": "beto", "full_name": "Beto"})
    )
    # The desk worker loses their programme, or an admin without one becomes a desk worker.
    _refused_for_programme(
        lambda: staff.change_worker(ctx, worker.id, {"full_name": "D", "role": "worker"})
    )
    second = staff.create_worker(ctx, {"username": "otra", "full_name": "Otra", "role": "admin"})
    _refused_for_programme(
        lambda: staff.change_worker(ctx, second.id, {"full_name": "Otra", "role": "supervisor"})
    )
    # An office-wide supervisor stops being office-wide: now they need one.
    wide = staff.change_worker(
        ctx, second.id, {"full_name": "Otra", "role": "supervisor", "office_wide": True}
    )
    assert wide.office_wide and wide.programme_code is None
    _refused_for_programme(
        lambda: staff.change_worker(
            ctx, second.id, {"full_name": "Otra", "role": "supervisor", "office_wide": False}
        )
    )
    assert staff.get_worker(ctx, worker.id).programme_id is not None


def test_the_worker_command_refuses_a_desk_worker_without_a_programme(
    desk_database: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from casework.cli import main

    ctx = Context(desk_database)
    admin = staff.first_run(
        ctx, {"code": "OFMIG", "name": "Of"}, {"username": "ana", "full_name": "Ana"}
    )
    auth.choose_first_password(ctx, admin.id, PASSWORD)
    monkeypatch.setattr("casework.cli.stdin_is_terminal", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _prompt: "ana")
    monkeypatch.setattr("getpass.getpass", lambda _prompt: PASSWORD)
    path = str(desk_database.file_path)
    assert main(["worker", "add", "beto", "--name", "Beto", "--db", path]) == 2
    assert "necesita un programa" in capsys.readouterr().err
    assert staff.find_worker(ctx, "beto") is None


@pytest.fixture
def office(desk_database: Database, frozen_clock: dt.datetime) -> tuple[WorkerOut, ...]:
    admin = staff.first_run(
        Context(desk_database),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    made = [
        staff.create_worker(
            Context(desk_database, admin.id),
            {"username": username, "full_name": name, "programme_code": "OFMIG"},
        )
        for username, name in (("dfuentes", "Daniela Fuentes"), ("lvera", "Luis Vera"))
    ]
    return admin, *made


async def test_the_admin_form_shows_the_missing_programme_at_the_field(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewWorkerModal)
        form.query_one("#username", Input).value = "csoto"
        form.query_one("#full_name", Input).value = "Carla Soto"
        form.query_one("#role", Select).value = "supervisor"
        form.query_one("#password", Input).value = "clave temporal 2026"
        form.query_one("#password_repeat", Input).value = "clave temporal 2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # refused: nothing typed is lost
        slot = form.query_one("#error-programme_code", Static)
        assert slot.display and "necesita un programa" in text_of(slot)
        assert "necesita un programa" in _screen_text(app)  # scrolled into view at 80x24
        assert form.query_one("#full_name", Input).value == "Carla Soto"
        assert form.query_one("#role", Select).value == "supervisor"
        form.query_one("#programme", Select).value = "OFMIG"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
    assert staff.find_worker(Context(desk_database), "csoto") is not None


# Part 1: sign out and switch user -------------------------------------------------------


def _actions(db: Database, *actions: str) -> list[tuple[str, dict[str, Any]]]:
    with db.read() as session:
        rows = session.execute(
            sa.select(AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.action.in_(actions))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return [(a, d) for a, d in rows]


async def _leave_a_draft(pilot: Any, app: CaseworkApp, surname: str) -> None:
    await pilot.press("ctrl+n")
    await settle(pilot)
    assert isinstance(app.screen, IntakeScreen)
    await pilot.press(*"Yesenia")
    app.screen.query_one("#first_surname", Input).value = surname
    await pilot.press("escape")  # kept as a draft
    await settle(pilot)


async def test_sign_out_ends_the_session_and_drafts_stay_with_their_worker(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await _leave_a_draft(pilot, app, "Rondón")
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("ctrl+o")  # in the day's footer
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "1 ficha(s) sin terminar" in text_of(app.screen.query_one("#question", Static))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert app.worker is None and app.sub_title == ""
        assert len(app.screen_stack) == 2  # the default screen and the sign-in
        # Another worker at the same desk sees none of the first one's drafts.
        await sign_in_as(pilot, "Luis Vera")
        assert app.worker is not None and app.worker.full_name == "Luis Vera"
        assert app.intake_drafts() == []
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.query_one("#first_surname", Input).value == ""
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+o", "enter")  # nothing typed: no count, same question
        await settle(pilot)
        # The first worker finds theirs as left.
        await sign_in_as(pilot, "Daniela Fuentes")
        [draft] = app.intake_drafts()
        app.resume_intake(draft.id)
        await settle(pilot)
        assert app.screen.query_one("#first_surname", Input).value == "Rondón"
    assert [(a, d["drafts"]) for a, d in _actions(desk_database, "sign_out")] == [
        ("sign_out", 1),
        ("sign_out", 0),
    ]


async def test_switch_user_warns_of_the_drafts_and_opens_the_sign_in(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await _leave_a_draft(pilot, app, "Rondón")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # changed their mind: nothing lost
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen) and app.worker is not None
        await pilot.press("ctrl+g", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.worker is None
        assert app.screen.query_one("#username", Input).has_focus
    assert _actions(desk_database, "switch_user") == [("switch_user", {"drafts": 1})]


# Part 1: the idle lock ---------------------------------------------------------------------


def _advance(minutes: float) -> None:
    clock.freeze(clock.now() + dt.timedelta(minutes=minutes))


async def test_the_desk_locks_after_the_idle_minutes_and_not_while_typing(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        assert app.idle_minutes == settings.IDLE_LOCK_DEFAULT == 10
        await pilot.press("ctrl+n")
        await settle(pilot)
        for _ in range(4):  # typing slowly, 4 minutes between keys: 16 minutes in all
            _advance(4)
            await pilot.press("a")
            app.lock_if_idle()
            await pilot.pause()
            assert not app.locked
        _advance(9.9)
        app.lock_if_idle()
        await pilot.pause()
        assert not app.locked
        _advance(0.2)  # 10 minutes untouched
        app.lock_if_idle()
        await settle(pilot)
        assert app.locked and isinstance(app.screen, LockScreen)
    assert _actions(desk_database, "desk_locked") == [("desk_locked", {"minutes": 10})]


async def test_the_timer_locks_the_desk_by_itself(
    desk_database: Database, office: tuple[WorkerOut, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CaseworkApp, "IDLE_CHECK_SECONDS", 0.05)
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.pause(0.2)
        assert not app.locked
        _advance(11)
        await pilot.pause(0.2)
        assert isinstance(app.screen, LockScreen)


async def _locked_desk(pilot: Any, app: CaseworkApp, db: Database) -> str:
    """Daniela signed in, with a person on her day and a half-typed ficha open; then the
    desk locks. Returns the person's surname."""
    worker = staff.find_worker(Context(db), "dfuentes")
    assert worker is not None
    data = person_data(given_names="Yulimar", first_surname="Quispecahuana")
    persons.register_intake(Context(db, worker.id), intake_data(data))
    await sign_in_as(pilot, "Daniela Fuentes")
    await pilot.press("ctrl+f", *"Quispecahuana")
    await settle(pilot)
    assert "Quispecahuana" in _screen_text(app)
    _advance(10)
    app.lock_if_idle()
    await settle(pilot)
    assert isinstance(app.screen, LockScreen)
    return "Quispecahuana"


def _screen_text(app: CaseworkApp) -> str:
    return app.export_screenshot().replace("&#160;", " ")


async def test_the_lock_hides_every_personal_detail(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        surname = await _locked_desk(pilot, app, desk_database)
        app.notify(f"Guardada la ficha de {surname}")  # work finishing behind the lock
        await pilot.pause()
        shown = _screen_text(app)
        assert surname not in shown and "Yulimar" not in shown
        assert "Pantalla bloqueada" in shown


BYPASS_ATTEMPTS = [
    ("escape",),
    ("ctrl+q",),
    ("ctrl+p",),
    ("f1",),
    ("question_mark",),
    ("tab", "tab", "tab", "enter"),
    ("ctrl+t",),
    ("ctrl+f",),
    ("ctrl+n",),
    ("ctrl+o", "enter"),
    ("ctrl+g", "enter"),
    ("f10",),
    ("f12",),
    ("ctrl+c",),
]
"""Every way out a worker (or a passer-by) might try: none may leave the lock."""


async def test_no_key_or_click_gets_past_the_lock(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        surname = await _locked_desk(pilot, app, desk_database)
        lock = app.screen
        for keys in BYPASS_ATTEMPTS:
            await pilot.press(*keys)
            await settle(pilot)
            assert app.screen is lock and app.is_running, keys
            assert app.worker is not None, keys  # nobody signed out behind the lock
            assert surname not in _screen_text(app), keys
        await pilot.click(offset=(2, 2))
        await pilot.click(offset=(40, 20))
        await settle(pilot)
        assert app.screen is lock


async def test_the_same_workers_password_unlocks_and_failures_count(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await _locked_desk(pilot, app, desk_database)
        lock = app.screen
        await pilot.press(*"no es la clave", "enter")
        await settle(pilot)
        assert app.screen is lock
        assert "incorrect" in text_of(lock.query_one("#lock-error", Static)).lower()
        with desk_database.read() as session:
            row = session.scalar(sa.select(Worker).where(Worker.username == "dfuentes"))
            assert row is not None and row.failed_sign_ins == 1
        # Another worker's password does not open this worker's desk.
        await pilot.press(*PASSWORD[:-1], "enter")
        await settle(pilot)
        assert app.screen is lock
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert not app.locked
        query = app.screen.query_one("#query", Input)
        assert query.value == "Quispecahuana"  # back where she was, nothing lost


async def test_the_lock_respects_the_lock_out(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await _locked_desk(pilot, app, desk_database)
        lock = app.screen
        for _ in range(auth.MAX_FAILURES):
            await pilot.press(*"no es la clave", "enter")
            await settle(pilot)
        assert "bloquead" in text_of(lock.query_one("#lock-error", Static))
        await pilot.press(*PASSWORD, "enter")  # right, but the account is locked out now
        await settle(pilot)
        assert app.screen is lock
        assert "F2" in text_of(lock.query_one("#lock-error", Static))


async def test_another_worker_switches_user_from_the_lock(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await _leave_a_draft(pilot, app, "Rondón")
        _advance(10)
        app.lock_if_idle()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.worker is None
        await sign_in_as(pilot, "Luis Vera")
        assert app.intake_drafts() == []
        await pilot.press("ctrl+o", "enter")
        await settle(pilot)
        await sign_in_as(pilot, "Daniela Fuentes")
        assert [d.label for d in app.intake_drafts()] == ["Yesenia Rondón"]
    assert [a for a, _ in _actions(desk_database, "switch_user", "desk_locked")] == [
        "desk_locked",
        "switch_user",
    ]


async def test_a_worker_without_a_password_unlocks_with_enter(demo_desk: Database) -> None:
    app = make_app(demo_desk, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("ctrl+b")  # lock now
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert "no tiene contraseña" in _screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        # Signed out, the demo worker comes back with an empty password, as the demo allows.
        await pilot.press("ctrl+o", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        await pilot.press(*"demo", "enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert app.worker is not None and app.worker.username == "demo"


@pytest.fixture
def demo_desk(desk_database: Database, frozen_clock: dt.datetime) -> Database:
    """A database where nobody has a password: the demo worker signs in without one."""
    admin = staff.first_run(
        Context(desk_database),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    staff.create_worker(
        Context(desk_database, admin.id),
        {"username": "demo", "full_name": "Daniela Demo", "programme_code": "OFMIG"},
    )
    return desk_database


# The office setting ------------------------------------------------------------------------


def test_the_idle_lock_setting_is_an_administrators_audited_choice(
    database: Database, admin: WorkerOut, worker: WorkerOut
) -> None:
    admin_ctx, desk_ctx = Context(database, admin.id), Context(database, worker.id)
    first = settings.office_settings(desk_ctx)
    assert (first.idle_lock_minutes, first.version) == (10, 0)
    with pytest.raises(NotAllowed):
        settings.set_idle_lock(desk_ctx, {"minutes": 60, "version": 0})
    with pytest.raises(InvalidInput) as err:
        settings.set_idle_lock(admin_ctx, {"minutes": 0, "version": 0})
    assert err.value.errors[0].field == "minutes"
    saved = settings.set_idle_lock(admin_ctx, {"minutes": 3, "version": 0})
    assert (saved.idle_lock_minutes, saved.version) == (3, 1)
    assert settings.office_settings(desk_ctx).idle_lock_minutes == 3
    with pytest.raises(EditConflict) as stale:
        settings.set_idle_lock(admin_ctx, {"minutes": 20, "version": 0})
    assert "3 minutos" in stale.value.message("es")
    assert settings.set_idle_lock(admin_ctx, {"minutes": 20, "version": 1}).version == 2
    assert _actions(database, "update") == [
        ("update", {"minutes_before": 10, "minutes_after": 3}),
        ("update", {"minutes_before": 3, "minutes_after": 20}),
    ]


def test_two_administrators_setting_it_at_once_one_wins_the_other_is_told(
    database: Database, admin: WorkerOut
) -> None:
    ctx = Context(database, admin.id)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def change(minutes: int) -> None:
        barrier.wait()
        try:
            results.append(settings.set_idle_lock(ctx, {"minutes": minutes, "version": 0}))
        except EditConflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=change, args=(m,)) for m in (5, 15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [r for r in results if isinstance(r, settings.OfficeSettingsOut)]
    lost = [r for r in results if isinstance(r, EditConflict)]
    assert len(won) == 1 and len(lost) == 1
    assert settings.office_settings(ctx).idle_lock_minutes == won[0].idle_lock_minutes
    assert len(_actions(database, "update")) == 1


async def test_the_admin_sets_the_idle_minutes_and_the_desk_follows(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OfficeSettingsModal)
        field = form.query_one("#minutes", Input)
        assert field.value == "10"
        field.value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#error-minutes", Static).display
        field.value = "3"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
        assert app.idle_minutes == 3
        _advance(3)
        app.lock_if_idle()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)


async def test_the_new_keys_are_in_f1_help_and_the_palette(
    desk_database: Database, office: tuple[WorkerOut, ...]
) -> None:
    from textual.command import CommandPalette

    from casework.screens.help import HelpScreen

    app = make_app(desk_database)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        listed = " ".join(text_of(w) for w in app.screen.query(Static))
        for description in ("Cerrar sesión", "Cambiar de usuario", "Bloquear ahora"):
            assert description in listed
        await pilot.press("escape", "ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Bloquear")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
