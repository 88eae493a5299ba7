"""Races on both backends: two desks (threads with their own context, released together by
a barrier) doing the same thing at once, repeated. Each race ends with nothing lost,
nothing doubled and a clear message for the one that lost; never an IntegrityError."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from casework import rut
from casework.db import Database
from casework.errors import CaseworkError, Conflict
from casework.models import AuditEvent, IdentityDocument, ImportRef, MatchPair, Person, Worker
from casework.services import auth, duplicate_queue, merge, persons, staff
from casework.services.context import Context
from casework.services.importing import import_persons
from casework.services.schemas import WorkerOut

from .factories import intake_data, person_data

REPEAT = 10


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each result or the exception raised."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            out[i] = call()
        except BaseException as exc:  # collected, and checked by the test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not any(th.is_alive() for th in threads), "a thread hung: a lock was never freed"
    return out


def a_run(n: int) -> str:
    body = str(21_000_000 + n)
    return f"{body}-{rut.check_digit(body)}"


def _count(db: Database, stmt: sa.Select[Any]) -> int:
    with db.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)


def test_two_intakes_of_one_run_at_once_make_one_person(
    database: Database, worker: WorkerOut
) -> None:
    for i in range(REPEAT):
        run = a_run(i)
        data = intake_data(
            person_data(given_names=f"Persona {i}", documents=[{"type": "run", "number": run}])
        )
        results = at_once(
            partial(persons.register_intake, Context(database, worker.id), data),
            partial(persons.register_intake, Context(database, worker.id), data),
        )
        won = [r for r in results if isinstance(r, persons.IntakeResult)]
        lost = [r for r in results if not isinstance(r, persons.IntakeResult)]
        assert len(won) == 1 and len(lost) == 1, results
        [error] = lost
        assert isinstance(error, Conflict) and error.code == "document_on_record", repr(error)
        assert error.params["person_id"] == str(won[0].person_id)
        assert f"Persona {i}" in error.message()
        holders = sa.select(IdentityDocument.person_id).where(
            IdentityDocument.number_norm == rut.canonical(run)
        )
        assert _count(database, holders) == 1
    assert _count(database, sa.select(Person.id)) == REPEAT


HEADER = "ref;nombres;primer_apellido;fecha_nacimiento;tipo_documento;numero_documento\n"


def _list_file(folder: Path, tag: int, rows: int) -> Path:
    path = folder / f"lista-{tag}.csv"
    lines = [
        f"L{tag}-{j};Nombre{j};Apellido{tag};01-01-1990;run;{a_run(10_000 * (tag + 1) + j)}"
        for j in range(rows)
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_two_imports_of_one_file_at_once_create_each_row_once(
    database: Database, admin: WorkerOut, tmp_path: Path
) -> None:
    rows = 20
    for tag in range(5):
        path = _list_file(tmp_path, tag, rows)
        reports = at_once(
            partial(import_persons, Context(database, admin.id), path),
            partial(import_persons, Context(database, admin.id), path),
        )
        for report in reports:
            assert not isinstance(report, BaseException), repr(report)
            assert report.rows == rows and report.problems == []
            assert report.created + report.already == rows  # its normal summary
        assert sorted(r.created for r in reports) == [0, rows]
    assert _count(database, sa.select(Person.id)) == 5 * rows
    # Each row holds its ref and its content's key (how a changed row is told apart).
    assert _count(database, sa.select(ImportRef.ref)) == 2 * 5 * rows
    assert _count(database, sa.select(ImportRef.ref).where(ImportRef.ref.like("L%"))) == 5 * rows
    doubled = (
        sa.select(IdentityDocument.number_norm)
        .group_by(IdentityDocument.number_norm)
        .having(sa.func.count() > 1)
    )
    assert _count(database, doubled) == 0


def test_opposite_merges_of_one_pair_at_once_leave_one_person(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    desk = Context(database, worker.id)
    for i in range(REPEAT):
        a = persons.register_intake(
            desk,
            intake_data(
                person_data(
                    given_names=f"Fusion{chr(97 + i)}",
                    documents=[{"type": "run", "number": a_run(500 + i)}],
                )
            ),
            allow_likely=True,
        ).person_id
        b = persons.register_intake(
            desk,
            intake_data(
                person_data(
                    given_names=f"Fusion{chr(97 + i)}",
                    second_surname=None,
                    documents=[{"type": "passport", "number": f"PX{i:05d}"}],
                )
            ),
            allow_likely=True,
        ).person_id
        results = at_once(
            partial(merge.merge, Context(database, supervisor.id), a, b),
            partial(merge.merge, Context(database, supervisor.id), b, a),
        )
        won = [r for r in results if isinstance(r, merge.MergeResult)]
        lost = [r for r in results if not isinstance(r, merge.MergeResult)]
        assert len(won) == 1 and len(lost) == 1, results
        [error] = lost
        assert isinstance(error, Conflict) and error.code == "already_merged", repr(error)
        assert "ya fue fusionada" in error.message() and f"Fusion{chr(97 + i)}" in error.message()
        survivor = won[0].survivor_id
        with database.read() as s:
            pointers = dict(
                s.execute(
                    sa.select(Person.id, Person.merged_into_id).where(Person.id.in_([a, b]))
                ).all()
            )
        assert pointers[survivor] is None and pointers[won[0].merged_id] == survivor
        found = [p.id for p in persons.search_persons(desk, f"Fusion{chr(97 + i)}")]
        # reachable, and once; earlier rounds' Fusiona… follow, one letter away
        assert found[0] == survivor and found.count(survivor) == 1
        assert (
            _count(
                database,
                sa.select(IdentityDocument.id).where(IdentityDocument.person_id == survivor),
            )
            == 2
        )
    cycles = sa.select(Person.id).where(
        Person.merged_into_id.in_(sa.select(Person.id).where(Person.merged_into_id.is_not(None)))
    )
    assert _count(database, cycles) == 0


def test_twenty_wrong_passwords_at_once_lock_the_account_as_one_after_another(
    database: Database, admin: WorkerOut, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cheap hash: the race is in the counter, not in argon2's cost (20 x 64 MiB at once).
    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    )
    guard = staff.create_worker(
        Context(database, admin.id),
        {"username": "pguard", "full_name": "Pablo Guardia", "programme_code": "OFMIG"},
    )
    for _round in range(3):
        auth.set_password(Context(database, admin.id), guard.id, "una clave larga y buena")
        results = at_once(
            *[lambda: auth.authenticate(Context(database), "pguard", "mala clave 123")] * 20
        )
        codes = Counter(r.code for r in results if isinstance(r, CaseworkError))
        assert sum(codes.values()) == 20, results
        # The sequential rule: four refusals, the fifth locks, fifteen find it locked.
        assert codes == {"bad_credentials": auth.MAX_FAILURES - 1, "account_locked": 16}
        with database.read() as s:
            row = s.get(Worker, guard.id)
            assert row is not None and row.locked_until is not None
            assert row.failed_sign_ins == 0
        with pytest.raises(CaseworkError) as locked:
            auth.authenticate(Context(database), "pguard", "una clave larga y buena")
        assert locked.value.code == "account_locked"
    failed = sa.select(AuditEvent.id).where(AuditEvent.action == "sign_in_failed")
    assert _count(database, failed) == 3 * 21  # the right password, locked out, too


def test_two_scans_at_once_queue_each_pair_once(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    desk = Context(database, worker.id)
    for i in range(6):
        persons.register_intake(
            desk,
            intake_data(
                person_data(
                    given_names=f"Gemela{i}",
                    first_surname="Quispe",
                    documents=[{"type": "passport", "number": f"QA{i}1"}],
                )
            ),
            allow_likely=True,
        )
        persons.register_intake(
            desk,
            intake_data(
                person_data(
                    given_names=f"GEMELA{i}",
                    first_surname="QUISPE",
                    second_surname=None,
                    documents=[{"type": "national_id", "number": f"9{i}8877"}],
                )
            ),
            allow_likely=True,
        )
    for _round in range(5):
        with database.write() as s:
            s.execute(sa.delete(MatchPair))
        reports = at_once(
            lambda: duplicate_queue.scan(Context(database, supervisor.id)),
            lambda: duplicate_queue.scan(Context(database, supervisor.id)),
        )
        for report in reports:
            assert isinstance(report, duplicate_queue.ScanReport), repr(report)
        queued = _count(database, sa.select(MatchPair.id))
        assert queued >= 6
        assert sorted(r.new_pairs for r in reports) == [0, queued]
        assert all(r.pairs_found == queued for r in reports)


def test_a_merge_leaves_no_chain_behind(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    """A merged into B, then B into C: A points at C, the live one."""
    desk = Context(database, worker.id)
    ids = [
        persons.register_intake(
            desk,
            intake_data(person_data(documents=[{"type": "passport", "number": f"CH{i}9"}])),
            allow_likely=True,
        ).person_id
        for i in range(3)
    ]
    sup = Context(database, supervisor.id)
    merge.merge(sup, ids[1], ids[0])
    merge.merge(sup, ids[2], ids[1])
    with database.read() as s:
        assert s.get(Person, ids[0]).merged_into_id == ids[2]  # type: ignore[union-attr]
    assert [p.id for p in persons.search_persons(desk, "Yesenia")] == [ids[2]]
    assert (
        _count(
            database,
            sa.select(IdentityDocument.id).where(IdentityDocument.person_id == ids[2]),
        )
        == 3
    )


def test_a_merge_hands_a_shared_number_to_the_survivor(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    """An imported copy of a RUN on record holds no claim; merged the other way round (the
    copy survives), the number's claim passes to it, and a new intake with it is refused."""
    desk = Context(database, worker.id)
    run = {"type": "run", "number": a_run(777)}
    first = persons.register_intake(desk, intake_data(person_data(documents=[run]))).person_id
    copy = persons.register_intake(
        desk,
        intake_data(person_data(documents=[run]), allow_duplicate_document=True),
        allow_likely=True,
    ).person_id
    claims = sa.select(IdentityDocument.person_id).where(IdentityDocument.live_key.is_not(None))
    with database.read() as s:
        assert list(s.scalars(claims)) == [first]
    merge.merge(Context(database, supervisor.id), copy, first)
    with database.read() as s:
        assert list(s.scalars(claims)) == [copy]
    with pytest.raises(Conflict) as err:
        persons.register_intake(desk, intake_data(person_data(given_names="Otra", documents=[run])))
    assert err.value.params["person_id"] == str(copy)


def test_unique_violation_is_told_apart_from_other_integrity_errors(database: Database) -> None:
    from casework.services import locking

    with pytest.raises(sa.exc.IntegrityError) as err, database.write() as s:
        s.execute(sa.insert(ImportRef).values(ref="X", person_id=uuid.uuid4()))
    assert not locking.violated(err.value, locking.IMPORT_REF_KEY)  # a foreign key, not the ref


BUSY_ES = (
    "La base de datos está ocupada por otra operación (¿una importación?); "
    "intente de nuevo en un momento. Nada se perdió."
)


def test_a_save_while_another_process_holds_the_file_says_the_database_is_busy(
    tmp_path: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cli_user: Callable[[Database, str], list[str]],
) -> None:
    import shutil
    import sqlite3

    from casework import cli
    from casework import db as casework_db
    from casework.errors import Busy
    from casework.widgets import error_text

    monkeypatch.setattr(casework_db, "BUSY_TIMEOUT_MS", 300)  # the desk waits 10 s
    path = tmp_path / "office.db"
    shutil.copy(sqlite_template, path)
    db = casework_db.open_database(str(path))
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    signed = cli_user(db, "admin")
    listed = tmp_path / "lista.csv"
    listed.write_text("nombres;primer_apellido\nAna;Rojas\n", encoding="utf-8")
    importer = sqlite3.connect(path, isolation_level=None)  # an import in another process
    importer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Busy) as err:
            persons.register_intake(Context(db, admin.id), intake_data())
        assert err.value.message() == BUSY_ES
        assert error_text(err.value) == BUSY_ES  # what the desk shows
        raw = sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
        assert error_text(raw) == BUSY_ES
        assert "Error inesperado" not in error_text(raw)
        command = ["--lang", "es", "import", "persons", str(listed), "--db", str(path)]
        code = cli.main([*command, *signed])
        assert code == 2
        assert capsys.readouterr().err.strip() == f"casework: {BUSY_ES}"
    finally:
        importer.rollback()
        importer.close()
    persons.register_intake(Context(db, admin.id), intake_data())  # nothing stuck after
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
    db.dispose()


@pytest.mark.postgres
def test_a_postgres_lock_timeout_gets_the_same_busy_message(pg_database: Database) -> None:
    from casework.db import busy_error

    with pg_database.engine.connect() as one, pg_database.engine.connect() as two:
        one.exec_driver_sql("LOCK TABLE worker IN EXCLUSIVE MODE")
        two.exec_driver_sql("SET lock_timeout = '100ms'")
        with pytest.raises(sa.exc.OperationalError) as err:
            two.exec_driver_sql("UPDATE worker SET failed_sign_ins = 0")
        busy = busy_error(err.value)
        assert busy is not None and busy.message() == BUSY_ES
        one.rollback()


def test_a_merge_of_two_records_listing_each_other_as_household(
    database: Database, worker: WorkerOut, supervisor: WorkerOut
) -> None:
    """The same person entered twice, once as the other's household member: the merge
    folds the line away instead of failing on "a person is not their own relative"."""
    desk = Context(database, worker.id)
    first = persons.register_intake(desk, intake_data()).person_id
    line = {"relationship": "sibling", "name": "Yesenia", "related_person_id": str(first)}
    second = persons.register_intake(
        desk,
        intake_data(
            person_data(documents=[{"type": "national_id", "number": "77665544"}], household=[line])
        ),
        allow_likely=True,
    ).person_id
    merge.merge(Context(database, supervisor.id), first, second)
    with database.read() as s:
        assert s.get(Person, second).merged_into_id == first  # type: ignore[union-attr]
