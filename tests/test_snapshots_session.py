"""Leaving the desk at 80x24 (issue #15, point 6), on the demo data of
tests/test_snapshots.py: the lock screen covers the day with nothing of it showing, and
the sign-out question says what becomes of the unfinished fichas. Review with
``--snapshot-update`` and look at the report."""

from __future__ import annotations

import pytest

from casework.db import Database

from .test_snapshots import _app, _settle, demo_db

__all__ = ["demo_db"]

SIZES = [(80, 24)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24"])
def test_lock_screen(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await pilot.press("ctrl+b")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24"])
def test_sign_out_question(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await pilot.press("ctrl+n", *"Yesenia", "escape")
        await _settle(pilot)
        await pilot.press("ctrl+o")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=size, run_before=run_before)
