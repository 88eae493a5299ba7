"""Duplicate persons: warnings at intake, the scan queue, merging, and importing lists."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.errors import NotAllowed
from casework.models import AuditEvent, Contact, FollowUp, MatchPair, Person, PersonMerge
from casework.services import candidates, duplicate_queue, match_records, merge, persons, referrals
from casework.services.context import Context
from casework.services.importing import ImportFileError, import_persons
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

YESENIA = person_data()  # Yesenia Carolina Rondón Briceño, 17-04-1991, passport VE1234567


def probe(**fields: object) -> object:
    base = {
        "person_id": "probe",
        "given_names": "",
        "first_surname": "",
        "second_surname": None,
        "birth_date": None,
        "sex": None,
        "nationality": None,
    }
    base.update(fields)
    return match_records.record_of(**base)  # type: ignore[arg-type]


def test_intake_finds_the_person_as_another_desk_types_her(ctx: Context) -> None:
    pid = persons.register_intake(ctx, intake_data(YESENIA)).person_id
    persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Génesis",
                first_surname="Rondón",
                second_surname="Briceño",
                birth_date=dt.date(1998, 2, 3),
                documents=[],
                phone=None,
            )
        ),
    )  # her sister
    found = candidates.intake_candidates(
        ctx, probe(given_names="Jesenia", first_surname="Rondon", birth_date=dt.date(1991, 4, 17))
    )
    assert found[0].person.id == pid
    assert found[0].score > 0.5
    codes = {r.code for r in found[0].reasons}
    assert "same_birth_date" in codes
    # Swapped surnames and the day and month typed the other way round.
    swapped = candidates.intake_candidates(
        ctx,
        probe(
            given_names="Yesenia",
            first_surname="Briceño",
            second_surname="Rondón",
            birth_date=dt.date(1991, 4, 17),
        ),
    )
    assert swapped[0].person.id == pid
    by_passport = candidates.intake_candidates(ctx, probe(documents=(("passport", "ve1234567"),)))
    assert by_passport[0].person.id == pid


def test_a_typed_document_shows_its_holder_whatever_the_names_say(ctx: Context) -> None:
    """The save refuses a number already on record; the panel must show whose it is even
    when the names typed are someone else's entirely."""
    pid = persons.register_intake(ctx, intake_data(YESENIA)).person_id
    found = candidates.intake_candidates(
        ctx,
        probe(
            given_names="Pedro",
            first_surname="Ramírez",
            birth_date=dt.date(1970, 1, 1),
            sex="M",
            documents=(("passport", "VE-1234567"),),
        ),
    )
    assert [c.person.id for c in found] == [pid]
    assert "same_document" in {r.code for r in found[0].reasons}


def test_scan_queues_a_duplicate_but_not_the_sister(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    first = persons.register_intake(ctx, intake_data(YESENIA)).person_id
    again = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="YESENIA",
                first_surname="RONDON",
                second_surname=None,
                birth_date=dt.date(1991, 4, 17),
                documents=[{"type": "national_id", "number": "18765432"}],
            )
        ),
        allow_likely=True,
    ).person_id
    persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Génesis", birth_date=dt.date(1998, 2, 3), documents=[], phone=None
            )
        ),
    )
    sup = Context(database, supervisor.id)
    report = duplicate_queue.scan(sup)
    assert report.persons == 3
    [pair] = duplicate_queue.queue(sup)
    assert {pair.a.id, pair.b.id} == {first, again}
    assert duplicate_queue.scan(sup).new_pairs == 0  # a second scan queues nothing twice
    duplicate_queue.not_same(sup, pair.id)
    duplicate_queue.scan(sup)
    assert duplicate_queue.queue(sup) == []  # judged pairs never come back


def test_only_supervisors_judge_pairs(ctx: Context) -> None:
    with pytest.raises(NotAllowed):
        merge.merge(
            ctx,
            persons.register_intake(ctx, intake_data()).person_id,
            persons.register_intake(
                ctx, intake_data(person_data(documents=[])), allow_likely=True
            ).person_id,
        )


def test_merge_moves_everything_and_loses_nothing(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    keep = persons.register_intake(ctx, intake_data(YESENIA)).person_id
    other = persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Yesenia",
                first_surname="Rondon",
                second_surname=None,
                phone="+51 987 654 321",
                documents=[{"type": "run", "number": "24.123.456-8"}],
            ),
            allow_duplicate_document=True,
        ),
        allow_likely=True,
    ).person_id
    persons.add_note(ctx, other, {"text": "Nota del otro programa"})
    referrals.create(
        ctx, other, {"destination": "omil", "reason": "Trabajo", "consent_given": True}
    )
    sup = Context(database, supervisor.id)
    result = merge.merge(sup, keep, other, take_from_merged=["phone"])
    assert result.fields_from_merged == ("phone",)
    with database.read() as s:
        assert (
            s.scalar(
                sa.select(sa.func.count()).select_from(Contact).where(Contact.person_id == other)
            )
            == 0
        )
        assert (
            s.scalar(
                sa.select(sa.func.count()).select_from(Contact).where(Contact.person_id == keep)
            )
            == 2
        )
        assert (
            s.scalar(
                sa.select(sa.func.count()).select_from(FollowUp).where(FollowUp.person_id == keep)
            )
            == 1
        )
        merged = s.get(Person, other)
        assert merged is not None and merged.merged_into_id == keep
        record = s.scalars(sa.select(PersonMerge)).one()
        assert record.details["moved"]["note"] == 1
        assert (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "merge")
            )
            == 2
        )
    from casework.services import person_file

    detail = person_file.get_person(sup, keep)
    assert detail.phone == "+51987654321"
    assert {d.type_key for d in detail.documents} == {"passport", "run"}
    # The other desk's spelling and document still find her, once.
    assert [p.id for p in persons.search_persons(ctx, "24.123.456-8")] == [keep]
    assert [p.id for p in persons.search_persons(ctx, "yesenia rondon")] == [keep]


def test_cli_scan_prints_json_pairs(tmp_path: Path, password_file: Callable[[str], Path]) -> None:
    from casework.synthetic.demo import DEMO_PASSWORD

    db = str(tmp_path / "d.db")
    run = [sys.executable, "-m", "casework"]
    assert (
        subprocess.run(
            [*run, "demo", "--people", "300", "--db", db], capture_output=True
        ).returncode
        == 0
    )
    signed = ["--user", "supervisora", "--password-file", str(password_file(DEMO_PASSWORD))]
    result = subprocess.run(
        [*run, "dedupe", "scan", "--db", db, "--format", "json", *signed],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    pairs = json.loads(result.stdout)
    assert pairs, "the demo's duplicates were not found"
    first = pairs[0]
    assert set(first) == {"score", "reasons", "a", "b"}
    assert set(first["a"]) == {"id", "refs", "name"}
    assert 0 <= first["score"] <= 1 and first["reasons"]
    bad = subprocess.run(
        [*run, "dedupe", "scan", "--db", db, "--min-score", "7", *signed],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


HEADER = (
    "ref;nombres;primer_apellido;segundo_apellido;sexo;fecha_nacimiento;nacionalidad;"
    "tipo_documento;numero_documento;telefono;comuna\n"
)
CSV = (
    HEADER
    + """A-1;Yesenia;Rondon;;F;17-04-1991;Venezuela;pasaporte;VE7654321;987654321;Santiago
A-2;Pierre;Joseph;;M;1985-12-01;HTI;passport;HT1234567;;13108
A-3;Ana;Quispe;Mamani;F;31-02-1990;PER;;;;
A-4;Juan;Pérez;;M;;CHL;rut;12.345.678-9;;
A-5;Marie;Saint-Fleur;;F;;332;;;;Recoleta
"""
)


def test_import_csv_reports_bad_rows_and_never_creates_twice(
    ctx: Context, database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    persons.register_intake(ctx, intake_data(YESENIA))
    path = tmp_path / "lista.csv"
    path.write_text(CSV, encoding="utf-8")
    sup = Context(database, supervisor.id)
    report = import_persons(sup, path)
    # Every row names a person: an impossible date or a RUN with a wrong check digit is
    # left empty with a warning, and the person is kept.
    assert (report.rows, report.created, report.refused) == (5, 5, 0)
    warned = {p.line: " ".join(i.message("es") for i in p.issues) for p in report.problems}
    assert sorted(warned) == [4, 5]
    assert "Fecha de nacimiento" in warned[4] and "31-02-1990" in warned[4]
    assert "12.345.678-9" in warned[5]
    assert report.likely_duplicates == 1  # counted by a cheap check; queued by the scan
    with database.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(MatchPair)) == 0
    duplicate_queue.auto_scan(sup, "import")  # what the command line and the desk run next
    again = import_persons(sup, path)
    assert (again.created, again.already) == (0, 5)
    with database.read() as s:
        refs = sorted(r for refs in s.scalars(sa.select(Person.external_refs)) for r in refs)
        assert refs == ["A-1", "A-2", "A-3", "A-4", "A-5"]
        assert s.scalar(sa.select(sa.func.count()).select_from(MatchPair)) == 1
        nat = s.scalar(sa.select(Person.nationality).where(Person.given_names == "Marie"))
        assert nat == "HTI"


def test_import_xlsx_and_broken_files(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    ctx = Context(database, supervisor.id)
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ref", "given_names", "first_surname", "date_of_birth", "nationality"])
    sheet.append(["X1", "Wilner", "Dorvil", dt.datetime(1979, 6, 5), "Haití"])
    path = tmp_path / "lista.xlsx"
    book.save(path)
    assert import_persons(ctx, path).created == 1
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(ImportFileError) as err:
        import_persons(ctx, bad)
    assert err.value.code == "import_unreadable"
    missing = tmp_path / "sin_columnas.csv"
    missing.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as err:
        import_persons(ctx, missing)
    assert "given_names" in err.value.message("en")
