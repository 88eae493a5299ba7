"""The duplicate matcher's term frequencies, kept live in person_key (issue #19): every
write keeps them equal to a count of every live person; the first intake check after a
start reads only what it needs (no recount of every person) and scores as that count
would; denominators recounted by two desks at once stay right; migration 0022 backfills
a database made before it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from casework.db import Database
from casework.matching import Matcher, TermFrequencies
from casework.models import MatchTotal, PersonKey, Worker
from casework.services import (
    candidates,
    likely,
    match_records,
    merge,
    person_edit,
    persons,
    rights,
)
from casework.services.context import Context
from casework.services.importing import import_persons
from casework.services.schemas import WorkerOut
from casework.synthetic import demo

from .factories import intake_data, person_data
from .test_concurrency_races import a_run, at_once

RACES = 5


def stored_counts(db: Database) -> Counter[tuple[str, str]]:
    """Rows per (kind, key) of the frequency kinds, as stored."""
    with db.read() as s:
        rows = s.execute(
            sa.select(PersonKey.kind, PersonKey.key, sa.func.count())
            .where(sa.or_(PersonKey.kind.startswith("f."), PersonKey.kind.startswith("g.")))
            .group_by(PersonKey.kind, PersonKey.key)
        )
        return Counter({(k, v): int(n) for k, v, n in rows})


def recounted(db: Database) -> Counter[tuple[str, str]]:
    """The same counts from every live person in memory (the matcher's own counting)."""
    with db.read() as s:
        tf = TermFrequencies.from_records(match_records.load_records(s))
    data = tf.to_dict()
    out: Counter[tuple[str, str]] = Counter()
    for cat, values in data["all"].items():
        for value, n in values.items():
            out[(match_records.frequency_kind(cat), value)] = n
    for group, table in data["by_nationality"].items():
        for cat, values in table.items():
            for value, n in values.items():
                out[(match_records.frequency_kind(cat, group), value)] = n
    if tf.records:
        out[(match_records.PERSONS, "")] = tf.records
    return out


def assert_exact(db: Database) -> None:
    stored = stored_counts(db)
    assert stored == recounted(db)
    with db.read() as s:
        totals = match_records.recount_totals(s)
    by_kind: Counter[str] = Counter()
    for (kind, _), n in stored.items():
        by_kind[kind] += n
    assert totals == dict(by_kind)


def _change(form: person_edit.EditForm, **new: Any) -> dict[str, Any]:
    return {name: {"base": form.values[name], "new": value} for name, value in new.items()}


def test_counts_follow_every_write(
    ctx: Context, database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    sup = Context(database, supervisor.id)
    yesenia = persons.register_intake(ctx, intake_data()).person_id
    same = person_data(
        given_names="María María",
        first_surname="Pérez",
        second_surname="Pérez",  # one surname counted once, like one token
        nationality="HTI",
        phone="+56 9 2222 3333",
        birth_date=dt.date(1980, 1, 2),
        documents=[{"type": "run", "number": a_run(1)}],
    )
    maria = persons.register_intake(ctx, intake_data(same), allow_likely=True).person_id
    assert_exact(database)

    form = person_edit.form(ctx, maria)
    person_edit.save(
        ctx,
        maria,
        {
            "person": _change(
                form, given_names="Marie", nationality="VEN", phone="922224444", first_surname="Paz"
            ),
            "documents": [{"new": {"type": "passport", "number": "HT998877"}}],
            "correction_reason": "Documento a la vista.",
        },
    )
    assert_exact(database)
    assert stored_counts(database)[("g.giv.VEN", "marie")] == 1

    twin = persons.register_intake(
        ctx,
        intake_data(person_data(phone="+56 9 5555 1111", documents=[])),
        allow_likely=True,
    ).person_id
    result = merge.merge(sup, yesenia, twin)
    assert_exact(database)  # the merged record no longer counts
    with database.read() as s:
        left = s.scalars(
            sa.select(PersonKey.kind).where(PersonKey.person_id == twin).distinct()
        ).all()
    assert left and not any(match_records.is_frequency_kind(k) for k in left)
    del result
    [listed] = merge.recent(sup)
    merge.undo(sup, listed.id)
    assert_exact(database)  # counted again
    assert stored_counts(database)[("f.person", "")] == 3

    req = rights.register(sup, {"person_id": maria, "kind": "erasure", "identity_checked": True})
    rights.erase(sup, req.id)
    assert_exact(database)
    assert ("f.sur", "paz") not in stored_counts(database)

    lines = [f"R-{i};Nombre{i};Exantus;01-02-1990;run;{a_run(100 + i)}" for i in range(12)]
    path = tmp_path / "lista.csv"
    header = "ref;nombres;primer_apellido;fecha_nacimiento;tipo_documento;numero_documento\n"
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    import_persons(sup, path)
    assert_exact(database)
    assert stored_counts(database)[("f.sur", "exantus")] == 12
    with database.read() as s:  # the import stored the denominators it made
        stored, _ = match_records.stored_totals(s)
        assert stored == match_records.recount_totals(s)


def _population(database: Database) -> Context:
    """A generated office (the demo's people, 3 % of them typed twice), and a desk worker."""
    demo.generate(Context(database), 600, seed=11)
    with database.read() as s:
        worker = s.scalars(sa.select(Worker.id).where(Worker.role == "worker").limit(1)).one()
    return Context(database, worker)


def _probes(database: Database, n: int) -> list[Any]:
    """Persons on record as another desk would type them: given names shortened or
    mistyped, the second surname left out, a document typed alone."""
    with database.read() as s:
        records = match_records.load_records(s)[:n]
    probes = []
    for i, r in enumerate(records):
        given = r.given_names.split()[0] if i % 3 == 0 else r.given_names[:-1] + "x"
        probes.append(
            match_records.record_of(
                "probe",
                given,
                r.first_surname,
                None if i % 2 else r.second_surname,
                r.birth_date,
                r.sex,
                r.nationality if i % 4 else None,
                r.documents[:1] if i % 5 == 0 else (),
                r.phones,
            )
        )
    return probes


def test_a_check_scores_as_a_count_of_every_person_would(database: Database) -> None:
    ctx = _population(database)
    assert_exact(database)
    with database.read() as s:
        everyone = match_records.load_records(s)
    full = Matcher(tf=TermFrequencies.from_records(everyone), population=len(everyone))
    shortened = 0
    for probe in _probes(database, 60):
        with database.read() as s:
            ids = likely.candidate_ids(s, probe)
            found = likely.ranked(s, "", probe, limit=5)
            records = match_records.load_records(s, ids)
        # what the old code scored: the same candidates, frequencies counted from everyone
        typed = likely.document_numbers(probe.documents)
        holders = [r for r in records if typed & likely.document_numbers(r.documents)]
        expected = full.rank(probe, holders, limit=len(holders)) if holders else []
        others = [r for r in records if r.id not in {x.b_id for x in expected}]
        expected += full.rank(probe, others, limit=max(0, 5 - len(expected)), min_score=0.02)
        assert [(r.b_id, round(r.score, 9), r.reasons) for r in found] == [
            (r.b_id, round(r.score, 9), r.reasons) for r in expected
        ]
        shortened += any(r.code == "given_name_shortened" for x in found for r in x.reasons)
    assert shortened  # the probes did reach a candidate's own given token
    assert candidates.intake_candidates(ctx, _probes(database, 1)[0])


def _statements(database: Database, call: Any) -> list[str]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)
    return seen


def test_the_first_check_after_a_start_reads_only_what_it_needs(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No count of every person at the first check (7.8-11.2 s at 100,000 before): the
    counts over person_key, then the candidates with their records in one statement (a
    third only to count a candidate's own name), then the last contact of those shown."""
    ctx = _population(database)
    monkeypatch.setattr(likely, "SMALL", 0)  # this office's stored totals, as at 100,000
    match_records.refresh_totals(database.engine)
    likely.forget_frequencies()
    probe = _probes(database, 1)[0]
    seen = _statements(database, lambda: candidates.intake_candidates(ctx, probe))
    keyed = [q for q in seen if "person_key" in q]
    assert len(keyed) in (2, 3), keyed
    assert "match_total" in keyed[0] and "LIMIT" in keyed[0]
    assert "JOIN person " in keyed[1] and f"LIMIT {likely.CANDIDATES})" in keyed[1]
    assert all("JOIN person " not in q and "LIMIT" in q for q in keyed[2:])
    for q in seen:
        if " FROM person " in q or " FROM identity_document " in q or " FROM contact " in q:
            assert " IN (" in q, q  # the candidates only, never every person
    assert not any("FROM match_total" in q and "person_key" not in q for q in seen)
    assert len(seen) <= 5, seen  # with the worker signed in


@pytest.mark.parametrize("round_", range(RACES))
def test_two_desks_recounting_the_totals_at_once_leave_them_right(
    ctx: Context, database: Database, round_: int
) -> None:
    for i in range(3):
        persons.register_intake(
            ctx,
            intake_data(person_data(given_names=f"Ana{i}", documents=[], phone=None)),
            allow_likely=True,
        )
    results = at_once(
        lambda: match_records.refresh_totals(database.engine),
        lambda: match_records.refresh_totals(database.engine),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    with database.read() as s:
        stored, at = match_records.stored_totals(s)
        assert stored == match_records.recount_totals(s)
        assert at is not None
        assert s.scalar(sa.select(sa.func.count()).select_from(MatchTotal)) == len(stored)


@pytest.mark.parametrize("round_", range(RACES))
def test_two_desks_registering_the_same_rare_surname_at_once_count_both(
    ctx: Context, database: Database, round_: int
) -> None:
    def register(given: str, run: str) -> uuid.UUID:
        data = person_data(
            given_names=given,
            first_surname="Exantus",
            second_surname=None,
            documents=[{"type": "run", "number": run}],
            phone=None,
        )
        return persons.register_intake(ctx, intake_data(data), allow_likely=True).person_id

    results = at_once(lambda: register("Jean", a_run(1)), lambda: register("Pierre", a_run(2)))
    assert all(isinstance(r, uuid.UUID) for r in results), results
    assert stored_counts(database)[("f.sur", "exantus")] == 2
    assert stored_counts(database)[("g.sur.VEN", "exantus")] == 2
    assert_exact(database)


def test_a_background_recount_replaces_old_totals(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _population(database)
    monkeypatch.setattr(likely, "SMALL", 0)
    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with database.engine.begin() as conn:
        match_records.store_totals(conn, {"f.person": 5, "f.sur": 9}, at=old)
    candidates.intake_candidates(ctx, _probes(database, 1)[0])  # scores on the old ones
    likely.forget_frequencies()  # waits for the recount the check started
    with database.read() as s:
        stored, at = match_records.stored_totals(s)
        assert at is not None and at > old
        assert stored == match_records.recount_totals(s)


def test_migration_0022_backfills_a_database_made_before_it(
    ctx: Context, database: Database, supervisor: WorkerOut
) -> None:
    sup = Context(database, supervisor.id)
    keep = persons.register_intake(ctx, intake_data()).person_id
    other = persons.register_intake(
        ctx, intake_data(person_data(documents=[], phone="+56 9 1111 2222")), allow_likely=True
    ).person_id
    persons.register_intake(
        ctx,
        intake_data(
            person_data(
                given_names="Wilner", first_surname="Exantus", nationality="HTI", documents=[]
            )
        ),
        allow_likely=True,
    )
    merge.merge(sup, keep, other)
    before = stored_counts(database)
    cfg = database.alembic_config()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0021")
        assert "match_total" not in sa.inspect(conn).get_table_names()
    assert stored_counts(database) == Counter()
    database.upgrade(backup=False)
    assert stored_counts(database) == before
    assert_exact(database)
    with database.read() as s:
        stored, _ = match_records.stored_totals(s)
        assert stored == match_records.recount_totals(s)
        assert stored["f.person"] == 2
