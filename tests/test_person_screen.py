"""The person file driven with keys: why a file outside the caseload is opened, the case's
vulnerability flags, a rights request and the audit trail from the file, and an intake
with more than one identity document."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from textual.widgets import Input, OptionList, Select, SelectionList, Static

from casework.app import make_app
from casework.db import Database
from casework.i18n import set_language
from casework.models import AuditEvent, Case, IdentityDocument, Note, Person, RightsRequest
from casework.screens.audit import AuditScreen
from casework.screens.forms import ContactModal, NoteModal
from casework.screens.intake import IntakeScreen
from casework.screens.person import PersonScreen
from casework.screens.person_modals import AccessReasonModal, CaseFlagsModal
from casework.screens.rights import NewRequestModal
from casework.screens.today import TodayScreen
from casework.services import persons, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

NOW = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


@pytest.fixture
def colleague(database: Database, admin: WorkerOut) -> WorkerOut:
    """A desk worker of the same programme with no case of the test persons."""
    return staff.create_worker(
        Context(database, admin.id),
        {"username": "otra", "full_name": "Otra Persona", "programme_code": "OFMIG"},
    )


def text_of(widget: Static) -> str:
    return str(widget.render())


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def start_as(pilot, worker_id: uuid.UUID) -> None:  # type: ignore[no-untyped-def]
    """Signed in (passwords are tested in test_security): the worker's day."""
    await pilot.pause()
    pilot.app.start_session(staff.sign_in(Context(pilot.app.database), worker_id))
    await settle(pilot)


def views(db: Database, person_id: uuid.UUID) -> list[AuditEvent]:
    with db.read() as s:
        return list(
            s.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.person_id == person_id, AuditEvent.action == "view")
                .order_by(AuditEvent.at)
            )
        )


def notices(app) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(n.message) for n in app._notifications)


# Opening a file outside the caseload ------------------------------------------------------


async def test_a_file_outside_the_caseload_asks_why_and_escape_backs_out(
    database: Database, ctx: Context, colleague: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_as(pilot, colleague.id)
        app.open_person(pid)
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AccessReasonModal)
        assert "no está en su carga de casos" in text_of(modal.query_one(".title", Static))
        person_screen = app.screen_stack[-2]
        assert isinstance(person_screen, PersonScreen)
        assert text_of(person_screen.query_one("#person-title", Static)) == ""  # nothing shown

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert views(database, pid) == []

        # Asked again; "colleague asked for help" (down, enter) opens it, reason audited.
        app.open_person(pid)
        await settle(pilot)
        assert isinstance(app.screen, AccessReasonModal)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "Yesenia" in text_of(app.screen.query_one("#person-title", Static))
        [view] = views(database, pid)
        assert view.details == {"access": "outside", "reason": "colleague_help", "what": "file"}

        # A contact recorded at the desk makes the person hers: not asked again.
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ContactModal)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        # Shown again after the save: read through the gate again, as a reload of hers now.
        assert views(database, pid)[-1].details == {"access": "own", "what": "file", "reload": True}
        await pilot.press("escape")
        await settle(pilot)
        app.open_person(pid)
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert len(views(database, pid)) == 3
        assert views(database, pid)[-1].details == {"access": "own", "what": "file"}


async def test_her_own_caseload_opens_without_a_question(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_as(pilot, worker.id)
        app.open_person(pid)
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert len(views(database, pid)) == 1


async def test_the_question_in_english_and_a_number_key_answers_it(
    database: Database, ctx: Context, colleague: WorkerOut
) -> None:
    set_language("en")
    pid = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, colleague.id)
        app.open_person(pid)
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AccessReasonModal)
        assert "not in your caseload" in text_of(modal.query_one(".title", Static))
        options = modal.query_one(OptionList)
        assert "Checking a possible duplicate" in str(options.get_option_at_index(2).prompt)
        await pilot.press("3")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert views(database, pid)[0].details["reason"] == "duplicate_check"


async def test_a_note_on_a_file_outside_the_caseload_carries_the_files_reason(
    database: Database, ctx: Context, admin: WorkerOut
) -> None:
    """A desk worker of another programme opens the file with a reason and adds a note
    from it: the note is saved (the reason goes along) and its audit row says why."""
    admin_ctx = Context(database, admin.id)
    staff.create_programme(admin_ctx, {"code": "OMIL", "name": "OMIL"})
    omil = staff.create_worker(
        admin_ctx, {"username": "omil", "full_name": "Otra Oficina", "programme_code": "OMIL"}
    )
    pid = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_as(pilot, omil.id)
        app.open_person(pid)
        await settle(pilot)
        assert isinstance(app.screen, AccessReasonModal)
        await pilot.press("1")  # the person came to the desk
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteModal)
        await pilot.press(*"Trajo su pasaporte.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen), notices(app)
        with database.read() as s:
            assert list(s.scalars(sa.select(Note.text).where(Note.person_id == pid))) == [
                "Trajo su pasaporte."
            ]
            row = s.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "note")).one()
        assert row.worker_id == omil.id
        assert row.details == {"access": "outside", "reason": "desk_visit"}


# Case flags ------------------------------------------------------------------------------


async def test_the_case_worker_ticks_vulnerability_flags_from_the_file(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    result = persons.register_intake(ctx, intake_data())
    app = make_app(database)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_as(pilot, worker.id)
        app.open_person(result.person_id)
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, CaseFlagsModal)
        flags = modal.query_one("#flags", SelectionList)
        assert "Embarazo" in str(flags.get_option_at_index(1).prompt)
        await pilot.press("down", "space")  # pregnancy
        await pilot.press("escape")  # back out: nothing saved
        await settle(pilot)
        with database.read() as s:
            assert s.get(Case, result.case_id).flags == []  # type: ignore[union-attr]

        await pilot.press("v")
        await settle(pilot)
        await pilot.press("down", "space", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        with database.read() as s:
            assert s.get(Case, result.case_id).flags == ["pregnancy"]  # type: ignore[union-attr]
        assert "Marcas del caso guardadas" in notices(app)
        assert "Embarazo" in text_of(app.screen.query_one("#identity", Static))

        # Saving the same flags again says so and writes nothing.
        await pilot.press("v")
        await settle(pilot)
        assert app.screen.query_one("#flags", SelectionList).selected == ["pregnancy"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Sin cambios" in notices(app)


async def test_a_colleague_cannot_change_the_flags_of_a_case_not_hers(
    database: Database, ctx: Context, colleague: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_as(pilot, colleague.id)
        app.open_person(pid)
        await settle(pilot)
        await pilot.press("1")  # new visit at the desk
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "Solo quien tiene el caso a cargo" in notices(app)


# Rights and audit from the file ------------------------------------------------------------


async def test_rights_request_from_the_file_and_audit_for_supervisors_only(
    database: Database, ctx: Context, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    pid = persons.register_intake(ctx, intake_data()).person_id
    app = make_app(database)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_as(pilot, worker.id)
        app.open_person(pid)
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        assert "para supervisión y administración" in notices(app)

        await pilot.press("e")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, NewRequestModal)
        # The person by name (issue #15: never an id on the desk), the id kept behind it.
        shown = modal.query_one("#person", Input).value
        assert shown and shown == modal.person_named and str(pid) not in shown
        assert modal.person_typed() == str(pid)
        modal.query_one("#kind", Select).value = "access"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        with database.read() as s:
            request = s.scalars(sa.select(RightsRequest)).one()
        assert (request.person_id, request.kind) == (pid, "access")

        # The supervisor of the programme opens the file's audit trail with "a".
        await start_as(pilot, supervisor.id)
        app.open_person(pid)
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)  # her programme: no question
        await pilot.press("a")
        await settle(pilot)
        audit = app.screen
        assert isinstance(audit, AuditScreen)
        shown = audit.query_one("#person", Input).value
        assert shown and shown == audit.person_named and str(pid) not in shown
        assert audit.rows and all(r.person_id == pid for r in audit.rows)


# Intake with several documents -------------------------------------------------------------


async def test_intake_takes_a_second_document_validated_and_saved(
    database: Database, ctx: Context, worker: WorkerOut
) -> None:
    existing = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Jean",
                first_surname="Pierre",
                second_surname=None,
                documents=[{"type": "passport", "number": "HT998877"}],
            )
        ),
    ).person_id
    app = make_app(database)
    async with app.run_test(size=(100, 40)) as pilot:
        await start_as(pilot, worker.id)
        await pilot.press("ctrl+n")
        await settle(pilot)
        intake = app.screen
        assert isinstance(intake, IntakeScreen)
        assert not intake.query_one("#doc-row_1").display
        # Typing is tested in test_desk; values are set here to keep the test quick.
        intake.query_one("#given_names", Input).value = "Marie"
        intake.query_one("#first_surname", Input).value = "Joseph"
        intake.query_one("#doc_number", Input).value = "AB123456"

        # F3 reveals a second row, on its type; a wrong RUN is flagged beside that row.
        await pilot.press("f3")
        await settle(pilot)
        assert intake.query_one("#doc-row_1").display
        assert intake.focused is intake.query_one("#doc_type_1", Select)
        intake.query_one("#doc_type_1", Select).value = "run"
        intake.query_one("#doc_number_1", Input).value = "12.345.678-9"
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = intake.query_one("#error-documents_1", Static)
        assert error.display and "debería ser 5" in text_of(error)
        assert not intake.query_one("#error-documents", Static).display
        assert intake.query_one("#doc_number", Input).value == "AB123456"
        assert intake.query_one("#doc_number_1", Input).value == "12.345.678-9"

        # The third row's document is on record already: the panel shows who has it.
        await pilot.press("f3")
        await settle(pilot)
        assert not intake.candidates
        intake.query_one("#doc_number_2", Input).value = "HT998877"
        await settle(pilot)
        assert any(c.person.id == existing for c in intake.candidates)
        await pilot.press("f3")
        assert "hasta 3 documentos" in notices(app)
        intake.query_one("#doc_number_2", Input).value = ""
        await settle(pilot)

        intake.query_one("#doc_number_1", Input).value = "12.345.678-5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonScreen)
        with database.read() as s:
            pid = s.scalar(sa.select(Person.id).where(Person.given_names == "Marie"))
            docs = s.execute(
                sa.select(IdentityDocument.type_key, IdentityDocument.number_norm)
                .where(IdentityDocument.person_id == pid)
                .order_by(IdentityDocument.type_key)
            ).all()
        assert [tuple(d) for d in docs] == [("passport", "AB123456"), ("run", "12345678-5")]
