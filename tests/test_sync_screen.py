"""The supervisors' queue of sync conflicts (F2, screens/sync_conflicts.py), driven with
Pilot on SQLite at 80x24: the queue and its count, the three values of each field, apply
mine / keep theirs / edit and apply with what the service was asked and what the desk then
says, a refusal in view, the empty state, and who may open it. The service is a fake here
(the screen's contract is services/sync_conflicts.py)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Input, Static

from casework.app import CaseworkApp, make_app
from casework.db import Database
from casework.errors import Conflict, EditConflict, FieldError, InvalidInput
from casework.i18n import t
from casework.screens.help import HelpScreen
from casework.screens.sync_conflicts import SyncConflictsScreen, SyncEditModal
from casework.screens.today import TodayScreen
from casework.services import staff, sync_conflicts
from casework.services.context import Context
from casework.services.paging import Page
from casework.services.sync_conflicts import ConflictField, ConflictOut, ResolveIn, ResolveResult
from casework.widgets import ConfirmModal, PagedTable

from .test_admin import rows
from .test_desk import settle, sign_in_as

SIZE = (80, 24)
WHEN = dt.datetime(2026, 11, 20, 14, 5, tzinfo=dt.UTC)


def drawn_text(app: CaseworkApp) -> str:
    """The screen as drawn in the terminal, as plain text (what a screenshot shows)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def phone_conflict(**changes: Any) -> ConflictOut:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "command_id": uuid.uuid4(),
        "desk_name": "terreno-1",
        "worker_name": "Daniela Fuentes",
        "command": "person_edit.update_person",
        "what": "Editar persona",
        "person_id": uuid.uuid4(),
        "person_name": "Yesenia Rondón",
        "kind": "conflict",
        "reason": "Otro puesto cambió el teléfono mientras tanto.",
        "fields": [
            ConflictField(
                field="phone",
                label="Teléfono",
                base="+56911110000",
                current="+56922220000",
                typed="+56933330000",
                base_text="+56911110000",
                current_text="+56922220000",
                typed_text="+56933330000",
            )
        ],
        "occurred_at": WHEN,
        "created_at": WHEN + dt.timedelta(hours=1),
        "status": "open",
        "blocked_by": None,
        "version": 1,
    }
    values.update(changes)
    return ConflictOut(**values)


@dataclass
class FakeQueue:
    """services/sync_conflicts.py as the screen sees it: the open ones, and each call to
    ``resolve`` with what it was given; ``refuse`` makes the next resolve fail."""

    items: list[ConflictOut]
    calls: list[tuple[uuid.UUID, ResolveIn]] = field(default_factory=list)
    refuse: BaseException | None = None
    result: ResolveResult | None = None

    def open_conflicts(
        self, ctx: Context, *, offset: int = 0, limit: int | None = None
    ) -> Page[ConflictOut]:
        end = None if limit is None else offset + limit
        return Page(self.items[offset:end], len(self.items), offset)

    def get(self, ctx: Context, conflict_id: uuid.UUID) -> ConflictOut:
        return next(c for c in self.items if c.id == conflict_id)

    def resolve(
        self,
        ctx: Context,
        conflict_id: uuid.UUID,
        data: ResolveIn | Mapping[str, Any],
        *,
        request_id: uuid.UUID | None = None,
    ) -> ResolveResult:
        data = ResolveIn.model_validate(data)
        self.calls.append((conflict_id, data))
        if self.refuse is not None:
            raise self.refuse
        released = [c for c in self.items if c.blocked_by == conflict_id]
        self.items = [c for c in self.items if c.id != conflict_id and c not in released]
        return self.result or ResolveResult(
            status="discarded" if data.action == "theirs" else "applied",
            released=len(released),
            still_waiting=0,
        )


@pytest.fixture
def office(desk_database: Database) -> Database:
    db = desk_database
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    a = Context(db, admin.id)
    for username, name, role in (
        ("dfuentes", "Daniela Fuentes", "worker"),
        ("creyes", "Carolina Reyes", "supervisor"),
    ):
        staff.create_worker(
            a, {"username": username, "full_name": name, "programme_code": "OFMIG", "role": role}
        )
    return db


def fake(monkeypatch: pytest.MonkeyPatch, items: list[ConflictOut]) -> FakeQueue:
    queue = FakeQueue(items)
    for name in ("open_conflicts", "get", "resolve"):
        monkeypatch.setattr(sync_conflicts, name, getattr(queue, name))
    return queue


async def open_queue(pilot: Any) -> SyncConflictsScreen:
    await sign_in_as(pilot, "Carolina Reyes")
    await pilot.press("f2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SyncConflictsScreen)
    return screen


def text_of(screen: SyncConflictsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


# The queue and the detail -----------------------------------------------------------------


async def test_the_queue_lists_each_conflict_and_the_detail_shows_the_three_values(
    office: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = phone_conflict()
    waiting = phone_conflict(
        kind="waiting",
        what="Agregar nota",
        reason="Espera detrás de otro conflicto del mismo registro.",
        fields=[],
        blocked_by=first.id,
        occurred_at=WHEN + dt.timedelta(minutes=10),
    )
    fake(monkeypatch, [first, waiting])
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        table = screen.query_one(PagedTable)
        shown = rows(table)
        assert len(shown) == 2
        for word in ("terreno-1", "Daniela Fuentes", "Editar persona", "Yesenia Rondón"):
            assert word in shown[0]
        assert "Otro puesto cambió el teléfono" in shown[0]
        assert "↳ Agregar nota" in shown[1] and "en espera" in shown[1]
        assert "2 órdenes sin aplicar" in text_of(screen, "#status")

        # The highlighted conflict in detail, all in view at 80x24.
        drawn = drawn_text(app)
        for value in ("+56911110000", "+56922220000", "+56933330000", "Teléfono"):
            assert value in drawn, value
        assert "Otro puesto cambió el teléfono mientras tanto." in drawn
        assert "El servidor tiene" in drawn and "terreno-1" in drawn
        for key in ("Aplicar lo del puesto", "Dejar lo del servidor", "Editar"):
            assert key in drawn.splitlines()[-1], key

        # The waiting command says what it waits behind; acting on it goes there instead.
        await pilot.press("down")
        await settle(pilot)
        assert "Espera detrás de: Editar persona" in drawn_text(app)
        await pilot.press("m")
        await settle(pilot)
        assert table.cursor_row == 0
        assert "espera detrás de un conflicto" in text_of(screen, "#result")


async def test_an_empty_queue_says_so(office: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = fake(monkeypatch, [])
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        # Not "everything was applied": a supervisor may have discarded some.
        assert "No hay conflictos de sincronización abiertos." in drawn_text(app)
        assert "se aplicó" not in drawn_text(app)
        await pilot.press("m")
        await settle(pilot)
        assert queue.calls == []
        assert "No hay ningún conflicto marcado" in text_of(screen, "#result")


async def test_the_count_is_the_true_total_beyond_the_first_page(
    office: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = [phone_conflict(occurred_at=WHEN + dt.timedelta(minutes=i)) for i in range(130)]
    fake(monkeypatch, many)
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        assert screen.query_one(PagedTable).row_count == SyncConflictsScreen.PAGE
        assert "130 órdenes sin aplicar" in text_of(screen, "#status")
        assert "1–100 de 130" in text_of(screen, "#status")
        await pilot.press("end")
        await settle(pilot)
        assert screen.selected() == many[-1]


# The actions ----------------------------------------------------------------------------


async def test_apply_mine_resolves_it_the_row_goes_and_the_released_are_counted(
    office: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = phone_conflict(version=3)
    waiting = phone_conflict(kind="waiting", what="Agregar nota", fields=[], blocked_by=first.id)
    other = phone_conflict(person_name="Juan Pérez")
    queue = fake(monkeypatch, [first, waiting, other])
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert queue.calls == [(first.id, ResolveIn(action="mine", version=3))]
        assert [c.id for c in screen.conflicts] == [other.id]
        result = text_of(screen, "#result")
        assert "Se aplicó lo del puesto: Editar persona · Yesenia Rondón." in result
        assert "Se aplicó 1 orden que esperaba detrás." in result
        assert result[:60] in drawn_text(app)
        assert "1 orden sin aplicar" in text_of(screen, "#status")


async def test_keep_theirs_asks_first_then_drops_the_desks_values(
    office: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = phone_conflict()
    queue = fake(monkeypatch, [first])
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "terreno-1" in drawn_text(app)
        await pilot.press("escape")  # not now: nothing is asked of the service
        await settle(pilot)
        assert queue.calls == []
        assert "sigue abierto" in text_of(screen, "#result")

        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert queue.calls == [(first.id, ResolveIn(action="theirs", version=1))]
        assert screen.conflicts == []
        assert "Quedó lo del servidor" in text_of(screen, "#result")
        assert "No hay conflictos de sincronización" in drawn_text(app)


async def test_edit_and_apply_sends_the_corrected_values(
    office: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = phone_conflict(version=2)
    queue = fake(monkeypatch, [first])
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, SyncEditModal)
        box = form.query_one("#phone", Input)
        assert box.value == "+56933330000"  # prefilled with what the desk typed
        assert "+56922220000" in drawn_text(app)  # and what the server has, beside it
        box.value = "+56944440000"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert queue.calls == [
            (first.id, ResolveIn(action="edited", values={"phone": "+56944440000"}, version=2))
        ]
        assert app.screen is screen
        assert "Se aplicaron los valores corregidos" in text_of(screen, "#result")
        assert screen.conflicts == []


async def test_a_bad_value_gets_the_services_message_and_nothing_typed_is_lost(
    office: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = phone_conflict()
    queue = fake(monkeypatch, [first])
    queue.refuse = InvalidInput([FieldError("values.phone", "invalid_phone", {"value": "12"})])
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, SyncEditModal)
        form.query_one("#phone", Input).value = "12"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # still open, with its message beside the field
        message = str(form.query_one("#error-phone", Static).render())
        assert message == FieldError("values.phone", "invalid_phone", {"value": "12"}).message()
        assert message in drawn_text(app)
        assert form.query_one("#phone", Input).value == "12"

        # Escape keeps what was typed: the form opens again with it.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SyncConflictsScreen)
        assert "sigue abierto" in text_of(screen, "#result")
        await pilot.press("e")
        await settle(pilot)
        assert app.screen.query_one("#phone", Input).value == "12"


@pytest.mark.parametrize(
    "refusal",
    [
        EditConflict(),
        Conflict("invalid_transition"),
    ],
    ids=["resolved-by-another", "move-no-longer-legal"],
)
async def test_a_refusal_is_shown_in_view_and_the_selection_stays(
    office: Database, monkeypatch: pytest.MonkeyPatch, refusal: Exception
) -> None:
    first, second = phone_conflict(), phone_conflict(person_name="Juan Pérez")
    queue = fake(monkeypatch, [first, second])
    queue.refuse = refusal
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        await pilot.press("down")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert queue.calls == [(second.id, ResolveIn(action="mine", version=1))]
        line = screen.query_one("#result", Static)
        assert str(line.render()) == refusal.message()  # type: ignore[attr-defined]
        assert line.has_class("-refused")
        assert refusal.message()[:60] in drawn_text(app)  # type: ignore[attr-defined]
        assert screen.selected() == second
        assert len(screen.conflicts) == 2


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_the_generic_edit_conflict_is_said_to_the_supervisor(
    office: Database, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    from casework.errors import FieldConflict
    from casework.i18n import set_language

    set_language(lang)
    try:
        generic = EditConflict([FieldConflict("phone", "+56911110000", "+56922220000", "1")])
        edited = phone_conflict(reason=generic.message(), code=generic.code)
        blocked = phone_conflict(
            person_name="Juan Pérez",
            reason=Conflict("person_blocked").message(),
            code="person_blocked",
            fields=[],
        )
        fake(monkeypatch, [edited, blocked])
        app = make_app(office)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            drawn = " ".join(drawn_text(app).split())
            assert t("syncui.reason_edit_conflict") in drawn, drawn
            assert t("error.edit_conflict")[:30] not in drawn
            assert t("syncui.reason_edit_conflict")[:8] in rows(screen.query_one(PagedTable))[0]
            # A specific reason is kept as the service says it.
            await pilot.press("down")
            await settle(pilot)
            assert blocked.reason in " ".join(drawn_text(app).split())
    finally:
        set_language("es")


# Who opens it ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Daniela Fuentes", "Ana Admin"])
async def test_desk_workers_and_administrators_are_refused(
    office: Database, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    queue = fake(monkeypatch, [phone_conflict()])
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, name)
        before = app.screen
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is before
        assert not isinstance(app.screen, SyncConflictsScreen)
        messages = [n.message for n in app._notifications]
        assert t("protection.supervisors_only") in messages
        assert queue.calls == []
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "Conflictos de sincronización" not in drawn_text(app)


async def test_the_key_is_in_the_supervisors_help(
    office: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake(monkeypatch, [])
    app = make_app(office)
    async with app.run_test(size=(100, 60)) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("f1")
        await settle(pilot)
        help_text = "\n".join(str(s.render()) for s in app.screen.query(Static))
        assert "f2  Conflictos de sincronización" in help_text


async def test_the_queue_fits_at_120x40(office: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, [phone_conflict()])
    app = make_app(office)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        drawn = drawn_text(app)
        for value in ("Otro puesto cambió el teléfono mientras tanto.", "+56933330000"):
            assert value in drawn


# On the real service (rows inserted through the models) ----------------------------------


def _real_conflict(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    """A desk worker's refused phone edit, as the push leaves it: (conflict id, person id)."""
    import sqlalchemy as sa

    from casework.models import Worker
    from casework.models.sync import SyncConflict
    from casework.services import persons

    from .factories import intake_data

    with db.read() as session:
        desk_worker = session.scalar(sa.select(Worker.id).where(Worker.username == "dfuentes"))
    assert desk_worker is not None
    person_id = persons.register_intake(Context(db, desk_worker), intake_data()).person_id
    conflict_id = uuid.uuid4()
    with db.write() as session:
        session.add(
            SyncConflict(
                id=conflict_id,
                command_id=uuid.uuid4(),
                seq=1,
                desk_id=uuid.uuid4(),
                desk_name="terreno-1",
                worker_id=desk_worker,
                command="person_edit.update_person",
                payload={"args": [], "kwargs": {}},
                person_id=person_id,
                kind="conflict",
                code="edit_conflict",
                params={},
                fields=[
                    {
                        "field": "phone",
                        "base": "+56911110000",
                        "current": "+56922220000",
                        "typed": "+56933330000",
                    }
                ],
                occurred_at=WHEN,
            )
        )
    return conflict_id, person_id


def _real_service_or_skip(db: Database) -> None:
    try:
        sync_conflicts.open_conflicts(Context(db), limit=1)
    except NotImplementedError:
        pytest.skip("services/sync_conflicts.py is not implemented on this branch yet")
    except Exception:  # implemented: it may refuse a context without a worker
        pass


async def test_keep_theirs_on_the_real_service_settles_the_row(office: Database) -> None:
    import sqlalchemy as sa

    from casework.models.sync import SyncConflict

    _real_service_or_skip(office)
    conflict_id, _ = _real_conflict(office)
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        assert [c.id for c in screen.conflicts] == [conflict_id]
        drawn = drawn_text(app)
        for value in ("+56911110000", "+56922220000", "+56933330000", "terreno-1"):
            assert value in drawn, value
        # Why, in a supervisor's words (the service's reason is the desk worker's).
        assert "Mientras el puesto trabajaba sin conexión, en la oficina" in drawn, drawn
        assert "mientras usted lo editaba" not in drawn
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.conflicts == []
        assert "Quedó lo del servidor" in text_of(screen, "#result")
    with office.read() as session:
        row = session.scalar(sa.select(SyncConflict).where(SyncConflict.id == conflict_id))
        assert row is not None
        assert (row.status, row.resolution) == ("discarded", "theirs")


async def test_resolved_meanwhile_by_another_supervisor_on_the_real_service(
    office: Database,
) -> None:
    from casework.models.sync import SyncConflict

    _real_service_or_skip(office)
    conflict_id, _ = _real_conflict(office)
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot)
        with office.write() as session:  # another supervisor, at another desk
            row = session.get(SyncConflict, conflict_id)
            assert row is not None
            row.status, row.resolution = "discarded", "theirs"
        await pilot.press("m")
        await settle(pilot)
        line = screen.query_one("#result", Static)
        assert line.has_class("-refused")
        assert str(line.render())[:40] in drawn_text(app)
        assert screen.selected() is not None and screen.selected().id == conflict_id  # type: ignore[union-attr]


# On an offline desk: the screens only the office server serves ----------------------------


@pytest.mark.parametrize(
    ("key", "what"),
    [
        ("f3", "sync.what.import"),
        ("f4", "sync.what.panel"),
        ("f6", "sync.what.merge"),
        ("f7", "sync.what.rights"),
        ("f9", "sync.what.retention"),
    ],
)
async def test_on_a_desk_the_server_only_screens_refuse_at_once(
    office: Database, key: str, what: str
) -> None:
    from casework.errors import NotAllowed
    from casework.services import outbox

    outbox.make_desk(office, name="terreno-1", server="postgresql://oficina/casework")
    expected = NotAllowed("offline_refused", what=t(what)).message()
    app = make_app(office)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        app.clear_notifications()
        await settle(pilot)
        before = app.screen
        await pilot.press(key)
        await settle(pilot)
        assert app.screen is before  # no form to fill only to be refused at Ctrl+S
        assert [n.message for n in app._notifications] == [expected]
        drawn = " ".join(drawn_text(app).split())
        assert "Este puesto trabaja sin conexión" in drawn, drawn
        # What stays local still opens: the audit trail (F8) reads the desk's copy.
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is not before


async def test_off_a_desk_the_same_key_opens_its_screen(office: Database) -> None:
    from casework.screens.rights import RightsScreen

    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_as(pilot, "Carolina Reyes")
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, RightsScreen)
        assert not app._notifications


async def test_on_a_desk_staff_administration_refuses_at_once(office: Database) -> None:
    from casework.errors import NotAllowed
    from casework.services import outbox

    outbox.make_desk(office, name="terreno-1", server="postgresql://oficina/casework")
    expected = NotAllowed("offline_refused", what=t("sync.what.staff")).message()
    app = make_app(office)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await sign_in_as(pilot, "Ana Admin")
        app.clear_notifications()
        await settle(pilot)
        before = app.screen
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen is before
        assert [n.message for n in app._notifications] == [expected]
