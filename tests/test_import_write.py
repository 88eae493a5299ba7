"""Importing persons: batches a desk can save between, cancel and re-run, the desk's rules
on references and documents, the keys search reads, and two imports at once."""

from __future__ import annotations

import datetime as dt
import threading
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework.db import Database
from casework.models import AuditEvent, IdentityDocument, ImportRef, Person, PersonKey
from casework.services import keys, persons
from casework.services.context import Context
from casework.services.import_types import Progress
from casework.services.importing import import_persons, preview
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data
from .test_concurrency_races import a_run, at_once

HEADER = "ref;nombres;primer_apellido;fecha_nacimiento;tipo_documento;numero_documento\n"


def _file(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(n: int, tag: str = "W", first: int = 0) -> list[str]:
    return [
        f"{tag}-{i};Nombre{i};Apellido{tag};01-02-1990;run;{a_run(first + i)}"
        for i in range(first, first + n)
    ]


def _count(db: Database, stmt: sa.Select[Any]) -> int:
    with db.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)


def test_batches_commit_so_a_desk_saves_during_an_import(
    database: Database, supervisor: WorkerOut, worker: WorkerOut, tmp_path: Path
) -> None:
    path = _file(tmp_path, "lista.csv", _rows(60))
    desk = Context(database, worker.id)
    seen: list[Progress] = []
    saved: list[Any] = []

    def desk_saves() -> None:
        try:
            saved.append(persons.register_intake(desk, intake_data(person_data())))
        except Exception as exc:  # reported below
            saved.append(exc)

    def progress(p: Progress) -> None:
        seen.append(p)
        if len(seen) == 2:  # mid-import: another desk saves an intake from its own thread
            thread = threading.Thread(target=desk_saves)
            thread.start()
            thread.join(30)

    report = import_persons(
        Context(database, supervisor.id), path, progress=progress, batch_size=10
    )
    assert len(saved) == 1 and not isinstance(saved[0], Exception), saved
    assert (report.rows, report.created) == (60, 60)
    assert [p.done for p in seen[:6]] == [10, 20, 30, 40, 50, 60]
    assert seen[-1].done == 60
    assert _count(database, sa.select(Person.id)) == 61


def test_a_cancelled_import_keeps_whole_batches_and_a_rerun_completes(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    path = _file(tmp_path, "lista.csv", _rows(45))
    ctx = Context(database, supervisor.id)
    cancel = threading.Event()
    first = import_persons(ctx, path, progress=lambda p: cancel.set(), cancel=cancel, batch_size=10)
    assert first.cancelled and (first.rows, first.created) == (10, 10)
    assert _count(database, sa.select(Person.id)) == 10
    again = import_persons(ctx, path, batch_size=10)
    assert not again.cancelled
    assert (again.rows, again.created, again.already) == (45, 35, 10)
    assert _count(database, sa.select(Person.id)) == 45
    assert _count(database, sa.select(ImportRef.ref).where(ImportRef.ref.like("W-%"))) == 45
    with database.read() as s:
        files = s.scalars(
            sa.select(AuditEvent.details).where(AuditEvent.action == "import_file")
        ).all()
        imports = s.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.action == "import", AuditEvent.entity == "person"
            )
        )
    assert [d["cancelled"] for d in files] == [True, False] and imports == 45


def test_the_same_ref_with_other_data_is_a_conflict(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    ctx = Context(database, supervisor.id)
    lines = _rows(3)
    lines.append(lines[0].replace("Nombre0", "Otro"))  # line 5: ref W-0 again, other data
    lines.append(lines[1])  # line 6: W-1 exactly again
    report = import_persons(ctx, _file(tmp_path, "a.csv", lines), batch_size=2)
    assert (report.created, report.conflicts, report.duplicates_in_file) == (3, 1, 1)
    [problem] = report.problems
    assert (problem.line, problem.status) == (5, "conflict")
    assert "línea 2" in problem.issues[0].message("es")
    # A later file changes W-2: a conflict with the record, not a silent "already".
    changed = [lines[0], lines[2].replace("Nombre2", "Cambiado")]
    later = import_persons(ctx, _file(tmp_path, "b.csv", changed))
    assert (later.created, later.already, later.conflicts) == (0, 1, 1)
    assert later.problems[0].line == 3
    assert "W-2" in later.problems[0].issues[0].message("es")
    assert _count(database, sa.select(Person.id)) == 3


def test_one_file_never_gives_one_document_to_two_persons(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    run = a_run(77)
    lines = [
        f"D-1;Rosa;Mamani;01-02-1990;run;{run}",
        f"D-2;Pedro;Soto;03-04-1980;run;{run}",  # another person, the same RUN
        f"D-3;Rosa;Mamaní;01-02-1990;run;{run.replace('-', '')}",  # the same person again
    ]
    report = import_persons(Context(database, supervisor.id), _file(tmp_path, "a.csv", lines))
    assert (report.created, report.conflicts, report.duplicates_in_file) == (1, 1, 1)
    [problem] = report.problems
    assert problem.line == 3 and "línea 2" in problem.issues[0].message("es")
    holders = sa.select(IdentityDocument.person_id).where(IdentityDocument.type_key == "run")
    assert _count(database, holders) == 1


def test_a_document_on_record_is_that_person_or_a_conflict(
    database: Database, supervisor: WorkerOut, worker: WorkerOut, tmp_path: Path
) -> None:
    run = a_run(88)
    desk = Context(database, worker.id)
    persons.register_intake(
        desk,
        intake_data(
            person_data(
                given_names="José Luis",
                first_surname="Peña",
                documents=[{"type": "run", "number": run}],
            )
        ),
    )
    lines = [
        f"O-1;Jose;Pena;01-02-1990;run;{run}",  # the names agree: already on record
        f"O-2;Marta;Fuentes;01-02-1990;run;{run}",  # clearly someone else
    ]
    report = import_persons(Context(database, supervisor.id), _file(tmp_path, "a.csv", lines))
    assert (report.created, report.already, report.conflicts) == (0, 1, 1)
    [problem] = report.problems
    assert problem.line == 3 and problem.status == "conflict"
    assert run in problem.issues[0].message("es")
    assert _count(database, sa.select(Person.id)) == 1


def test_preview_writes_nothing_and_a_rerun_creates_nothing_twice(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    ctx = Context(database, supervisor.id)
    lines = [*_rows(5), "X-1;Sin;Fecha;31-02-1990;;", "X-2;;;;;"]
    path = _file(tmp_path, "a.csv", lines)
    seen = preview(ctx, path)
    assert (seen.created, seen.warned, seen.refused, seen.dry_run) == (6, 1, 1, True)
    assert seen.sample[0]["given_names"] == "Nombre0"
    assert _count(database, sa.select(Person.id)) == 0
    assert _count(database, sa.select(AuditEvent.id).where(AuditEvent.action.like("import%"))) == 0
    done = import_persons(ctx, path, batch_size=3)
    assert (done.created, done.warned, done.refused) == (6, 1, 1)
    again = import_persons(ctx, path, batch_size=4)
    assert (again.created, again.already, again.refused) == (0, 6, 1)
    assert _count(database, sa.select(Person.id)) == 6


def test_imported_persons_have_the_keys_the_desk_writes_and_are_found(
    database: Database, supervisor: WorkerOut, worker: WorkerOut, tmp_path: Path
) -> None:
    run = a_run(99)
    lines = [f"K-1;María José;Núñez;17-04-1991;run;{run}", "K-2;Jean-Baptiste;Pierre;;;"]
    import_persons(Context(database, supervisor.id), _file(tmp_path, "a.csv", lines))

    def stored(s: Any, pid: Any) -> set[tuple[str, str]]:
        rows = s.execute(sa.select(PersonKey.kind, PersonKey.key).where(PersonKey.person_id == pid))
        return {(kind, key) for kind, key in rows}

    with database.write() as s:
        for person in s.scalars(sa.select(Person)):
            imported = stored(s, person.id)
            keys.refresh(s, person)
            assert stored(s, person.id) == imported, person.given_names
            assert any(kind.startswith("m.") for kind, _ in imported)
    desk = Context(database, worker.id)
    assert [r.given_names for r in persons.search_persons(desk, "Nuñez")] == ["María José"]
    assert [r.given_names for r in persons.search_persons(desk, run)] == ["María José"]
    assert [r.given_names for r in persons.search_persons(desk, "Piere")] == ["Jean-Baptiste"]


def test_two_imports_of_one_file_at_once_in_batches_create_each_row_once(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    ctx = Context(database, supervisor.id)
    for tag in range(3):
        path = _file(tmp_path, f"l{tag}.csv", _rows(24, f"R{tag}", 100 * tag))
        reports = at_once(
            partial(import_persons, ctx, path, batch_size=5),
            partial(import_persons, ctx, path, batch_size=5),
        )
        for report in reports:
            assert not isinstance(report, BaseException), repr(report)
            assert report.created + report.already == 24 and report.problems == []
        assert sum(r.created for r in reports) == 24
    assert _count(database, sa.select(Person.id)) == 72
    doubled = (
        sa.select(IdentityDocument.number_norm)
        .group_by(IdentityDocument.number_norm)
        .having(sa.func.count() > 1)
    )
    assert _count(database, doubled) == 0


def test_two_files_sharing_a_document_at_once_give_it_to_one_person(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    ctx = Context(database, supervisor.id)
    for round_ in range(3):
        shared = a_run(500 + round_)
        a = _rows(12, f"A{round_}", 1000 * round_ + 10)
        b = _rows(12, f"B{round_}", 1000 * round_ + 30)
        a[6] = f"A{round_}-x;Lucía;Rojas;01-02-1990;run;{shared}"
        b[6] = f"B{round_}-x;Camila;Vera;05-06-1985;run;{shared}"
        reports = at_once(
            partial(import_persons, ctx, _file(tmp_path, f"a{round_}.csv", a), batch_size=4),
            partial(import_persons, ctx, _file(tmp_path, f"b{round_}.csv", b), batch_size=4),
        )
        for report in reports:
            assert not isinstance(report, BaseException), repr(report)
        assert sorted(r.conflicts for r in reports) == [0, 1]
        assert sum(r.created for r in reports) == 23
        holders = sa.select(IdentityDocument.person_id).where(
            IdentityDocument.number_norm == shared
        )
        assert _count(database, holders) == 1


def test_a_row_with_half_a_name_is_a_person_to_complete(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    """FEBRL-like rows missing a given name or a surname are kept (the issue counted them as
    people lost); the missing half is empty, the report says to complete it."""
    sup = Context(database, supervisor.id)
    path = tmp_path / "mitades.csv"
    path.write_text("nombres;primer_apellido\n;Soto\nAna;\n;\n", encoding="utf-8")
    report = import_persons(sup, path)
    assert (report.created, report.refused, report.warned) == (2, 0, 2)  # ";" is a blank line
    with database.read() as s:
        names = sorted(s.execute(sa.select(Person.given_names, Person.first_surname)).all())
    assert names == [("", "Soto"), ("Ana", "")]


CORRECTED_HEADER = (
    "ref;nombres;primer_apellido;fecha_nacimiento;comuna;tipo_documento;numero_documento\n"
)


def test_a_corrected_report_fills_what_the_first_import_left_empty(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    """The issue's promise: the report, corrected and imported again, brings the corrected
    cells in. Empty fields are filled (audited as an update); nothing filled is overwritten
    (a changed name stays a conflict); a re-run of the corrected file changes nothing."""
    sup = Context(database, supervisor.id)
    run = a_run(4242)
    first = tmp_path / "lista.csv"
    first.write_text(
        CORRECTED_HEADER
        + "K1;Ana;Soto;31-02-1990;Stgo Centro;;\n"
        + f"K2;Luis;Mora;01-01-1980;Marte;run;{run[:-2]}\n"
        + "K3;Eva;Paz;02-02-1970;Renca;;\n",
        encoding="utf-8",
    )
    report = import_persons(sup, first)
    assert (report.created, report.warned) == (3, 2)
    corrected = tmp_path / "lista-corregida.csv"
    corrected.write_text(
        CORRECTED_HEADER
        + "K1;Ana;Soto;28-02-1990;Stgo Centro;;\n"
        + f"K2;Luis;Mora;01-01-1980;Ñuñoa;run;{run}\n"
        + "K3;Eva;Pazos;02-02-1970;Renca;;\n",
        encoding="utf-8",
    )
    again = import_persons(sup, corrected)
    assert (again.created, again.completed, again.conflicts) == (0, 2, 1)
    assert [p.issues[0].code for p in again.problems] == ["ref_on_record"]
    with database.read() as s:
        ana = s.scalars(sa.select(Person).where(Person.given_names == "Ana")).one()
        luis = s.scalars(sa.select(Person).where(Person.given_names == "Luis")).one()
        eva = s.scalars(sa.select(Person).where(Person.given_names == "Eva")).one()
        assert ana.birth_date == dt.date(1990, 2, 28)
        assert luis.commune_code == "13120" and [d.live_key for d in luis.documents] == [
            run.replace(".", "")
        ]
        assert eva.first_surname == "Paz"  # never overwritten
        updates = s.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "update", AuditEvent.entity == "person"
            )
        ).all()
        assert sorted(u.person_id for u in updates) == sorted([ana.id, luis.id])
        assert all(u.details.get("via") == "import" for u in updates)
    assert [p.id for p in persons.search_persons(sup, run)] == [luis.id]
    third = import_persons(sup, corrected)
    assert (third.created, third.completed, third.already, third.conflicts) == (0, 0, 2, 1)


def test_two_imports_of_one_correction_at_once_fill_it_once(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    sup = Context(database, supervisor.id)
    for n in range(3):
        first = tmp_path / f"l{n}.csv"
        first.write_text(CORRECTED_HEADER + f"R{n};Ana{n};Soto;fecha;Renca;;\n", encoding="utf-8")
        import_persons(sup, first)
        fixed = tmp_path / f"c{n}.csv"
        fixed.write_text(
            CORRECTED_HEADER + f"R{n};Ana{n};Soto;0{n + 1}-01-1990;Renca;;\n", encoding="utf-8"
        )
        reports = at_once(partial(import_persons, sup, fixed), partial(import_persons, sup, fixed))
        for r in reports:
            assert not isinstance(r, BaseException), repr(r)
        assert sorted((r.completed, r.already) for r in reports) == [(0, 1), (1, 0)]
    with database.read() as s:
        updates = s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "update", AuditEvent.entity == "person")
        )
    assert updates == 3
