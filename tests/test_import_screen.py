"""The desk's import screen (F3, issue #16 point 7), driven with keys: the file chosen with
path completion, a preview that writes nothing, a column's field changed from the keyboard,
the import run in the background with its progress, the summary and the report's rows
read in the desk; a desk worker is told the screen is for supervisors; refusals and a
stopped import show as messages, with nothing typed lost."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from textual.widgets import DataTable, Footer, Input, Select, Static

from casework.app import IMPORT_SCREEN, CaseworkApp, make_app
from casework.db import Database
from casework.errors import NotAllowed
from casework.models import Person
from casework.screens import import_screen
from casework.screens.import_path import PathInput, complete
from casework.screens.import_screen import FieldModal, ImportScreen, tn
from casework.services import import_visits, importing
from casework.services.import_types import ImportFileError, ImportReport, Progress, SourceInfo
from casework.services.schemas import WorkerOut
from casework.widgets import ConfirmModal

from .test_desk import settle

HEADER = ["ref", "nombres", "apellido paterno", "sexo", "fnac"]
ROWS = [
    ["A1", "Rosa", "Quispe", "F", "03-04-1990"],
    ["A2", "Jean", "Pierre", "M", "15-06-1985"],
    ["A3", "Yulimar", "Rondón", "zz", "01-01-2001"],
]


@pytest.fixture
def database(desk_database: Database) -> Database:
    """The desk is driven on SQLite; the services under it run on both backends."""
    return desk_database


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def text_of(app: CaseworkApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def said(app: CaseworkApp) -> str:
    return " ".join(str(n.message) for n in app._notifications)  # type: ignore[attr-defined]


def persons_in(db: Database) -> list[Person]:
    with db.read() as session:
        return list(session.scalars(sa.select(Person).order_by(Person.given_names)))


async def open_import(pilot: Any, who: WorkerOut) -> ImportScreen:
    pilot.app.start_session(who)
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    return screen


async def type_path(pilot: Any, screen: ImportScreen, text: str, typed: str = "") -> None:
    """``text`` in the file field (as pasted), then ``typed`` key by key."""
    field = screen.query_one("#import-path", PathInput)
    field.focus()
    field.value = text
    field.cursor_position = len(text)
    if typed:
        await pilot.press(*typed)
    await settle(pilot)


def test_completion_offers_folders_and_tables_only(tmp_path: Path) -> None:
    (tmp_path / "listas").mkdir()
    (tmp_path / "listas" / "personas-2024.csv").write_text("x")
    (tmp_path / "listas" / "personas-2025.xlsx").write_text("x")
    (tmp_path / "listas" / "personas.pdf").write_text("x")
    (tmp_path / "listados.txt").write_text("x")
    base = f"{tmp_path}/"
    assert complete(base + "lis") == base + "lista"  # the part both names share
    assert complete(base + "lista") == base + "listados.txt"  # first of the two
    assert complete(base + "listas") == base + "listas/"
    assert complete(base + "listas/p") == base + "listas/personas-202"
    assert complete(base + "listas/personas.") is None  # a .pdf is not offered
    assert complete(base + "nada") is None


def test_an_import_s_report_is_offered_after_the_files_it_came_from(tmp_path: Path) -> None:
    (tmp_path / "grande.csv").write_text("x")
    (tmp_path / "grande-informe.csv").write_text("x")
    (tmp_path / "solo-informe.xlsx").write_text("x")
    base = f"{tmp_path}/"
    assert complete(base + "gr") == base + "grande.csv"
    assert complete(base + "grande") == base + "grande.csv"
    assert complete(base + "grande-") == base + "grande-informe.csv"  # asked for by name
    assert complete(base + "so") == base + "solo-informe.xlsx"  # nothing else is there


def test_messages_with_one_say_it_in_the_singular() -> None:
    assert tn("import_screen.finished", 1) == "Importación terminada: 1 persona nueva."
    assert tn("import_screen.finished", 2) == "Importación terminada: 2 personas nuevas."
    assert tn("import_screen.n.rows_read", 1) == "1 fila leída"
    assert tn("import_screen.n.rows", 1_500) == "1.500 filas"


async def test_enter_opens_the_file_shown_in_grey_and_a_missing_one_clears_the_last(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "grande.csv", ROWS)
    (tmp_path / "grande-informe.csv").write_text("Línea;Estado\n")
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, supervisor)
        field = screen.query_one("#import-path", PathInput)
        await type_path(pilot, screen, f"{tmp_path}/", typed="gra")
        assert field.suggestion == str(source)
        await pilot.press("enter")  # the file in grey is the one meant
        await settle(pilot)
        assert field.value == str(source)
        assert "Vista previa lista" in text_of(app, "#import-status")
        assert "grande.csv" in text_of(app, "#import-summary")
        await pilot.press("ctrl+l")
        await settle(pilot)
        problems = screen.query_one("#import-problems", DataTable)
        assert problems.has_focus
        assert problems.size.height == problems.parent.size.height  # the tab's whole height

        # A file that is not there: the last file's summary and tables go.
        await type_path(pilot, screen, f"{tmp_path}/otra.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert "No se encontró el archivo" in text_of(app, "#import-status")
        assert text_of(app, "#import-summary") == ""
        assert screen.query_one("#import-columns", DataTable).row_count == 0
        assert screen.query_one("#import-problems", DataTable).row_count == 0
        assert not screen.query_one("#import-progress").display

        # Another kind: what was read as persons is not shown for attentions.
        await type_path(pilot, screen, str(source))
        await pilot.press("enter")
        await settle(pilot)
        assert "grande.csv" in text_of(app, "#import-summary")
        screen.query_one("#import-kind", Select).value = "visits"
        await settle(pilot)
        assert text_of(app, "#import-summary") == ""
        assert screen.query_one("#import-sample", DataTable).row_count == 0


async def test_the_chosen_field_shows_at_once_while_the_file_is_read_again(
    database: Database, supervisor: WorkerOut, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(tmp_path / "personas.csv", ROWS)
    release = threading.Event()
    real_preview = importing.preview

    def held(*args: Any, **kw: Any) -> ImportReport:
        if args[2].mapping:  # the second read, with the worker's choice: held
            release.wait(5)
        return real_preview(*args, **kw)

    monkeypatch.setattr(importing, "preview", held)
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, supervisor)
        await type_path(pilot, screen, str(source))
        await pilot.press("enter")
        await settle(pilot)
        columns = screen.query_one("#import-columns", DataTable)
        await pilot.press("f2")
        columns.move_cursor(row=4)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FieldModal)
        app.screen.query_one(Select).value = "date_of_birth"
        await pilot.pause()
        try:
            assert "Leyendo" in text_of(app, "#import-status")
            assert [str(c) for c in columns.get_row("4")] == [
                "fnac",
                "Fecha de nacimiento",
                "elegido por usted",
            ]
        finally:
            release.set()
        await settle(pilot)
        assert "Vista previa lista" in text_of(app, "#import-status")
        assert [str(c) for c in columns.get_row("4")][1] == "Fecha de nacimiento"


async def test_a_desk_worker_is_told_the_screen_is_for_supervisors(
    database: Database, worker: WorkerOut
) -> None:
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_session(worker)
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert not isinstance(app.screen, ImportScreen)
        assert "para supervisión y administración" in said(app)


async def test_preview_change_a_column_run_and_read_the_report(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    folder = tmp_path / "planillas"
    folder.mkdir()
    source = write_csv(folder / "personas-oficina.csv", ROWS)
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, supervisor)
        field = screen.query_one("#import-path", PathInput)

        # A path that leads nowhere: said in view, what was typed stays.
        await type_path(pilot, screen, f"{tmp_path}/no-existe.csv")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "No se encontró el archivo" in text_of(app, "#import-status")
        assert field.value == f"{tmp_path}/no-existe.csv"

        # Completion: Tab accepts the folder, then the file.
        await type_path(pilot, screen, f"{tmp_path}/", typed="pla")
        await pilot.press("tab")
        await settle(pilot)
        assert field.value == f"{folder}/"
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)
        assert field.value == str(source)

        # The preview: nothing written; "fnac" is no field the reader knows.
        await pilot.press("enter")
        await settle(pilot)
        summary = text_of(app, "#import-summary")
        assert "nada se ha guardado" in summary
        assert "Personas por crear" in summary and "3" in summary
        assert "Sexo no reconocido" in summary  # the grouped reason
        assert persons_in(database) == []
        columns = screen.query_one("#import-columns", DataTable)
        assert [str(c) for c in columns.get_row("4")] == ["fnac", "(no importar)", ""]
        sample = screen.query_one("#import-sample", DataTable)
        assert sample.row_count == 3
        problems = screen.query_one("#import-problems", DataTable)
        # Before the import, the report's rows say what will happen, and to whom.
        assert [str(c) for c in problems.get_row_at(0)][:3] == [
            "4",
            "Yulimar Rondón",
            "Se importará con advertencias",
        ]

        # F2, the column's row, Enter: its field chosen from the list; the preview re-runs.
        await pilot.press("f2")
        await settle(pilot)
        columns.move_cursor(row=4)
        await pilot.press("enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FieldModal)
        assert "«fnac»" in str(modal.query_one(".title", Static).render())
        modal.query_one(Select).value = "date_of_birth"
        await settle(pilot)
        assert app.screen is screen
        assert screen.mapping == {"fnac": "date_of_birth"}
        assert [str(c) for c in columns.get_row("4")] == [
            "fnac",
            "Fecha de nacimiento",
            "elegido por usted",
        ]
        headers = [str(c.label) for c in sample.columns.values()]
        assert "Fecha de nacimiento" in headers

        # Run: asked first, then done in the background; the summary and the report.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one("#question", Static).render())
        assert "3 filas leídas" in question and "por crear: 3 personas" in question
        assert "Enter importa; Esc vuelve" in question
        # The dialog's own footer: the keys that answer it, not the screen's behind.
        assert app.screen.query_one(Footer)
        shown = {k: b.binding.description for k, b in app.screen.active_bindings.items()}
        assert shown.get("enter") and shown.get("escape") and "ctrl+s" not in shown
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        summary = text_of(app, "#import-summary")
        assert "Importación terminada" in summary
        assert "Personas creadas" in summary
        stored = persons_in(database)
        assert [p.given_names for p in stored] == ["Jean", "Rosa", "Yulimar"]
        assert all(p.birth_date is not None for p in stored)
        report = folder / "personas-oficina-informe.csv"
        assert report.exists()
        assert str(report) in summary
        assert "filas/s" in text_of(app, "#import-progress-text")
        # Then the office's duplicate scan, as after an import on the command line.
        assert "Búsqueda de duplicados terminada" in text_of(app, "#import-scan")

        # Ctrl+L: the report's rows, here in the desk.
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert problems.has_focus
        assert problems.row_count == 1
        line, name, status, reasons = (str(c) for c in problems.get_row_at(0))
        assert line == "4"
        assert name == "Yulimar Rondón"
        assert status == "Importada con advertencias"
        assert "«zz»" in reasons


async def test_progress_is_shown_while_it_runs_and_escape_stops_it(
    database: Database, supervisor: WorkerOut, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run reports its progress from its thread; Escape asks, then sets the stop: the
    import ends after the batch in hand and says what stays."""
    rows = [[f"R{i}", "Ana", "Soto", "F", ""] for i in range(300)]
    source = write_csv(tmp_path / "muchas.csv", rows)
    reached = threading.Event()
    stopped: list[bool] = []

    def slow_import(ctx: Any, path: Path, options: Any = None, **kw: Any) -> ImportReport:
        info = SourceInfo(path=path, format="csv", total_rows=300)
        if kw.get("dry_run"):  # the preview
            return ImportReport(info=info, rows=300, created=300, dry_run=True)
        kw["progress"](Progress(100, 300, 100))
        reached.set()
        stopped.append(kw["cancel"].wait(10))
        return ImportReport(info=info, rows=100, created=100, cancelled=True)

    monkeypatch.setattr(importing, "import_persons", slow_import)
    monkeypatch.setattr(import_screen, "PROGRESS_EVERY", 0.0)
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, supervisor)
        await type_path(pilot, screen, str(source))
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # confirm: the run starts
        for _ in range(50):
            await pilot.pause(0.02)
            if reached.is_set() and "100 de 300" in text_of(app, "#import-progress-text"):
                break
        assert "100 de 300 filas" in text_of(app, "#import-progress-text")
        assert screen.running
        # Escape stops the run: the footer says so, not "Volver".
        assert screen.active_bindings["escape"].binding.action == "stop_run"
        assert screen.active_bindings["escape"].binding.description == "Detener"
        await pilot.press("f2")  # the keys still answer during the run
        await pilot.pause()
        assert screen.query_one("#import-columns", DataTable).has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "lote en curso" in str(app.screen.query_one("#question", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        assert stopped == [True]
        assert app.screen is screen and not screen.running
        assert "Importación detenida" in text_of(app, "#import-summary")
        assert screen.active_bindings["escape"].binding.action == "back"


async def test_refusals_show_in_view_and_nothing_typed_is_lost(
    database: Database, supervisor: WorkerOut, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(tmp_path / "personas.csv", ROWS)
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, supervisor)
        await type_path(pilot, screen, str(source))
        screen.query_one("#import-header", Input).value = "1"

        def unreadable(*args: Any, **kw: Any) -> ImportReport:
            raise ImportFileError()

        monkeypatch.setattr(importing, "preview", unreadable)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "No se pudo leer el archivo." in text_of(app, "#import-status")

        def refused(*args: Any, **kw: Any) -> ImportReport:
            raise NotAllowed("role_required", role="supervisor/admin")

        monkeypatch.setattr(importing, "preview", refused)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "requiere el rol" in text_of(app, "#import-status")
        assert screen.query_one("#import-path", Input).value == str(source)
        assert screen.query_one("#import-header", Input).value == "1"
        assert persons_in(database) == []


async def test_attentions_are_previewed_with_the_chosen_programme(
    database: Database, admin: WorkerOut, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(tmp_path / "atenciones.csv", ROWS)
    calls: list[dict[str, Any]] = []

    def spy(ctx: Any, path: Path, options: Any = None, **kw: Any) -> ImportReport:
        calls.append({"path": path, "kind": options.kind, **kw})
        return ImportReport(info=SourceInfo(path=path, format="csv"), dry_run=True)

    monkeypatch.setattr(import_visits, "import_visits", spy)
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, admin)  # the administrator imports too
        programme = screen.query_one("#import-programme", Select)
        assert not programme.display
        screen.query_one("#import-kind", Select).value = "visits"
        await settle(pilot)
        assert programme.display
        programme.value = "OFMIG"
        await type_path(pilot, screen, str(source))
        await pilot.press("enter")
        await settle(pilot)
        assert calls == [{"path": source, "kind": "visits", "programme": "OFMIG", "dry_run": True}]
        assert "Atenciones" in text_of(app, "#import-summary")


async def test_the_screen_is_kept_while_away_and_forgotten_on_sign_out(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, supervisor)
        await type_path(pilot, screen, f"{tmp_path}/a.csv")
        screen.query_one("#import-columns").focus()  # left from elsewhere on the screen
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ImportScreen)
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen is screen
        path = screen.query_one("#import-path", Input)
        assert path.value == f"{tmp_path}/a.csv"
        assert path.has_focus  # back in the file field, ready for another file
        app._end_session("sign_out")
        await settle(pilot)
        assert not app.is_screen_installed(IMPORT_SCREEN)


async def test_a_workbook_s_sheets_are_listed_once_read_and_one_is_chosen(
    database: Database, supervisor: WorkerOut, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = tmp_path / "oficina.xlsx"
    book.write_bytes(b"PK")  # what is in it is the reader's business: here, its answer
    asked: list[str | None] = []

    def read(ctx: Any, path: Path, options: Any = None, **kw: Any) -> ImportReport:
        asked.append(options.sheet)
        sheet = options.sheet or "Personas"
        info = SourceInfo(
            path=path, format="xlsx", sheet=sheet, sheets=["Personas", "Atenciones 2025"]
        )
        return ImportReport(info=info, rows=5 if sheet == "Personas" else 9, dry_run=True)

    monkeypatch.setattr(importing, "preview", read)
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot, supervisor)
        await type_path(pilot, screen, str(book))
        await pilot.press("enter")
        await settle(pilot)
        sheet = screen.query_one("#import-sheet", Select)
        assert [str(p) for p, _ in sheet._options if _ is not Select.NULL] == [
            "Personas",
            "Atenciones 2025",
        ]
        assert sheet.value == "Personas"
        assert "hoja «Personas»" in text_of(app, "#import-summary")
        sheet.focus()
        await pilot.press("enter", "down", "enter")  # open the list, the second sheet
        await settle(pilot)
        assert asked == [None, "Atenciones 2025"]
        assert "hoja «Atenciones 2025»" in text_of(app, "#import-summary")
        assert persons_in(database) == []
