"""Merge with care (#14 point 9): the merge confirmation at 80x24 and 120x36, on synthetic
demo data with a frozen clock (fixtures of tests/test_snapshots.py). Review changes with
`--snapshot-update` and look at the report before committing new pictures."""

from __future__ import annotations

import pytest

from casework.app import make_app
from casework.db import Database
from casework.screens.merge_confirm import MergeConfirmModal

from .test_desk import sign_in_as
from .test_snapshots import _settle, demo_db  # noqa: F401  (the fixture)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_merge_confirmation(snap_compare, demo_db: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await sign_in_as(pilot, "Carolina Reyes Pizarro")
        await _settle(pilot)
        await pilot.press("f6")
        await _settle(pilot)
        await pilot.press("s")
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot)
        pilot.app.clear_notifications()  # the scan's toast: its timing is not the picture
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert isinstance(pilot.app.screen, MergeConfirmModal)

    assert snap_compare(make_app(demo_db), terminal_size=size, run_before=run_before)
