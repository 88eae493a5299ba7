"""The demo generator: realistic synthetic data in every state the desk must handle."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import sqlalchemy as sa

from casework import rut
from casework.db import Database
from casework.errors import Conflict
from casework.models import FollowUp, IdentityDocument, Person, Referral
from casework.services import demo, followups, persons, workers
from casework.services.context import Context


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
    [desk] = [w for w in workers.list_workers(Context(db)) if w.username == "demo"]
    ctx = Context(db, desk.id)
    assert persons.recent_persons(ctx, 5)
    assert followups.due_for_worker(ctx)
    with db.read() as s:
        surname = s.scalars(sa.select(Person.first_surname)).first()
    assert surname and persons.search_persons(ctx, surname)


def test_demo_refuses_a_database_with_people(filled: tuple[Database, demo.DemoReport]) -> None:
    db, _ = filled
    with pytest.raises(Conflict):
        demo.generate(Context(db), 5)


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
