"""The anonymised Panel export from a real database: what leaves the office, and the ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import refdata
from casework.db import Database
from casework.disclosure import Release
from casework.disclosure.codebook import STATUS_MAP
from casework.errors import InvalidInput
from casework.models import PanelRelease
from casework.services import panel, panel_side, persons, referrals, settings
from casework.services.context import Context
from casework.services.panel import ExportError
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

Q3 = dt.datetime(2026, 8, 14, 15, 0, tzinfo=dt.UTC)
CANARY = "ZQXCANARY"
NATIONALITIES = ["VEN"] * 5 + ["PER", "PER", "COL", "HTI", "BOL"]


def _served(ctx: Context, i: int, **person: object) -> object:
    data = person_data(
        given_names=f"{CANARY}Nombre{i}",
        first_surname=f"{CANARY}Apellido{i}",
        second_surname=None,
        birth_date=dt.date(1980 + i % 30, 1 + i % 12, 1 + i % 28),
        nationality=NATIONALITIES[i % len(NATIONALITIES)],
        phone=f"+56 9 {70000000 + i}",
        email=f"{CANARY.lower()}{i}@example.org",
        address=f"Calle {CANARY} {i}",
        documents=[{"type": "passport", "number": f"{CANARY}{i:04d}"}],
        sex="F" if i % 2 else "M",
        commune="13101" if i % 3 else "13108",
    )
    data.update(person)
    intake = intake_data(data)
    intake["contact"] = {
        "reasons": ["regularization"],
        "note": f"{CANARY} nota libre",
        "occurred_at": Q3,
    }
    intake["status"] = {"status": "no_permit" if i % 2 else "temporary"}
    return persons.register_intake(ctx, intake, allow_likely=True).person_id


@pytest.fixture
def office(ctx: Context, database: Database, supervisor: WorkerOut, admin: WorkerOut) -> Context:
    settings.set_municipality(Context(database, admin.id), {"code": "13101", "version": 0})
    for i in range(90):
        pid = _served(ctx, i)
        if i % 4 == 0:
            referrals.create(
                ctx,
                pid,
                {"destination": "cesfam", "reason": f"{CANARY} motivo", "consent_given": True},
            )
    # Risky people: a Haitian refugee woman over 60 in a rare commune, a 12-year-old.
    _served(ctx, 900, nationality="HTI", sex="F", birth_date=dt.date(1950, 3, 3), commune="13503")
    _served(ctx, 901, birth_date=dt.date(2014, 5, 5))
    return Context(database, supervisor.id)


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_export_writes_only_codes_and_rounded_counts(office: Context, tmp_path: Path) -> None:
    result = panel.export(office, "2026-Q3", tmp_path / "out")
    files = _files(tmp_path / "out")
    assert "panel-2026-Q3.json" in files and len(files) >= 6
    blob = b"".join(files.values()).decode("utf-8")
    assert CANARY not in blob and CANARY.lower() not in blob
    assert not re.search(r"\d{4}-\d{2}-\d{2}", blob)
    for name, data in files.items():
        if not name.endswith(".csv"):
            continue
        rows = data.decode().splitlines()
        header = rows[0].split(",")
        assert header[0] == "table" and header[-2:] == ["count", "flag"]
        for row in rows[1:]:
            count = row.split(",")[-2]
            if not count:
                continue  # suppressed
            value = int(count)
            assert value % 5 == 0, (name, row)
            assert value == 0 or value >= 10, (name, row)
            if "situacion" in name or "status" in name:
                assert value != 0, (name, row)  # a zero would prove absence
    meta = json.loads(files["panel-2026-Q3.json"])
    assert meta["content_sha256"] == result.content_hash or result.content_hash in json.dumps(meta)
    with office.db.read() as s:
        [row] = s.scalars(sa.select(PanelRelease)).all()
    assert (row.period, row.k, row.content_hash) == ("2026-Q3", 10, result.content_hash)


def test_same_database_same_bytes_and_one_ledger_row(office: Context, tmp_path: Path) -> None:
    first = panel.export(office, "2026-Q3", tmp_path / "a")
    second = panel.export(office, "2026-Q3", tmp_path / "b")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert second.unchanged and not first.unchanged
    with office.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PanelRelease)) == 1


def test_a_back_dated_edit_makes_a_revision(office: Context, ctx: Context, tmp_path: Path) -> None:
    first = panel.export(office, "2026-Q3", tmp_path / "a")
    # One late registration changes every cell it is in by one: publishing that would show
    # who was added, so nothing new is published.
    _served(ctx, 499, nationality="PER", sex="F", commune="13101", birth_date=dt.date(1990, 2, 1))
    small = panel.export(office, "2026-Q3", tmp_path / "small")
    assert small.unchanged and small.content_hash == first.content_hash
    # Twelve more alike move their cells by at least k: a revision.
    for i in range(12):
        _served(
            ctx,
            501 + 2 * i,
            nationality="PER",
            sex="F",
            commune="13101",
            birth_date=dt.date(1990, 1, 1 + i),
        )
    again = panel.export(office, "2026-Q3", tmp_path / "b")
    assert again.revision and not again.unchanged
    meta = json.loads((tmp_path / "b" / "panel-2026-Q3.json").read_bytes())
    assert meta["metadata"]["revision_of"] == first.content_hash
    with office.db.read() as s:
        rows = s.scalars(sa.select(PanelRelease).order_by(PanelRelease.released_at)).all()
    assert [r.revision_of for r in rows] == [None, rows[0].id]


def test_opting_out_changes_no_byte(office: Context, ctx: Context, tmp_path: Path) -> None:
    panel.export(office, "2026-Q3", tmp_path / "before")
    _served(ctx, 777, stats_opt_out=True)
    panel.export(office, "2026-Q3", tmp_path / "after")
    assert _files(tmp_path / "before") == _files(tmp_path / "after")


def test_bad_periods_and_weak_thresholds_are_refused(office: Context, tmp_path: Path) -> None:
    for text in ("2026-07", "2026-Q5", "Q3", "2026-01-01..2026-03-31"):
        with pytest.raises(InvalidInput) as err:
            panel.export(office, text, tmp_path / "x")
        assert err.value.errors[0].code == "bad_period"
    with pytest.raises(InvalidInput) as err:
        panel.export(office, "2026-Q3", tmp_path / "x", k=4)
    assert err.value.errors[0].code == "k_too_small"
    assert not (tmp_path / "x").exists()


def test_panel_combines_municipalities_and_refuses_weaker_rules(
    office: Context, tmp_path: Path
) -> None:
    panel.export(office, "2026-Q3", tmp_path / "santiago")
    # Another office's file: the same tables under another municipality (its own hash).
    ours = Release.from_json((tmp_path / "santiago" / "panel-2026-Q3.json").read_bytes())
    (tmp_path / "independencia").mkdir()
    (tmp_path / "independencia" / "panel-2026-Q3.json").write_bytes(
        dataclasses.replace(ours, municipality="13108").to_json()
    )
    files = [
        tmp_path / "santiago" / "panel-2026-Q3.json",
        tmp_path / "independencia" / "panel-2026-Q3.json",
    ]
    table = panel_side.combine_files(files)
    assert "13101" in table and "13108" in table
    with pytest.raises(ExportError):
        panel_side.combine_files(files, k=15)
    junk = tmp_path / "junk.json"
    junk.write_text("{}", encoding="utf-8")
    with pytest.raises(ExportError):
        panel_side.combine_files([junk])


def test_every_status_on_the_intake_form_has_an_export_category() -> None:
    assert {c.key for c in refdata.MIGRATION_STATUSES} <= set(STATUS_MAP)
