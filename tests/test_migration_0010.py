"""0010 on a database that races already damaged: a merge cycle, a chain, one RUN on two
live persons, one import ref on two. The upgrade repairs what it can decide (the earliest
merge stands) and queues what a person must (the duplicates), and never fails."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from casework import rut
from casework.db import Database
from casework.models import (
    Contact,
    IdentityDocument,
    ImportRef,
    MatchPair,
    Person,
    PersonMerge,
)
from casework.services import persons
from casework.services.context import Context
from casework.services.importing import import_persons
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

merges = sa.table(
    "person_merge",
    sa.column("id", sa.Uuid()),
    sa.column("survivor_id", sa.Uuid()),
    sa.column("merged_id", sa.Uuid()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("worker_id", sa.Uuid()),
    sa.column("details", sa.JSON()),
)


def _before_0010(db: Database) -> str:
    """The revision 0010 follows (it is rechained when revisions are merged)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config()).get_revision("0010")
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


def _new(ctx: Context, name: str, **extra: object) -> uuid.UUID:
    docs = extra.pop("documents", [{"type": "passport", "number": f"M{name.upper()}99"}])
    data = intake_data(person_data(given_names=name, documents=docs), **extra)
    return persons.register_intake(ctx, data, allow_likely=True).person_id


def _at(db: Database, minutes: int) -> dt.datetime:
    value = dt.datetime(2026, 11, 1, 12, minutes, tzinfo=dt.UTC)
    return value.replace(tzinfo=None) if db.is_sqlite else value


def test_0010_repairs_cycles_chains_and_queues_the_duplicates(
    database: Database, worker: WorkerOut, supervisor: WorkerOut, tmp_path: Path
) -> None:
    ctx = Context(database, worker.id)
    a, b = _new(ctx, "Alba"), _new(ctx, "Bruna")
    p, q, r = _new(ctx, "Pia"), _new(ctx, "Queta"), _new(ctx, "Rita")
    body = "21999888"
    run = [{"type": "run", "number": f"{body}-{rut.check_digit(body)}"}]
    c = _new(ctx, "Clara", documents=run)
    d = _new(ctx, "Clara", documents=run, allow_duplicate_document=True)
    e, f = _new(ctx, "Elsa"), _new(ctx, "Fabia")
    cfg = database.alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, _before_0010(database))
        # What two opposite merges at once left: A into B and B into A, each moving the
        # other's contacts, both committed; the earlier one (A into B) at 12:01.
        conn.execute(sa.update(Person).where(Person.id == a).values(merged_into_id=b))
        conn.execute(sa.update(Person).where(Person.id == b).values(merged_into_id=a))
        [of_a] = conn.scalars(sa.select(Contact.id).where(Contact.person_id == a)).all()
        [of_b] = conn.scalars(sa.select(Contact.id).where(Contact.person_id == b)).all()
        conn.execute(sa.update(Contact).where(Contact.id == of_a).values(person_id=b))
        conn.execute(sa.update(Contact).where(Contact.id == of_b).values(person_id=a))
        for survivor, merged, minute in ((b, a, 1), (a, b, 2), (q, p, 3), (r, q, 4)):
            conn.execute(
                sa.insert(merges).values(
                    id=uuid.uuid4(),
                    survivor_id=survivor,
                    merged_id=merged,
                    at=_at(database, minute),
                    worker_id=supervisor.id,
                    details={},
                )
            )
        # A chain: P into Q, then Q into R, from before merges pointed at the live end.
        conn.execute(sa.update(Person).where(Person.id == p).values(merged_into_id=q))
        conn.execute(sa.update(Person).where(Person.id == q).values(merged_into_id=r))
        # One import ref on two live persons (two imports of one file at once).
        for pid in (e, f):
            conn.execute(sa.update(Person).where(Person.id == pid).values(external_refs=["R-1"]))
    database.upgrade(backup=False)
    assert database.current_revision() == database.head_revision()
    with database.read() as s:
        pointer = dict(s.execute(sa.select(Person.id, Person.merged_into_id)).all())
        assert pointer[b] is None and pointer[a] == b  # the earlier merge stands
        assert pointer[p] == r and pointer[q] == r and pointer[r] is None
        contacts = sa.select(sa.func.count()).select_from(Contact)
        assert s.scalar(contacts.where(Contact.person_id == a)) == 0
        assert s.scalar(contacts.where(Contact.person_id == b)) == 2
        assert list(s.scalars(sa.select(PersonMerge.survivor_id).where(PersonMerge.merged_id == a)))
        assert s.scalar(sa.select(PersonMerge.id).where(PersonMerge.merged_id == b)) is None
        claims = s.scalars(
            sa.select(IdentityDocument.person_id).where(
                IdentityDocument.type_key == "run", IdentityDocument.live_key.is_not(None)
            )
        ).all()
        assert claims == [c]  # the earliest holder
        assert s.get(ImportRef, "R-1").person_id == e  # type: ignore[union-attr]
        pending = {
            (row.person_a, row.person_b): row.reasons[0]["code"]
            for row in s.scalars(sa.select(MatchPair).where(MatchPair.status == "pending"))
        }
    assert pending[tuple(sorted((c, d)))] == "same_document"
    assert pending[tuple(sorted((e, f)))] == "same_import_ref"
    assert [x.id for x in persons.search_persons(ctx, "Bruna")] == [b]
    assert [x.id for x in persons.search_persons(ctx, "Alba")] == [b]  # found as the survivor
    listed = tmp_path / "lista.csv"
    listed.write_text("ref;nombres;primer_apellido\nR-1;Elsa;Rondón\n", encoding="utf-8")
    report = import_persons(Context(database, supervisor.id), listed)
    assert (report.created, report.already) == (0, 1)


def test_0010_on_a_clean_database_changes_no_data(database: Database, worker: WorkerOut) -> None:
    ctx = Context(database, worker.id)
    one = _new(ctx, "Uno")
    cfg = database.alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, _before_0010(database))
    database.upgrade(backup=False)
    with database.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(MatchPair)) == 0
        [doc] = s.scalars(sa.select(IdentityDocument)).all()
        assert (doc.person_id, doc.live_key) == (one, doc.number_norm)
