"""The worker's day with long lists (issue #15 points 1 and 9): today's follow-ups and the
overdue ones each under its own true count, at 80x24 (the columns that tell rows apart) and
120x36 (every column). Review with --snapshot-update and look at the report."""

from __future__ import annotations

import pytest

from casework.db import Database

from .test_lists import big, lists_template, start_as  # noqa: F401  (the fixtures)
from .test_snapshots import _app, _settle


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_day_with_long_lists(snap_compare, big: Database, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await start_as(pilot, "dfuentes")
        await _settle(pilot)

    assert snap_compare(_app(big), terminal_size=size, run_before=run_before)
