"""Search a worker can rely on (#14 point 6): names in any order, accents and case ignored,
one wrong letter forgiven, ranked best first; documents, phones and birth dates; each
result says what matched. Services on SQLite and PostgreSQL, the screen at 80x24."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import command

from casework import rut
from casework.db import Database
from casework.models import NameVariant
from casework.services import keys, persons, rights
from casework.services.context import Context
from casework.services.schemas import WorkerOut
from casework.text import one_edit, tokens

from .factories import intake_data, person_data


def new_person(
    ctx: Context, given: str, first: str, second: str | None = None, **extra: Any
) -> uuid.UUID:
    extra.setdefault("documents", [{"type": "passport", "number": f"P{uuid.uuid4().hex[:8]}"}])
    data = person_data(given_names=given, first_surname=first, second_surname=second, **extra)
    return persons.register_intake(ctx, intake_data(data), allow_likely=True).person_id


def _found(ctx: Context, text: str) -> list[tuple[uuid.UUID, list[str]]]:
    return [(p.id, p.matched) for p in persons.search_persons(ctx, text)]


def test_one_edit_is_one_letter_changed_added_left_out_or_swapped() -> None:
    assert one_edit("gonzales", "gonzalez")  # changed
    assert one_edit("jhon", "john")  # neighbours swapped
    assert one_edit("gonzlez", "gonzalez")  # left out
    assert one_edit("gonzaalez", "gonzalez")  # added
    assert not one_edit("gonzalez", "gonzalez")
    assert not one_edit("abc", "bcd")  # a deletion on each side is two letters
    assert not one_edit("jhonn", "john")


def test_names_any_order_accents_and_one_wrong_letter(ctx: Context) -> None:
    gonzalez = new_person(ctx, "Ana", "González", "Pérez", phone=None)
    john = new_person(ctx, "John", "Smith", None, phone=None)
    maria = new_person(ctx, "María José", "Pérez", "Soto", phone=None)
    assert _found(ctx, "Gonzales") == [(gonzalez, ["surname_near"])]
    assert _found(ctx, "GONZALEZ") == [(gonzalez, ["surname"])]
    assert _found(ctx, "Gonz") == [(gonzalez, ["surname"])]  # typing: the start of a word
    assert _found(ctx, "Jhon") == [(john, ["name_near"])]
    assert _found(ctx, "perez maria") == [(maria, ["name", "surname"])]
    assert [pid for pid, _ in _found(ctx, "perez")] == [gonzalez, maria]  # then by surname
    assert _found(ctx, "maria perz") == [(maria, ["name", "surname_near"])]
    assert _found(ctx, "Gonzalessa") == []  # two letters away
    assert persons.search_persons(ctx, "Gonzales", typos=False) == []  # naming one person
    assert _found(ctx, "Ama") == []  # short words: exact or start only


def test_an_exact_match_is_listed_before_one_letter_away(ctx: Context) -> None:
    # "Gonzales" is on record exactly for one person, and one letter away for another whose
    # name sorts first: the exact one still comes first.
    near = new_person(ctx, "Alba", "González", phone=None)
    exact = new_person(ctx, "Zoila", "Gonzales", phone=None)
    assert _found(ctx, "gonzales") == [(exact, ["surname"]), (near, ["surname_near"])]
    # More fields matched first: a given name and a surname before a surname twice.
    both = new_person(ctx, "Rosa", "Rosales", phone=None)
    one = new_person(ctx, "Ana", "Rosa", "Rosa", phone=None)
    assert [pid for pid, _ in _found(ctx, "rosa ros")] == [both, one]


def test_document_phone_and_birth_date(ctx: Context) -> None:
    body = "21999888"
    run = f"{body}-{rut.check_digit(body)}"
    pid = new_person(
        ctx,
        "Lucía",
        "Mamani",
        documents=[{"type": "run", "number": run}],
        phone="+56 9 8765 4321",
        birth_date=dt.date(1990, 3, 12),
    )
    other = new_person(
        ctx, "Rosa", "Quispe", phone="+56 9 1111 2222", birth_date=dt.date(1990, 12, 3)
    )
    dotted = f"{body[:2]}.{body[2:5]}.{body[5:]}-{rut.check_digit(body)}"
    for typed in (dotted, run, body, "21.999"):
        assert _found(ctx, typed) == [(pid, ["document"])], typed
    for typed in ("+56 9 8765 4321", "987654321", "87654321", "9 8765 4321"):
        assert _found(ctx, typed) == [(pid, ["phone"])], typed
    chilean = new_person(
        ctx, "Rosa", "Pérez", documents=[{"type": "passport", "number": "CL7654321"}]
    )
    assert _found(ctx, "CL7654321") == [(chilean, ["document"])]  # a passport keeps its CL
    assert _found(ctx, "12-03-1990") == [(pid, ["birth_date"])]  # not 03-12 (a swap)
    assert _found(ctx, "3/12/1990") == [(other, ["birth_date"])]
    assert _found(ctx, "31-02-1990") == []


def test_a_merged_person_is_found_as_the_survivor(ctx: Context, supervisor: WorkerOut) -> None:
    from casework.services import merge

    keep = new_person(ctx, "Yesenia", "Rondón", phone=None)
    gone = new_person(ctx, "Llesenia", "Rondon", phone=None)
    merge.merge(Context(ctx.db, supervisor.id), keep, gone, {})
    assert [pid for pid, _ in _found(ctx, "llesenia")] == [keep]


def test_the_typo_index_follows_edits_and_erasures(
    database: Database, ctx: Context, supervisor: WorkerOut
) -> None:
    pid = new_person(ctx, "Xochitl", "Quilapán", phone=None)
    assert _found(ctx, "Xochtl") == [(pid, ["name_near"])]
    with database.read() as s:
        assert s.scalar(sa.select(NameVariant.token).where(NameVariant.variant == "xochtl"))
    boss = Context(database, supervisor.id)
    req = rights.register(boss, {"person_id": pid, "kind": "erasure"})
    rights.confirm_identity(boss, req.id)
    rights.erase(boss, req.id)
    with database.read() as s:
        left = set(s.scalars(sa.select(NameVariant.token)))
    assert "xochitl" not in left and "quilapan" not in left  # nothing of them stays behind
    assert _found(ctx, "Xochitl") == []


def test_0013_backfills_the_typo_index_of_an_old_database(database: Database, ctx: Context) -> None:
    john = new_person(ctx, "John", "Smith", None, phone=None)
    cfg = database.alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, _before_0013(database))
        assert "name_variant" not in sa.inspect(conn).get_table_names()
    database.upgrade(backup=False)
    assert database.current_revision() == database.head_revision()
    assert _found(ctx, "Jhon") == [(john, ["name_near"])]
    with database.read() as s:
        rows = {(r[0], r[1]) for r in s.execute(sa.select(NameVariant.variant, NameVariant.token))}
    assert rows == {(v, tok) for tok in ("john", "smith") for v in keys.variants(tok)}


def _before_0013(db: Database) -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config()).get_revision("0013")
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


def test_the_demo_load_fills_the_typo_index_like_an_intake(database: Database) -> None:
    """The demo writes person_key rows directly: its typo index is what keys.refresh would
    have kept, and a surname one letter off finds its persons."""
    from casework.models import Person, PersonKey
    from casework.synthetic import demo

    demo.generate(Context(database), 40, seed=3)
    with database.read() as s:
        names = set(s.scalars(sa.select(PersonKey.key).where(PersonKey.kind == keys.NAME)))
        rows = {(r[0], r[1]) for r in s.execute(sa.select(NameVariant.variant, NameVariant.token))}
        surname = s.scalar(
            sa.select(Person.first_surname).where(sa.func.length(Person.first_surname) > 5)
        )
    assert rows == {(v, tok) for tok in names for v in keys.variants(tok)}
    assert surname is not None
    token = tokens(surname)[0]
    typo = token[:-1] + ("a" if token[-1] != "a" else "e")
    worker = Context(database, demo_worker(database))
    found = persons.search_persons(worker, typo)
    assert any("surname_near" in p.matched for p in found)


def demo_worker(db: Database) -> uuid.UUID:
    from casework.models import Worker

    with db.read() as s:
        wid = s.scalar(sa.select(Worker.id).where(Worker.username == "demo"))
    assert wid is not None
    return wid


def test_a_rights_request_names_one_person_without_forgiving_a_letter(ctx: Context) -> None:
    """find_person names the person a request is for: Rondón is not Rendón."""
    rondon = new_person(ctx, "Yesenia", "Rondón", phone=None)
    new_person(ctx, "Yesenia", "Rendón", phone=None)
    assert rights.find_person(ctx, "Yesenia Rondón") == rondon
    assert len(persons.search_persons(ctx, "Yesenia Rondón")) == 2  # the search shows both
