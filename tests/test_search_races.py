"""The typo index (name_variant) when two desks write at once, on SQLite and PostgreSQL:
two intakes bringing the same new name, and a correction taking a name away from its last
holder while an intake brings it back. Nothing doubled, nothing lost, nobody refused."""

from __future__ import annotations

import uuid
from functools import partial

import sqlalchemy as sa

from casework.db import Database
from casework.models import NameVariant
from casework.services import keys, persons
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data
from .test_concurrency_races import REPEAT, at_once


def _intake(ctx: Context, given: str, n: int) -> uuid.UUID:
    docs = [{"type": "passport", "number": f"R{uuid.uuid4().hex[:8].upper()}{n}"}]
    data = person_data(given_names=given, first_surname="Quilapán", documents=docs, phone=None)
    return persons.register_intake(ctx, intake_data(data), allow_likely=True).person_id


def _variants(db: Database, token: str) -> list[str]:
    with db.read() as s:
        return list(s.scalars(sa.select(NameVariant.variant).where(NameVariant.token == token)))


def test_two_intakes_bringing_one_new_name_at_once(database: Database, worker: WorkerOut) -> None:
    for i in range(REPEAT):
        name = f"Xochitl{chr(97 + i) * 2}"
        token = name.lower()
        ids = at_once(
            partial(_intake, Context(database, worker.id), name, 1),
            partial(_intake, Context(database, worker.id), name, 2),
        )
        assert all(isinstance(pid, uuid.UUID) for pid in ids), ids  # nobody refused
        assert sorted(_variants(database, token)) == sorted(keys.variants(token))  # once each
        typo = token[:2] + token[3:]  # one letter left out
        found = {p.id for p in persons.search_persons(Context(database, worker.id), typo)}
        assert found == set(ids)


def test_a_name_taken_away_while_another_desk_brings_it(
    database: Database, worker: WorkerOut
) -> None:
    for i in range(REPEAT):
        name = f"Tonatiuh{chr(97 + i) * 2}"  # two letters from the others
        token = name.lower()
        ctx = Context(database, worker.id)
        old = _intake(ctx, name, 1)
        rename = {"given_names": {"base": name, "new": "Pedro"}}
        results = at_once(
            partial(persons.update_person, Context(database, worker.id), old, rename),
            partial(_intake, Context(database, worker.id), name, 2),
        )
        assert not any(isinstance(r, BaseException) for r in results), results
        new = results[1]
        # The new holder keeps the name's typo rows whichever desk went first.
        assert sorted(_variants(database, token)) == sorted(keys.variants(token))
        typo = token[0] + token[2] + token[1] + token[3:]  # two neighbours swapped
        found = persons.search_persons(ctx, typo)
        assert [p.id for p in found] == [new], [(typo, p.full_name, p.matched) for p in found]
