"""`casework import persons|visits` on the command line: what the user reads (the preview,
the counts, the reasons grouped, the report's path) and what is stored."""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import cli
from casework.cli.imports import ProgressBar
from casework.db import Database
from casework.models import Person
from casework.services import import_report, staff
from casework.services.context import Context
from casework.services.import_types import Progress

HEADER = "ref;nombres;apellido_paterno;apellido_materno;sexo;fecha_nacimiento;observacion"


@pytest.fixture
def office(desk_database: Database, cli_user: Callable[[Database, str], list[str]]) -> list[str]:
    """``--db`` and the administrator's sign-in on a fresh SQLite office."""
    staff.first_run(
        Context(desk_database),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    return ["--db", desk_database.url.database or "", *cli_user(desk_database, "admin")]


def _persons(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(sa.select(Person.given_names, Person.first_surname)).all()
    return sorted((r[0], r[1]) for r in rows)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_dry_run_shows_the_file_the_mapping_the_rows_and_the_counts_and_stores_nothing(
    tmp_path: Path,
    office: list[str],
    desk_database: Database,
    capsys: pytest.CaptureFixture[str],
) -> None:
    listed = _write(
        tmp_path / "lista.csv",
        [
            "A1;Yesenia;Rondón;Pérez;F;17-04-1991;llamar",
            "A2;Marcos;Quispe;;M;1988-02-01;",
            "A3;;;;F;;",  # no name at all: refused
        ],
    )
    command = ["import", "persons", str(listed), "--dry-run", "--map", "observacion=-"]
    assert cli.main([*command, *office]) == 0
    out = capsys.readouterr().out
    assert "Formato: CSV, codificación utf-8" in out and "separador «;»" in out
    assert "  nombres -> Nombres\n" in out
    assert "  apellido_paterno -> Primer apellido\n" in out
    assert "Columnas que no se usan: observacion" in out
    assert "Primeras filas tal como se guardarán:" in out
    assert "Yesenia" in out and "Rondón" in out and "1991-04-17" in out
    assert "  2 personas nuevas" in out and "  1 rechazada\n" in out
    assert "        1  Sin nombre ni apellido" in out
    assert "No se guardó nada (--dry-run)" in out
    assert max(len(line) for line in out.splitlines() if not line.startswith("Archivo")) <= 80
    assert _persons(desk_database) == []  # nothing stored
    assert not (tmp_path / "lista-informe.csv").exists()  # nor a report, unless asked


def test_a_column_mapped_by_hand_is_marked(
    tmp_path: Path, office: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    listed = tmp_path / "lista.csv"
    listed.write_text("nombres;apellido_paterno;pila\nAna;Soto;Ana María\n", encoding="utf-8")
    command = ["import", "persons", str(listed), "--dry-run", "--map", "pila=given_names"]
    command += ["--map", "nombres="]
    assert cli.main([*command, *office]) == 0
    out = capsys.readouterr().out
    assert "  pila -> Nombres (indicado con --map)" in out
    assert "Columnas que no se usan: nombres" in out
    assert "Ana María" in out


def test_import_prints_counts_and_reasons_grouped_and_writes_the_report_beside_the_file(
    tmp_path: Path,
    office: list[str],
    desk_database: Database,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = [f"B{i};Persona{i};Soto;;zz;fecha mala;" for i in range(300)]
    refused = [f"C{i};;;;F;;" for i in range(40)]
    listed = _write(tmp_path / "lista.csv", ["A1;Yesenia;Rondón;;F;17-04-1991;", *bad, *refused])
    assert cli.main(["import", "persons", str(listed), *office]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "Importación terminada:" in out
    assert "  341 filas leídas" in out and "  301 personas nuevas" in out
    assert "  300 con advertencias (datos que quedaron fuera" in out and "  40 rechazadas" in out
    # One line per reason, with its count: never one line per row.
    assert "      300  Sexo no reconocido (quedó vacío)" in out
    assert "      300  Fecha de nacimiento ilegible (quedó vacía)" in out
    assert "       40  Sin nombre ni apellido" in out
    assert len(out.splitlines()) < 20
    report = tmp_path / "lista-informe.csv"
    assert f"Informe de las filas por revisar: {report}" in out
    assert "corríjalas en el informe e impórtelo otra vez" in out
    assert stat.S_IMODE(report.stat().st_mode) == 0o600  # as sensitive as the list
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 340
    assert rows[0][:4] == ["Informe: línea", "Informe: estado", "Informe: motivos", "ref"]
    assert len(_persons(desk_database)) == 301
    assert "Buscando posibles duplicados" in captured.err
    # Again: nothing twice.
    assert cli.main(["import", "persons", str(listed), *office]) == 0
    assert "  301 personas ya estaban (no se repiten)" in capsys.readouterr().out
    assert len(_persons(desk_database)) == 301
    # The re-run's report still lists every row to check, those stored by the first run too.
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 340


def test_english_and_a_report_where_asked(
    tmp_path: Path, office: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    listed = _write(tmp_path / "list.csv", ["A1;Ana;Soto;;zz;;"])
    report = tmp_path / "out" / "check.xlsx"
    report.parent.mkdir()
    command = ["--lang", "en", "import", "persons", str(listed), "--report", str(report)]
    assert cli.main([*command, *office]) == 0
    out = capsys.readouterr().out
    assert "Import finished:" in out and "  1 new person\n" in out
    assert "Reasons (rows per reason):" in out
    assert f"Report of the rows to check: {report}" in out
    sheet = load_workbook(report).active
    assert sheet is not None
    head = [c.value for c in sheet[1]][:4]
    assert head == ["Report: line", "Report: status", "Report: reasons", "ref"]


def test_every_row_refused_exits_1(
    tmp_path: Path, office: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    listed = _write(tmp_path / "lista.csv", ["A1;;;;F;;", "A2;;;;M;;"])
    assert cli.main(["import", "persons", str(listed), *office]) == 1
    captured = capsys.readouterr()
    assert "Ninguna fila se pudo importar." in captured.err
    assert "        2  Sin nombre ni apellido" in captured.out


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--map", "nombres=apodo"], "«apodo» no es un campo que se pueda importar. Campos:"),
        (["--map", "apodo=given_names"], "apodo"),
        (["--map", "nombres"], "use COLUMNA=CAMPO"),
        (["--report", "informe.pdf"], "el informe se escribe en .csv o .xlsx"),
        (["--report", "/no/such/folder/x.csv"], "la carpeta /no/such/folder no existe"),
        (["--report", "SOURCE"], "es el archivo que importa"),
        (["--encoding", "klingon"], "codificación desconocida"),
        (["--header-row", "0"], "--header-row 0: indique la línea del encabezado"),
    ],
)
def test_a_wrong_option_is_one_clear_line(
    tmp_path: Path,
    office: list[str],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    expected: str,
) -> None:
    listed = _write(tmp_path / "lista.csv", ["A1;Ana;Soto;;F;;"])
    extra = [str(listed) if a == "SOURCE" else a for a in extra]
    assert cli.main(["import", "persons", str(listed), *extra, *office]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_visits_map_accepts_the_visit_fields(
    tmp_path: Path, office: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    listed = tmp_path / "atenciones.csv"
    listed.write_text("nombres;apellido_paterno;dia\nAna;Soto;01-02-2024\n", encoding="utf-8")
    command = ["import", "visits", str(listed), "--map", "dia=visit_date", "--dry-run"]
    assert cli.main([*command, "--programme", "Oficina de Migrantes", *office]) == 0
    assert cli.main(["import", "persons", str(listed), "--map", "dia=visit_date", *office]) == 2
    assert "«visit_date» no es un campo que se pueda importar" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("nada.csv", None, "No existe el archivo"),
        ("binario.csv", bytes(range(256)) * 40, "contiene datos binarios"),
        ("roto.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4, "no es una planilla .xlsx"),
        ("carpeta.csv", "dir", "es una carpeta"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_clear_line(
    tmp_path: Path,
    office: list[str],
    desk_database: Database,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes | None,
    expected: str,
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    assert cli.main(["import", "persons", str(path), *office]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert _persons(desk_database) == []


def test_the_report_goes_to_the_data_folder_when_the_files_folder_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_user_dirs: Path
) -> None:
    source = tmp_path / "lista.xlsx"
    assert import_report.default_report_path(source) == tmp_path / "lista-informe.csv"
    monkeypatch.setattr(import_report.os, "access", lambda path, mode: False)
    moved = import_report.default_report_path(source)
    assert moved == isolated_user_dirs / "informes" / "lista-informe.csv"
    assert stat.S_IMODE(moved.parent.stat().st_mode) == 0o700


# The progress bar ----------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_redraws_in_place_at_most_ten_times_a_second() -> None:
    stream, now = _Terminal(), [0.0]
    bar = ProgressBar(stream, clock=lambda: now[0])
    for done in range(0, 30_001, 100):  # 300 calls over 3 s
        now[0] = done / 10_000
        bar(Progress(done, 30_000))
    draws = stream.getvalue().split("\r")[1:]
    assert 25 <= len(draws) <= 32  # ~10 a second, and the last one
    assert all(len(d) < 80 for d in draws)
    assert "30.000/30.000 filas" in draws[-1] and "10.000 filas/s" in draws[-1]
    assert "[####################]" in draws[-1]
    middle = draws[len(draws) // 2]
    assert "filas/s  quedan 0:0" in middle  # the time left
    bar.clear()
    assert stream.getvalue().endswith("\r")


def test_without_a_terminal_a_line_every_tenth() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    for done in range(0, 5_001, 50):
        bar(Progress(done, 5_000))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "10%: 500/5000 filas" and lines[-1] == "100%: 5000/5000 filas"
    assert len(lines) == 10 and "\r" not in stream.getvalue()
    quiet = io.StringIO()
    ProgressBar(quiet)(Progress(10, None))  # no total: nothing
    assert quiet.getvalue() == ""


def test_an_unknown_sheet_is_one_clear_line(
    tmp_path: Path, office: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Personas"
    sheet.append(["nombres", "apellido_paterno"])
    sheet.append(["Ana", "Soto"])
    path = tmp_path / "libro.xlsx"
    book.save(path)
    assert cli.main(["import", "persons", str(path), "--sheet", "Atenciones", *office]) == 2
    err = capsys.readouterr().err
    assert "Atenciones" in err and "Traceback" not in err and err.count("\n") == 1


def test_a_huge_cell_is_no_traceback(
    tmp_path: Path, office: list[str], desk_database: Database
) -> None:
    path = tmp_path / "enorme.csv"
    path.write_text("nombres;apellido_paterno;nota\nAna;Soto;" + "x" * 200_000, encoding="utf-8")
    assert cli.main(["import", "persons", str(path), *office]) == 0
    assert _persons(desk_database) == [("Ana", "Soto")]
