"""The demo generator: realistic synthetic data in every state the desk must handle."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework import rut
from casework.db import Database, open_database
from casework.errors import Conflict
from casework.models import (
    AuditEvent,
    FollowUp,
    IdentityDocument,
    Person,
    Programme,
    Referral,
    Worker,
)
from casework.services import backup, followups, persons, staff
from casework.services.context import Context
from casework.synthetic import demo, sqlite_bulk


@pytest.fixture
def filled(database: Database) -> tuple[Database, demo.DemoReport]:
    return database, demo.generate(Context(database), 400, seed=7)


def test_demo_fills_every_state(filled: tuple[Database, demo.DemoReport]) -> None:
    db, report = filled
    assert report.people == 400 and report.duplicates > 0
    with db.read() as s:
        statuses = set(s.scalars(sa.select(Referral.status)))
        nationalities = Counter(s.scalars(sa.select(Person.nationality)))
        runs = list(
            s.scalars(
                sa.select(IdentityDocument.number_norm).where(IdentityDocument.type_key == "run")
            )
        )
        overdue = s.scalar(
            sa.select(sa.func.count())
            .select_from(FollowUp)
            .where(FollowUp.status == "pending", FollowUp.due_on < dt.date.today())
        )
    assert {
        "draft",
        "requested",
        "accepted",
        "in-progress",
        "completed",
        "rejected",
        "cancelled",
        "failed",
        "on-hold",
    } <= statuses
    assert {"VEN", "PER", "HTI", "COL", "BOL"} <= set(nationalities)
    assert nationalities.most_common(1)[0][0] == "VEN"
    assert runs and all(rut.is_valid(r) for r in runs)
    assert overdue and overdue > 0


def test_demo_people_are_found_by_the_desk(filled: tuple[Database, demo.DemoReport]) -> None:
    db, _ = filled
    desk = staff.find_worker(Context(db), "demo")
    assert desk is not None
    ctx = Context(db, desk.id)
    assert persons.recent_persons(ctx, 5)
    assert followups.due_for_worker(ctx)
    with db.read() as s:
        surname = s.scalars(sa.select(Person.first_surname)).first()
    assert surname and persons.search_persons(ctx, surname)


def test_demo_refuses_a_database_with_people(filled: tuple[Database, demo.DemoReport]) -> None:
    """Whoever asks (it was a row of the permission matrix while it lived in services)."""
    db, _ = filled

    def counts() -> list[int | None]:
        with db.read() as s:
            return [
                s.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (Person, Worker, Programme, AuditEvent)
            ]

    before = counts()
    desk = staff.find_worker(Context(db), "demo")
    assert desk is not None
    for ctx in (Context(db), Context(db, desk.id)):
        with pytest.raises(Conflict):
            demo.generate(ctx, 5)
    assert counts() == before


def test_desk_variant_looks_like_the_same_person() -> None:
    import random

    rng = random.Random(1)
    original = {
        "id": 1,
        "given_names": "María José",
        "first_surname": "González",
        "second_surname": "Pérez",
        "birth_date": dt.date(1990, 3, 7),
    }
    variants = [demo.desk_variant(rng, original) for _ in range(40)]
    assert all(v["_duplicate_of"] == 1 for v in variants)
    assert any(v["second_surname"] is None for v in variants)
    assert any(v["first_surname"] == "Pérez" for v in variants)
    assert any(v["birth_date"] == dt.date(1990, 7, 3) for v in variants)


def _schema_and_checks(path: Path) -> tuple[set[str], list[object], str]:
    conn = sqlite3.connect(path)
    try:
        indexes = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
        (integrity,) = conn.execute("PRAGMA integrity_check").fetchone()
    finally:
        conn.close()
    return indexes, orphans, integrity


@pytest.mark.parametrize("encrypted", [False, True])
def test_demo_file_keeps_every_index_and_foreign_key(
    tmp_path: Path, sqlite_template: Path, encrypted: bool
) -> None:
    """A plain file is loaded by a second process, an encrypted one in this process:
    either way the indexes come back and every row has its parents."""
    path = tmp_path / "demo.db"
    shutil.copy(sqlite_template, path)
    before, _, _ = _schema_and_checks(path)
    if encrypted:
        pytest.importorskip("sqlcipher3")
        backup.encrypt(open_database(str(path)), "a long demo passphrase")
        db = open_database(str(path), passphrase="a long demo passphrase")
    else:
        db = open_database(str(path))
    try:
        report = demo.generate(Context(db), 150, seed=3)
        with db.read() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 150
            assert report.rows["person"] == 150
        if not encrypted:
            after, orphans, integrity = _schema_and_checks(path)
            assert after == before and orphans == [] and integrity == "ok"
    finally:
        db.dispose()


def test_bulk_writer_reports_a_failure_and_writes_nothing(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """The loading process rolls back on a bad row and says why; the caller gets it."""
    path = tmp_path / "bulk.db"
    shutil.copy(sqlite_template, path)
    stream = io.BytesIO()
    good = ("INSERT INTO programme (id, code, name, active, created_at) VALUES (?, ?, ?, ?, ?)",)
    sqlite_bulk.write_frame(stream, (good[0], [("0" * 32, "X", "X", 1, "2026-01-01 00:00:00")]))
    sqlite_bulk.write_frame(stream, ("INSERT INTO person (id) VALUES (?)", [("1" * 32,)]))
    sqlite_bulk.write_frame(stream, None)
    stream.seek(0)
    outcome = sqlite_bulk.load(str(path), ["person"], stream)
    assert outcome["outcome"] == "error" and "NOT NULL" in (outcome["detail"] or "")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM programme WHERE code = 'X'").fetchone() == (0,)
    conn.close()
