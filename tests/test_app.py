from __future__ import annotations

from casework.app import make_app
from casework.db import Database


async def test_app_starts_on_the_database(database: Database) -> None:
    app = make_app(database)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.is_running
        assert "casework" in app.title
