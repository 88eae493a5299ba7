"""The person file's small forms, driven with keys."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from textual.widgets import DataTable, Input, Select, Static

from casework.app import make_app
from casework.db import Database
from casework.errors import Conflict, NotAllowed
from casework.models import MigrationStatusRecord, Note
from casework.screens.forms import OwnPasswordModal, StatusModal
from casework.screens.person import PersonScreen
from casework.services import auth, catalogue, persons, referrals, rights
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data
from .test_desk import PASSWORD, settle, sign_in_as

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


async def test_first_status_of_a_person_recorded_without_one(ctx: Context) -> None:
    """Intake leaves the status optional; the status form then opens blank, not crashing."""
    person_id = persons.register_intake(ctx, intake_data(status=None)).person_id
    app = make_app(ctx.db)
    async with app.run_test(size=(100, 36)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.push_screen(PersonScreen(person_id))
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, StatusModal)
        select = modal.query_one("#status", Select)
        assert select.is_blank()
        select.value = "temporary"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
    with ctx.db.read() as s:
        statuses = s.scalars(
            sa.select(MigrationStatusRecord.status).where(
                MigrationStatusRecord.person_id == person_id
            )
        ).all()
    assert statuses == ["temporary"]


async def test_the_file_names_a_referral_to_the_offices_own_destination(
    ctx: Context, admin: WorkerOut
) -> None:
    """A local destination is shown by its name, not its key, in the person's referrals."""
    key = catalogue.add_destination(
        Context(ctx.db, admin.id),
        {"name_es": "Fundación Vecinos de Yungay", "service_area": "legal"},
    ).key
    person_id = persons.register_intake(ctx, intake_data()).person_id
    referrals.create(ctx, person_id, {"destination": key, "reason": "Arriendo abusivo"})
    app = make_app(ctx.db)
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.push_screen(PersonScreen(person_id))
        await settle(pilot)
        table = app.screen.query_one("#referrals", DataTable)
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert names == ["Fundación Vecinos de Yungay"]


async def test_a_blocked_file_says_so_and_opens_no_form(ctx: Context) -> None:
    """While a blocking request is open the file shows it, and the keys that would change
    it say why instead of opening a form to be filled in vain; the service refuses too."""
    person_id = persons.register_intake(ctx, intake_data()).person_id
    rights.register(ctx, {"person_id": person_id, "kind": "blocking"})
    app = make_app(ctx.db)
    async with app.run_test(size=(100, 36)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.push_screen(PersonScreen(person_id))
        await settle(pilot)
        file = app.screen
        banner = file.query_one("#blocked-banner", Static)
        assert banner.display and "bloqueados" in str(banner.render())
        assert "25-11-2026" in str(banner.render())  # two business days after Monday 23rd
        for key in ("n", "c", "s", "r", "f", "v"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is file, key
        said = " ".join(str(n.message) for n in app._notifications)  # type: ignore[attr-defined]
        assert "hasta que supervisión levante el bloqueo" in said
    with pytest.raises(Conflict):
        persons.add_note(ctx, person_id, {"text": "Llamó para preguntar por su trámite."})
    with ctx.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Note)) == 0


async def test_an_unblocked_file_shows_no_banner(ctx: Context) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(ctx.db)
    async with app.run_test(size=(100, 36)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        app.push_screen(PersonScreen(person_id))
        await settle(pilot)
        assert app.screen.query_one("#person-title", Static).render()
        assert not app.screen.query_one("#blocked-banner", Static).display


async def test_a_worker_changes_their_own_password_and_escape_forgets_it(
    ctx: Context, worker: WorkerOut
) -> None:
    """F12: the current password, the new one twice. A wrong current one is refused in the
    form; Escape keeps no draft of any password."""
    app = make_app(ctx.db)
    async with app.run_test(size=(100, 36)) as pilot:
        await sign_in_as(pilot, "Daniela Fuentes")
        await pilot.press("f12")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, OwnPasswordModal)
        await pilot.press(*"not my password", "tab", *"una frase nueva", "tab")
        await pilot.press(*"una frase nueva", "ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "incorrectos" in str(modal.query_one("#error-current", Static).render())
        assert app.focused is modal.query_one("#current", Input)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, OwnPasswordModal)
        assert all(again.query_one(f"#{n}", Input).value == "" for n in ("current", "new"))
        await pilot.press(*PASSWORD, "tab", *"una frase nueva", "tab", *"una frase nueva")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, OwnPasswordModal)
        said = " ".join(str(n.message) for n in app._notifications)  # type: ignore[attr-defined]
        assert "Su contraseña cambió" in said
    assert auth.authenticate(ctx, "dfuentes", "una frase nueva").id == worker.id
    with pytest.raises(NotAllowed):
        auth.authenticate(ctx, "dfuentes", PASSWORD)
