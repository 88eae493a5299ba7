"""Screens not yet pictured at 80x24 elsewhere (tests/test_snapshots*.py has the day, search,
intake, person file, edit form, merge and follow-up dialogs): first run, sign in, F1 help,
the supervisor's screens (caseload, duplicates, panel, rights, audit, retention) and the
administrator's. Review with ``--snapshot-update`` and look at the report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casework.app import make_app
from casework.db import Database, open_database
from casework.services import staff
from casework.services.context import Context

from .test_snapshots import _app, _settle, demo_db

__all__ = ["demo_db"]

SIZE = (80, 24)


def test_first_run(snap_compare, tmp_path: Path, sqlite_template: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "empty.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    try:
        assert snap_compare(make_app(db), terminal_size=SIZE, run_before=_settle)
    finally:
        db.dispose()


def test_help_of_the_day(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        await pilot.press("f1")
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)


def _as_supervisor(db: Database, key: str, username: str = "supervisora"):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        supervisor = staff.find_worker(Context(db), username)
        assert supervisor is not None
        pilot.app.start_session(supervisor)
        await _settle(pilot)
        await pilot.press(key)
        await _settle(pilot)

    return run_before


def test_caseload(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=_as_supervisor(demo_db, "f5"))


def test_audit(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=_as_supervisor(demo_db, "f8"))


@pytest.mark.parametrize(
    ("key", "username"),
    [
        pytest.param("f6", "supervisora", id="dedupe"),
        pytest.param("f4", "supervisora", id="panel"),
        pytest.param("f7", "supervisora", id="rights"),
        pytest.param("f9", "supervisora", id="retention"),
        pytest.param("f10", "admin", id="admin"),
    ],
)
def test_supervision_screens(  # type: ignore[no-untyped-def]
    snap_compare, demo_db: Database, key: str, username: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", "/home/oficina")  # the panel's folder, the same on any machine
    run_before = _as_supervisor(demo_db, key, username)
    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_sign_in(snap_compare, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    from casework.screens.sign_in import SignInScreen

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        pilot.app.push_screen(SignInScreen("supervisora"))
        await _settle(pilot)

    assert snap_compare(_app(demo_db), terminal_size=SIZE, run_before=run_before)
