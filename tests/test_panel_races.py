"""Two supervisors exporting at once (issue #18, point 3), on SQLite and PostgreSQL,
repeated: the second export runs after the first has committed, reads its release in the
ledger and is protected against it (its chain names it), or reproduces it byte for byte;
never two releases of one year each protected only against the old ledger."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import clock
from casework.db import Database
from casework.models import PanelRelease
from casework.services import panel, settings
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .test_panel_office import AFTER_THE_YEAR, _serve


@pytest.fixture
def office(
    database: Database, admin: WorkerOut, supervisor: WorkerOut, ctx: Context
) -> Iterator[Context]:
    settings.set_municipality(Context(database, admin.id), {"code": "13101", "version": 0})
    _serve(ctx, 80)
    clock.freeze(AFTER_THE_YEAR)
    yield Context(database, supervisor.id)
    clock.freeze(None)


def _race(*jobs: tuple[Context, str, Path]) -> list[object]:
    """Every export at once (a barrier), each in its own thread: results or errors."""
    barrier = threading.Barrier(len(jobs))
    out: list[object] = [None] * len(jobs)

    def run(i: int, ctx: Context, period: str, folder: Path) -> None:
        barrier.wait()
        try:
            out[i] = panel.export(ctx, period, folder)
        except Exception as exc:  # reported to the test, not swallowed
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def _chain(path: Path) -> set[str]:
    return {link["content_sha256"] for link in json.loads(path.read_bytes())["chain"]}


@pytest.mark.parametrize("round_", range(3))
def test_a_quarter_and_the_year_at_once_the_second_knows_the_first(
    office: Context, tmp_path: Path, round_: int
) -> None:
    q3, year = tmp_path / "q3", tmp_path / "anual"
    results = _race((office, "2026-Q3", q3), (office, "2026", year))
    assert all(isinstance(r, panel.ExportResult) for r in results), results
    quarter, annual = (r for r in results if isinstance(r, panel.ExportResult))
    with office.db.read() as s:
        rows = s.scalars(sa.select(PanelRelease).order_by(PanelRelease.released_at)).all()
    assert sorted(r.period for r in rows) == ["2026", "2026-Q3"]
    first, second = rows
    later = year / "panel-2026.json" if second.period == "2026" else q3 / "panel-2026-Q3.json"
    assert first.content_hash in _chain(later)  # protected against the one before it
    assert {quarter.content_hash, annual.content_hash} == {r.content_hash for r in rows}


@pytest.mark.parametrize("round_", range(3))
def test_the_same_period_twice_at_once_is_one_release(
    office: Context, tmp_path: Path, round_: int
) -> None:
    results = _race((office, "2026-Q2", tmp_path / "a"), (office, "2026-Q2", tmp_path / "b"))
    assert all(isinstance(r, panel.ExportResult) for r in results), results
    done = [r for r in results if isinstance(r, panel.ExportResult)]
    assert sorted(r.unchanged for r in done) == [False, True]
    a = (tmp_path / "a" / "panel-2026-Q2.json").read_bytes()
    assert a == (tmp_path / "b" / "panel-2026-Q2.json").read_bytes()
    with office.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PanelRelease)) == 1


def test_a_failed_write_records_nothing(office: Context, tmp_path: Path) -> None:
    blocked = tmp_path / "ocupado"
    blocked.write_text("un archivo, no una carpeta", encoding="utf-8")
    with pytest.raises(panel.ExportError) as failed:
        panel.export(office, "2026-Q1", blocked)
    assert failed.value.code == "export_write"
    with office.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PanelRelease)) == 0
