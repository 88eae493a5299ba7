"""The intake's feedback and duplicate dialog at 80x24 and 120x36 (issue #14 points 1 and
2), on the demo data of tests/test_snapshots.py. Review with ``--snapshot-update`` and
look at the report: the error snapshots are right only if the focused field, its message
and the summary line all show."""

from __future__ import annotations

import pytest
from textual.widgets import SelectionList, TextArea

from casework.db import Database
from casework.services import persons, staff
from casework.services.context import Context

from .factories import intake_data
from .test_snapshots import _app, _settle, demo_db

__all__ = ["demo_db"]

SIZES = [(80, 24), (120, 36)]


async def _type(pilot, widget_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    pilot.app.screen.query_one(f"#{widget_id}").focus()
    await pilot.press(*text)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_intake_with_errors(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await pilot.press("ctrl+n")
        await _settle(pilot)
        await _type(pilot, "given_names", "Marie")
        await _type(pilot, "first_surname", "Joseph")
        await _type(pilot, "birth_date", "01-01-2030")
        await _type(pilot, "note", "Primera visita")
        await pilot.press("ctrl+s")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_duplicate_dialog(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    desk = staff.find_worker(Context(demo_db), "demo")
    assert desk is not None
    persons.register_intake(Context(demo_db, desk.id), intake_data(), allow_likely=True)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await pilot.press("ctrl+n")
        await _settle(pilot)
        await _type(pilot, "given_names", "Yesenia Carolina")
        await _type(pilot, "first_surname", "Rondon")
        await _type(pilot, "second_surname", "Briceno")
        await _type(pilot, "birth_date", "17-04-1991")
        await _type(pilot, "doc_number", "VE7654321")
        screen = pilot.app.screen
        screen.query_one("#reasons", SelectionList).select("regularization")
        screen.query_one("#note", TextArea).text = "Viene por su hija."
        await _settle(pilot)
        await pilot.press("ctrl+s")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=run_before)
