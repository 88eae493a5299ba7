"""The import screen (F3) at 80x24 and at a larger size, on the demo data of
tests/test_snapshots.py: the preview of a small synthetic file (how it was read, the counts
and the grouped reasons), its columns, and the dialog that changes a column's field.
Review with ``--snapshot-update`` and look at the report."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from casework.db import Database
from casework.services import staff
from casework.services.context import Context

from .test_snapshots import _app, _settle, demo_db

__all__ = ["demo_db"]

SIZES = [(80, 24), (120, 40)]
ROWS = [
    ["A1", "Rosa Elena", "Quispe", "Mamani", "F", "03-04-1990", "peruana"],
    ["A2", "Jean", "Pierre", "", "M", "15-06-1985", "haitiana"],
    ["A3", "Yulimar", "Rondón", "Pérez", "zz", "01-01-2001", "venezolana"],
    ["A4", "", "", "", "F", "02-02-1999", "colombiana"],
]


@pytest.fixture
def in_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding the file, as the desk's working folder (the path typed is short and
    the same on every run)."""
    with (tmp_path / "personas.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(
            [
                "ref",
                "nombres",
                "apellido paterno",
                "apellido materno",
                "sexo",
                "fnac",
                "nacionalidad",
            ]
        )
        writer.writerows(ROWS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def _preview(pilot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    await _settle(pilot)
    supervisor = staff.find_worker(Context(demo_db), "supervisora")
    assert supervisor is not None
    pilot.app.start_session(supervisor)
    await _settle(pilot)
    await pilot.press("f3")
    await _settle(pilot)
    await pilot.press(*"personas.c", "tab", "enter")
    await _settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_import_preview(  # type: ignore[no-untyped-def]
    snap_compare, demo_db: Database, in_folder: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _preview(pilot, demo_db)

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=run_before)


def test_import_columns_and_field_dialog(  # type: ignore[no-untyped-def]
    snap_compare, demo_db: Database, in_folder: Path
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _preview(pilot, demo_db)
        await pilot.press("f2", "down", "down", "down", "down", "down", "enter")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=run_before)


def test_import_report_rows_and_the_question_before_importing(  # type: ignore[no-untyped-def]
    snap_compare, demo_db: Database, in_folder: Path
) -> None:
    """The report's rows of the preview (who, what will happen) fill the tab; Ctrl+S asks,
    and its footer shows the keys that answer."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _preview(pilot, demo_db)
        await pilot.press("ctrl+l")
        await _settle(pilot)
        await pilot.press("ctrl+s")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=run_before)


def test_import_report_rows_at_120x40(  # type: ignore[no-untyped-def]
    snap_compare, demo_db: Database, in_folder: Path
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _preview(pilot, demo_db)
        await pilot.press("ctrl+l")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=(120, 40), run_before=run_before)
