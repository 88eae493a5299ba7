"""`casework import visits`: an office's sheet of attentions onto the persons' timelines
(issue #16 point 4). Every name and number is invented."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from casework import rut
from casework.db import Database
from casework.errors import NotAllowed
from casework.models import (
    AuditEvent,
    Case,
    Contact,
    FollowUp,
    ImportRef,
    Person,
    Programme,
    Referral,
)
from casework.services import assignment, desk, person_file, persons, staff
from casework.services.context import Context
from casework.services.import_types import ImportFileError, ReadOptions
from casework.services.import_visits import import_visits
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data
from .test_concurrency_races import at_once

HEADER = "nombres;primer_apellido;tipo_documento;documento;fecha;motivo;programa;derivacion;nota"
MAPPING = ReadOptions(
    mapping={
        "fecha": "visit_date",
        "motivo": "reasons",
        "programa": "programme",
        "derivacion": "destination",
        "nota": "note",
    }
)


def a_run(n: int) -> str:
    body = str(22_000_000 + n)
    return f"{body}-{rut.check_digit(body)}"


def sheet(tmp_path: Path, *lines: str, name: str = "atenciones.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def options() -> ReadOptions:
    return ReadOptions(mapping=dict(MAPPING.mapping))


def count(db: Database, model: Any, *where: Any) -> int:
    with db.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


@pytest.fixture
def sup(database: Database, supervisor: WorkerOut) -> Context:
    return Context(database, supervisor.id)


THREE = (
    "Rosa Elena;Quispe;;;03-04-2019;Salud;OFMIG;;Consulta por CESFAM",
    "Rosa Elena;Quispe;;;15-05-2019;Vivienda, Trabajo;;;Busca arriendo",
    "Rosa Elena;Quispe;;;2019-09-20;regularization;Oficina de Migrantes;;",
)


def test_three_visits_of_one_person_make_one_person_with_three_attentions(
    database: Database, sup: Context, tmp_path: Path
) -> None:
    report = import_visits(sup, sheet(tmp_path, *THREE), options())
    assert (report.rows, report.created, report.visits_created, report.refused) == (3, 1, 3, 0)
    with database.read() as s:
        pid = s.scalars(sa.select(Person.id)).one()
    entries = [e for e in person_file.timeline(sup, pid) if e.kind == "contact"]
    assert [e.at.astimezone().date() for e in entries] == [
        dt.date(2019, 9, 20),
        dt.date(2019, 5, 15),
        dt.date(2019, 4, 3),
    ]
    assert [e.data["reasons"] for e in entries] == [
        ["regularization"],
        ["housing", "work"],
        ["health"],
    ]
    assert [e.data["note"] for e in entries] == ["", "Busca arriendo", "Consulta por CESFAM"]
    assert {e.programme_name for e in entries} == {"Oficina de Migrantes"}
    assert {e.data["contact_kind"] for e in entries} == {"follow_up"}
    assert all(e.at.astimezone().hour == 12 for e in entries)  # noon, local time
    # One audit row per attention, and the file's summary.
    assert count(database, AuditEvent, AuditEvent.entity == "contact") == 4
    assert count(database, AuditEvent, AuditEvent.action == "import_file") == 1


def test_a_rerun_of_the_same_file_adds_nothing(
    database: Database, sup: Context, tmp_path: Path
) -> None:
    path = sheet(tmp_path, *THREE)
    import_visits(sup, path, options())
    again = import_visits(sup, path, options())
    assert (again.created, again.visits_created, again.visits_already) == (0, 0, 3)
    assert again.already == 1
    assert count(database, Person) == 1
    assert count(database, Contact) == 3
    assert count(database, Case) == 1


def test_visits_of_a_person_on_record_with_a_run_attach_to_them(
    database: Database, ctx: Context, sup: Context, tmp_path: Path
) -> None:
    run = a_run(1)
    known = persons.register_intake(
        ctx, intake_data(person_data(documents=[{"type": "run", "number": run}]))
    )
    # The sheet spells the names another way; the document makes identity certain.
    path = sheet(
        tmp_path,
        f"Yesenia;Rondon;RUN;{run.replace('-', '')};10-01-2020;Salud;;;",
        f"Yesenia C.;Rondón B.;run;{run};11-02-2020;;;;",
    )
    report = import_visits(sup, path, options())
    assert (report.created, report.already, report.visits_created) == (0, 1, 2)
    assert count(database, Person) == 1
    assert count(database, Contact, Contact.person_id == known.person_id) == 3


def test_programme_by_name_or_code_and_an_unknown_one_refuses_the_row(
    database: Database, sup: Context, admin: WorkerOut, tmp_path: Path
) -> None:
    staff.create_programme(Context(database, admin.id), {"code": "OMIL", "name": "OMIL Empleo"})
    path = sheet(
        tmp_path,
        "Ana;Soto;;;01-03-2019;;omil empleo;;",
        "Ana;Soto;;;02-03-2019;;Programa Fantasma;;",
        "Luis;Mora;;;03-03-2019;;;;",
    )
    report = import_visits(sup, path, options())
    assert (report.visits_created, report.refused) == (2, 1)
    [problem] = report.problems
    assert problem.line == 3
    assert (
        problem.issues[0].message()
        == "No hay un programa «Programa Fantasma»: la fila no se importó."
    )
    with database.read() as s:
        names = dict(
            s.execute(
                sa.select(Person.first_surname, Programme.code)
                .join(Contact, Contact.person_id == Person.id)
                .join(Programme, Programme.id == Contact.programme_id)
            ).all()
        )
    # A row naming none: the importer's own programme.
    assert names == {"Soto": "OMIL", "Mora": "OFMIG"}
    with pytest.raises(ImportFileError) as refused:
        import_visits(sup, path, options(), programme="NOEXISTE")
    assert refused.value.code == "import_unknown_programme"


def test_a_destination_makes_a_closed_referral_with_no_follow_up(
    database: Database, sup: Context, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path,
        "Marta;Gil;;;05-06-2019;Salud;;CESFAM;Control embarazo",
        "Marta;Gil;;;06-06-2019;;;Fundación Inventada;Se orienta",
    )
    report = import_visits(sup, path, options())
    assert (report.visits_created, report.warned, report.refused) == (2, 1, 0)
    assert report.problems[0].issues[0].code == "visit_unknown_destination"
    with database.read() as s:
        ref = s.scalars(sa.select(Referral)).one()
        notes = sorted(n or "" for n in s.scalars(sa.select(Contact.note)))
    assert (ref.destination_key, ref.status, ref.outcome) == ("cesfam", "completed", "unknown")
    assert ref.requested_at is not None and ref.requested_at.astimezone().date() == dt.date(
        2019, 6, 5
    )
    assert count(database, FollowUp) == 0
    assert notes == ["Control embarazo", "Se orienta\nDerivación: Fundación Inventada"]
    with database.read() as s:
        pid = s.scalars(sa.select(Person.id)).one()
    referral_lines = [e for e in person_file.timeline(sup, pid) if e.kind == "referral"]
    assert [(e.data["destination"], e.data["to_status"]) for e in referral_lines] == [
        ("cesfam", "completed")
    ]


def test_a_history_case_is_closed_and_fills_no_caseload(
    database: Database, sup: Context, supervisor: WorkerOut, admin: WorkerOut, tmp_path: Path
) -> None:
    import_visits(sup, sheet(tmp_path, *THREE), options())
    with database.read() as s:
        case = s.scalars(sa.select(Case)).one()
    assert case.status == "closed"
    assert (case.closing_reason, case.closing_outcome) == ("import", None)
    assert case.opened_at.astimezone().date() == dt.date(2019, 4, 3)
    assert case.closed_at is not None and case.closed_at.astimezone().date() == dt.date(2019, 9, 20)
    assert case.worker_id == supervisor.id
    load = assignment.workload(Context(database, admin.id), supervisor.id)
    assert (load.open_cases, load.pending_follow_ups, load.open_referrals) == (0, 0, 0)
    day = desk.day(sup)
    assert (day.due_today, day.late.total, day.waiting.total) == ([], 0, 0)
    # A later visit of the same person in a new sheet extends the same history case.
    import_visits(
        sup, sheet(tmp_path, "Rosa Elena;Quispe;;;01-02-2020;;;;", name="mas.csv"), options()
    )
    with database.read() as s:
        case = s.scalars(sa.select(Case)).one()
    assert case.closed_at is not None and case.closed_at.astimezone().date() == dt.date(2020, 2, 1)


def test_a_visit_goes_into_a_case_open_since_before_it(
    database: Database, ctx: Context, sup: Context, tmp_path: Path
) -> None:
    """A person with an open desk case: history from before it goes to a history case,
    a visit since it into it."""
    run = a_run(2)
    known = persons.register_intake(
        ctx, intake_data(person_data(documents=[{"type": "run", "number": run}]))
    )
    today = dt.date.today().strftime("%d-%m-%Y")
    path = sheet(
        tmp_path,
        f"Yesenia;Rondón;run;{run};01-01-2019;;;;",
        f"Yesenia;Rondón;run;{run};{today};;;;",
    )
    assert import_visits(sup, path, options()).visits_created == 2
    with database.read() as s:
        statuses = s.execute(
            sa.select(Case.status, sa.func.count(Contact.id))
            .join(Contact, Contact.case_id == Case.id)
            .where(Case.person_id == known.person_id)
            .group_by(Case.status)
        ).all()
    assert sorted(statuses) == [("closed", 1), ("open", 2)]


def test_rows_without_a_usable_date_are_refused_and_create_no_person(
    database: Database, sup: Context, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path, "Ana;Soto;;;;;;;", "Luis;Mora;;;31-02-2019;;;;", "Eva;Paz;;;01-01-2099;;;;"
    )
    report = import_visits(sup, path, options())
    assert (report.refused, report.visits_created, report.created) == (3, 0, 0)
    assert [p.issues[0].code for p in report.problems] == [
        "visit_no_date",
        "visit_bad_date",
        "visit_future_date",
    ]
    assert report.problems[1].issues[0].message() == (
        "Fecha de atención ilegible: «31-02-2019»; la fila no se importó."
    )
    assert count(database, Person) == 0


def test_the_preview_counts_and_writes_nothing(
    database: Database, sup: Context, tmp_path: Path
) -> None:
    path = sheet(tmp_path, *THREE, "Ana;Soto;;;sin fecha;;;;")
    preview = import_visits(sup, path, options(), dry_run=True)
    assert (preview.created, preview.visits_created, preview.refused) == (1, 3, 1)
    assert preview.sample[0]["visit_date"] == "2019-04-03"
    assert preview.sample[0]["programme"] == "Oficina de Migrantes"
    assert count(database, Person) == 0 and count(database, ImportRef) == 0
    import_visits(sup, path, options())
    again = import_visits(sup, path, options(), dry_run=True)
    assert (again.created, again.already, again.visits_created, again.visits_already) == (
        0,
        1,
        0,
        3,
    )


def test_a_desk_worker_may_not_import_visits(
    database: Database, ctx: Context, tmp_path: Path
) -> None:
    with pytest.raises(NotAllowed):
        import_visits(ctx, sheet(tmp_path, *THREE), options())
    assert count(database, Person) == 0 and count(database, AuditEvent) == count(
        database, AuditEvent, AuditEvent.action != "import_file"
    )


def test_progress_and_cancel_between_batches(
    database: Database, sup: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casework.services import import_visits as module

    monkeypatch.setattr(module, "BATCH", 2)
    lines = [f"P{i};Apellido{i};;;0{1 + i % 9}-01-2019;;;;" for i in range(7)]
    stop = threading.Event()
    seen: list[int] = []

    def progress(p: Any) -> None:
        seen.append(p.done)
        if p.done >= 4:
            stop.set()

    report = import_visits(sup, sheet(tmp_path, *lines), options(), progress=progress, cancel=stop)
    assert seen == [2, 4] and report.cancelled
    assert count(database, Contact) == 4  # whole batches only


def test_two_imports_at_once_create_each_visit_once(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    for tag in range(4):
        lines = [
            f"Nombre{j};Apellido{tag};"
            f"{'run' if j % 2 else ''};{a_run(100 * tag + j) if j % 2 else ''};"
            f"{1 + j % 27:02d}-0{1 + j % 9}-2019;Salud;;{'CESFAM' if j % 3 == 0 else ''};"
            for j in range(12)
        ]
        # Each person twice: the same visit repeated, and a second visit.
        lines += [line.replace("-2019;", "-2018;") for line in lines]
        path = sheet(tmp_path, *lines, name=f"race{tag}.csv")
        reports = at_once(
            partial(import_visits, Context(database, supervisor.id), path, options()),
            partial(import_visits, Context(database, supervisor.id), path, options()),
        )
        for report in reports:
            assert not isinstance(report, BaseException), repr(report)
            assert report.refused == 0
        assert sorted(r.visits_created for r in reports) == [0, 24]
        assert sorted(r.created for r in reports) == [0, 12]
    assert count(database, Person) == 48
    assert count(database, Contact) == 96
    assert count(database, Case) == 48
    assert count(database, Referral) == 32


def test_a_blocked_person_gets_no_imported_visit_and_the_rest_go_in(
    database: Database, ctx: Context, sup: Context, tmp_path: Path
) -> None:
    from casework.services import rights

    run = a_run(3)
    known = persons.register_intake(
        ctx, intake_data(person_data(documents=[{"type": "run", "number": run}]))
    )
    rights.register(sup, {"person_id": known.person_id, "kind": "blocking"})
    path = sheet(tmp_path, f"Yesenia;Rondón;run;{run};01-01-2019;;;;", "Ana;Soto;;;02-01-2019;;;;")
    report = import_visits(sup, path, options())
    assert (report.visits_created, report.refused) == (1, 1)
    assert report.problems[0].issues[0].code == "visit_person_blocked"
    assert count(database, Contact, Contact.person_id == known.person_id) == 1  # the intake


def test_a_visit_is_read_as_the_reader_gives_it(tmp_path: Path) -> None:
    """The visit's date and reason codes come from import_read (one date reader, one reason
    list); the date cell is kept as typed for the messages."""
    from casework.services.import_read import open_source
    from casework.services.import_visits import _visit_fields

    path = sheet(tmp_path, "Ana;Soto;;;45123;Salud, Trabajo;OFMIG;cesfam;")
    source = open_source(path, dataclasses.replace(options(), kind="visits"))
    row = next(source.rows())
    a = _visit_fields(row, source.info)
    assert (a.date, a.reasons, a.date_text) == (dt.date(2023, 7, 16), ["health", "work"], "45123")


def test_an_unrecognised_reason_is_kept_in_the_visits_note(
    database: Database, sup: Context, tmp_path: Path
) -> None:
    """The reader's warning says the reason stays with the attention: it does (it was once
    dropped between the reader and the visits import)."""
    path = sheet(tmp_path, "Ana;Soto;;;01-03-2019;Salud, trámite raro;;;Vino sola")
    report = import_visits(sup, path, options())
    assert report.visits_created == 1
    assert [i.code for p in report.problems for i in p.issues] == ["bad_reason"]
    with database.read() as s:
        contact = s.scalars(sa.select(Contact).where(Contact.kind != "intake")).one()
    assert contact.reasons == ["health"]
    assert (
        contact.note is not None and "trámite raro" in contact.note and "Vino sola" in contact.note
    )


def test_a_document_on_record_under_other_names_is_a_conflict_not_their_visit(
    database: Database, ctx: Context, sup: Context, tmp_path: Path
) -> None:
    """A RUN on record with names that clearly differ is most likely a mistyped RUN: the
    visit is not put on that person's timeline; the row is reported."""
    run = a_run(4)
    known = persons.register_intake(
        ctx, intake_data(person_data(documents=[{"type": "run", "number": run}]))
    )
    path = sheet(tmp_path, f"Pedro;Gómez;run;{run};01-01-2019;;;;")
    report = import_visits(sup, path, options())
    assert (report.visits_created, report.refused) == (0, 1)
    assert report.problems[0].issues[0].code == "document_on_record"
    assert count(database, Contact, Contact.person_id == known.person_id) == 1  # the intake
