"""The search screen as a worker sees it (#14 point 6): what matched on each row, at 80x24
and 120x36, on the snapshot demo data. Review with --snapshot-update and look at the report."""

from __future__ import annotations

import pytest

from casework.db import Database

from .test_snapshots import _app, _settle, demo_db  # noqa: F401  (the fixture)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_search_one_letter_off(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await pilot.press("ctrl+f")
        await _settle(pilot)  # the search screen up before the keys (burst typing: see #16 note)
        await pilot.press(*"quipse")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=run_before)


def test_search_incomplete_date(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await pilot.press("ctrl+f")
        await _settle(pilot)
        await pilot.press(*"12-03")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=(80, 24), run_before=run_before)
