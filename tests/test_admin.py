"""The administrator's screen (F10) and the services behind it: workers, programmes and the
office's own referral destinations; every change audited and refused to non-admins."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from casework.app import make_app
from casework.db import Database
from casework.errors import Conflict, InvalidInput, NotAllowed
from casework.models import AuditEvent, Case, Referral, Worker
from casework.screens.admin import AdminScreen, DestinationModal, NewWorkerModal
from casework.screens.forms import ReferralModal
from casework.screens.today import TodayScreen
from casework.services import auth, persons, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.widgets import ConfirmModal

from .factories import intake_data
from .test_desk import settle, sign_in_as

NOW = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)
TEMPORARY = "clave temporal 2026"


def text_of(widget: Static) -> str:
    return str(widget.render())


def rows(table: DataTable) -> list[str]:  # type: ignore[type-arg]
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def notices(app: object) -> list[str]:
    return [n.message for n in app._notifications]  # type: ignore[attr-defined]


# Services, on both backends --------------------------------------------------------------------


@pytest.fixture
def admin_ctx(database: Database, admin: WorkerOut) -> Context:
    return Context(database, admin.id)


def _audit(database: Database, entity: str) -> list[tuple[str, dict[str, object]]]:
    with database.read() as s:
        return [
            (action, details)
            for action, details in s.execute(
                sa.select(AuditEvent.action, AuditEvent.details)
                .where(
                    AuditEvent.entity == entity,
                    AuditEvent.action.not_in(("sign_in", "sign_in_failed")),
                )
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        ]


def test_a_new_worker_signs_in_with_the_temporary_password(
    admin_ctx: Context, database: Database
) -> None:
    with pytest.raises(InvalidInput) as err:
        staff.add_worker(
            admin_ctx, {"username": "Carla", "full_name": "Carla Soto", "password": "corta"}
        )
    [short] = err.value.errors
    assert (short.field, short.code) == ("password", "password_too_short")
    assert "10" in short.message("es") and "10" in short.message("en")

    carla = staff.add_worker(
        admin_ctx,
        {
            "username": "Carla",
            "full_name": "Carla Soto",
            "role": "supervisor",
            "programme_code": "OFMIG",
            "password": TEMPORARY,
        },
    )
    assert (carla.username, carla.programme_code, carla.has_password) == ("carla", "OFMIG", True)
    assert auth.authenticate(Context(database), "carla", TEMPORARY).role == "supervisor"
    with pytest.raises(InvalidInput) as err:
        staff.add_worker(
            admin_ctx,
            {
                "username": "carla",
                "full_name": "Otra",
                "programme_code": "OFMIG",
                "password": TEMPORARY,
            },
        )
    assert (err.value.errors[0].field, err.value.errors[0].code) == ("username", "username_taken")
    assert _audit(database, "worker")[-2:] == [
        ("create", {"role": "supervisor", "office_wide": False}),
        ("password_set", {}),
    ]


def test_only_an_administrator_manages_staff(
    admin_ctx: Context, ctx: Context, database: Database, supervisor: WorkerOut, worker: WorkerOut
) -> None:
    [programme] = staff.programmes(admin_ctx)
    for who in (ctx, Context(database, supervisor.id)):
        for call in (
            lambda c: staff.staff(c),
            lambda c: staff.add_worker(
                c,
                {
                    "username": "x1",
                    "full_name": "X",
                    "programme_code": programme.code,
                    "password": TEMPORARY,
                },
            ),
            lambda c: staff.set_active(c, worker.id, False),
            lambda c: staff.change_worker(c, worker.id, {"full_name": "X", "role": "admin"}),
            lambda c: staff.reset_password(c, worker.id, {"password": TEMPORARY}),
            lambda c: staff.unlock(c, worker.id),
            lambda c: staff.rename_programme(c, programme.id, {"name": "Otra"}),
        ):
            with pytest.raises(NotAllowed):
                call(who)
    assert staff.get_worker(ctx, worker.id).role == "worker"


def test_a_deactivated_worker_cannot_sign_in_and_their_cases_go_to_a_colleague(
    admin_ctx: Context, ctx: Context, database: Database, worker: WorkerOut
) -> None:
    persons.register_intake(ctx, intake_data())
    staff.reset_password(admin_ctx, worker.id, {"password": TEMPORARY})
    colleague = staff.create_worker(
        admin_ctx, {"username": "colega", "full_name": "Colega", "programme_code": "OFMIG"}
    )
    # Open work never stays with someone who no longer signs in (services/assignment.py).
    staff.set_active(admin_ctx, worker.id, False, receiver=colleague.id)
    with pytest.raises(NotAllowed) as err:
        auth.authenticate(Context(database), "dfuentes", TEMPORARY)
    assert err.value.code == "bad_credentials"
    with pytest.raises(NotAllowed):
        persons.register_intake(ctx, intake_data())  # a session left open stops working too
    with database.read() as s:
        assert s.scalar(sa.select(Case.worker_id)) == colleague.id
    staff.set_active(admin_ctx, worker.id, True)
    assert auth.authenticate(Context(database), "dfuentes", TEMPORARY).id == worker.id
    assert [a for a, _ in _audit(database, "worker")][-2:] == ["deactivate", "reactivate"]


def test_the_last_administrator_cannot_leave_or_be_demoted(
    admin_ctx: Context, admin: WorkerOut, database: Database
) -> None:
    with pytest.raises(Conflict) as err:
        staff.set_active(admin_ctx, admin.id, False)
    assert "administración" in err.value.message("es")
    assert "administrator" in err.value.message("en")
    with pytest.raises(Conflict):
        staff.change_worker(
            admin_ctx,
            admin.id,
            {"full_name": "Ana", "role": "worker", "programme_code": "OFMIG"},
        )
    second = staff.add_worker(
        admin_ctx,
        {"username": "beto", "full_name": "Beto Admin", "role": "admin", "password": TEMPORARY},
    )
    changed = staff.change_worker(
        admin_ctx,
        admin.id,
        {"full_name": "Ana Admin", "role": "supervisor", "programme_code": "OFMIG"},
    )
    assert changed.role == "supervisor"
    assert _audit(database, "worker")[-1] == (
        "role_change",
        {"from_role": "admin", "to_role": "supervisor"},
    )
    with pytest.raises(Conflict):  # now Beto is the last one
        staff.set_active(Context(database, second.id), second.id, False)


def test_a_locked_out_worker_is_unlocked_or_given_a_new_password(
    admin_ctx: Context, database: Database, worker: WorkerOut
) -> None:
    public = Context(database)
    staff.reset_password(admin_ctx, worker.id, {"password": TEMPORARY})
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(NotAllowed):
            auth.authenticate(public, "dfuentes", "no es la clave")
    locked = next(w for w in staff.staff(admin_ctx) if w.id == worker.id)
    assert locked.locked and locked.locked_until is not None
    with pytest.raises(NotAllowed) as err:
        auth.authenticate(public, "dfuentes", TEMPORARY)
    assert err.value.code == "account_locked"

    assert not staff.unlock(admin_ctx, worker.id).locked
    assert auth.authenticate(public, "dfuentes", TEMPORARY).id == worker.id
    with pytest.raises(InvalidInput):
        staff.reset_password(admin_ctx, worker.id, {"password": "corta"})
    staff.reset_password(admin_ctx, worker.id, {"password": "otra clave temporal"})
    with pytest.raises(NotAllowed):
        auth.authenticate(public, "dfuentes", TEMPORARY)
    assert auth.authenticate(public, "dfuentes", "otra clave temporal").id == worker.id
    assert "unlock" in [a for a, _ in _audit(database, "worker")]


def test_programmes_are_added_renamed_and_counted(
    admin_ctx: Context, database: Database, worker: WorkerOut
) -> None:
    omil = staff.create_programme(admin_ctx, {"code": "OMIL", "name": "OMIL"})
    staff.rename_programme(admin_ctx, omil.id, {"name": "Intermediación Laboral"})
    with pytest.raises(InvalidInput):
        staff.rename_programme(admin_ctx, omil.id, {"name": "  "})
    staff.change_worker(
        admin_ctx,
        worker.id,
        {"full_name": "Daniela Fuentes", "role": "worker", "programme_code": "OMIL"},
    )
    with pytest.raises(InvalidInput) as err:
        staff.change_worker(
            admin_ctx, worker.id, {"full_name": "D", "role": "worker", "programme_code": "NOPE"}
        )
    assert err.value.errors[0].field == "programme_code"
    counts = {p.code: (p.name, p.workers) for p in staff.programmes(admin_ctx)}
    assert counts == {
        "OMIL": ("Intermediación Laboral", 1),
        "OFMIG": ("Oficina de Migrantes", 1),  # the admin
    }
    assert _audit(database, "programme")[-1] == ("update", {"fields": ["name"]})


# The screen, driven with keys (SQLite) -----------------------------------------------------------


@pytest.fixture
def desk(desk_database: Database, frozen_clock: dt.datetime) -> Database:
    return desk_database


@pytest.fixture
def office(desk: Database) -> tuple[WorkerOut, WorkerOut]:
    admin = staff.first_run(
        Context(desk),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    desk_worker = staff.create_worker(
        Context(desk, admin.id),
        {"username": "dfuentes", "full_name": "Daniela Fuentes", "programme_code": "OFMIG"},
    )
    return admin, desk_worker


async def test_a_desk_worker_gets_no_admin_screen(
    desk: Database, office: tuple[WorkerOut, WorkerOut]
) -> None:
    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert "Esta pantalla es solo para administración." in notices(app)


async def test_admin_adds_a_worker_and_deactivates_another(
    desk: Database, office: tuple[WorkerOut, WorkerOut]
) -> None:
    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AdminScreen)
        table = screen.query_one("#workers-table", DataTable)
        assert [r.split()[0] for r in rows(table)] == ["admin", "dfuentes"]

        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewWorkerModal)
        form.query_one("#username", Input).value = "csoto"
        form.query_one("#full_name", Input).value = "Carla Soto"
        form.query_one("#role", Select).value = "supervisor"
        form.query_one("#programme", Select).value = "OFMIG"
        form.query_one("#password", Input).value = "corta"
        form.query_one("#password_repeat", Input).value = "corta"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # refused: nothing typed is lost
        assert "al menos 10" in text_of(form.query_one("#error-password", Static))
        assert form.query_one("#full_name", Input).value == "Carla Soto"
        form.query_one("#password", Input).value = TEMPORARY
        form.query_one("#password_repeat", Input).value = TEMPORARY
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        assert "csoto agregado/a; entréguele su contraseña temporal." in notices(app)
        added = next(r for r in rows(table) if r.startswith("csoto"))
        assert "Carla Soto" in added and "supervisor/a" in added and "OFMIG" in added

        # Daniela leaves the office: deactivated after a confirmation.
        table.move_cursor(row=[r.split()[0] for r in rows(table)].index("dfuentes"))
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        daniela = next(r for r in rows(table) if r.startswith("dfuentes"))
        assert " no " in f" {daniela} "

        # The admin cannot deactivate themselves: they are the last one.
        table.move_cursor(row=0)
        await pilot.press("d", "enter")
        await settle(pilot)
        assert any("al menos una persona con rol de administración" in n for n in notices(app))

    with desk.read() as s:
        active = dict(s.execute(sa.select(Worker.username, Worker.active)).all())
    assert active == {"admin": True, "dfuentes": False, "csoto": True}
    assert auth.authenticate(Context(desk), "csoto", TEMPORARY).full_name == "Carla Soto"
    with pytest.raises(NotAllowed):
        auth.authenticate(Context(desk), "dfuentes", "frase larga de prueba")


async def test_a_local_destination_is_offered_when_referring_and_needs_consent(
    desk: Database, office: tuple[WorkerOut, WorkerOut]
) -> None:
    _admin, desk_worker = office
    person_id = persons.register_intake(Context(desk, desk_worker.id), intake_data()).person_id
    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AdminScreen)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DestinationModal)
        form.query_one("#name_es", Input).value = "Fundación Vecinos de Yungay"
        form.query_one("#service_area", Select).value = "housing"
        form.query_one("#contact_es", Input).value = "Libertad 53"
        form.query_one("#private", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        table = screen.query_one("#catalogue-table", DataTable)
        [local] = [r for r in rows(table) if "Vecinos" in r]
        assert "oficina" in local and "fundacion_vecinos_de_yungay" in local

    # At the desk, the referral form offers it beside the shipped destinations.
    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.open_person(person_id)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        referral = app.screen
        assert isinstance(referral, ReferralModal)
        referral.query_one("#area", Select).value = "housing"
        await settle(pilot)
        destination = referral.query_one("#destination", Select)
        offered = [value for _label, value in destination._options]
        assert "fundacion_vecinos_de_yungay" in offered
        destination.value = "fundacion_vecinos_de_yungay"
        await settle(pilot)
        assert "Libertad 53" in text_of(referral.query_one("#destination-help", Static))
        referral.query_one("#reason", Input).value = "Desalojo sin orden judicial"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is referral  # a private organisation: consent first
        assert "no ha consentido" in text_of(referral.query_one("#form-error", Static))
        referral.query_one("#consent", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not referral
    with desk.read() as s:
        saved = s.execute(sa.select(Referral.destination_key, Referral.status)).one()
    assert tuple(saved) == ("fundacion_vecinos_de_yungay", "requested")
