"""Reliability: nothing committed is lost when a desk dies mid-write, two desks sharing one
SQLite file lose nothing, and no input typed into the intake form can crash the service or
leave half a record behind."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from casework.db import Database, open_database, sqlite_url
from casework.errors import CaseworkError, InvalidInput
from casework.i18n import t
from casework.models import AuditEvent, Case, Contact, IdentityDocument, Person
from casework.services import persons, staff
from casework.services.context import Context

from .factories import intake_data, person_data

# The children are forked: they start in milliseconds (no second interpreter to import
# casework into), so the kill test spends its time writing, not starting up.
FORK = multiprocessing.get_context("fork")


@pytest.fixture
def shared_file(tmp_path: Path, sqlite_template: Path) -> tuple[Path, uuid.UUID]:
    """A migrated SQLite file with one desk worker, closed again: children open their own."""
    path = tmp_path / "shared.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    admin = staff.first_run(
        Context(db),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )
    desk = staff.create_worker(
        Context(db, admin.id),
        {"username": "desk", "full_name": "Daniela Fuentes", "programme_code": "OFMIG"},
    )
    db.dispose()
    return path, desk.id


def _intake(tag: str, i: int) -> dict[str, Any]:
    person = person_data(
        given_names=f"Persona {tag} {i}",
        documents=[{"type": "passport", "number": f"T{tag}X{i:06d}"}],
    )
    return intake_data(person)


def _register_forever(path: str, worker_id: str, tag: str, fd: int, limit: int) -> None:
    """The child: registers intakes one after another and reports each one committed."""
    out = os.fdopen(fd, "w", buffering=1)
    db = Database(sqlite_url(Path(path)))
    ctx = Context(db, uuid.UUID(worker_id))
    for i in range(limit):
        result = persons.register_intake(ctx, _intake(tag, i), allow_likely=True)
        out.write(f"{result.person_id}\n")
        out.flush()
    out.write("done\n")
    out.flush()
    db.dispose()


def _start(path: Path, worker_id: uuid.UUID, tag: str, limit: int) -> tuple[Any, int]:
    read_fd, write_fd = os.pipe()
    child = FORK.Process(
        target=_register_forever, args=(str(path), str(worker_id), tag, write_fd, limit)
    )
    child.start()
    os.close(write_fd)
    return child, read_fd


def _reported(read_fd: int) -> tuple[set[uuid.UUID], bool]:
    """Every id the child wrote before it died (the last line may be cut short)."""
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    text = b"".join(chunks).decode()
    lines = text.split("\n")
    if not text.endswith("\n"):
        lines = lines[:-1]  # killed while writing this line: not reported as committed
    ids = {uuid.UUID(line) for line in lines if line and line != "done"}
    return ids, "done" in lines


def _check_file(path: Path) -> set[uuid.UUID]:
    """PRAGMA integrity_check on the file as a crashed desk left it, then the persons."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = conn.execute("SELECT id FROM person").fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM person p WHERE NOT EXISTS "
            "(SELECT 1 FROM contact c WHERE c.person_id = p.id)"
        ).fetchone()
    finally:
        conn.close()
    assert orphans == (0,), "a person without their intake contact: half an intake was kept"
    return {uuid.UUID(hex=r[0]) if isinstance(r[0], str) else uuid.UUID(bytes=r[0]) for r in rows}


@pytest.mark.slow
def test_a_desk_killed_mid_write_loses_nothing_it_reported_saved(
    shared_file: tuple[Path, uuid.UUID],
) -> None:
    path, worker_id = shared_file
    rng = random.Random(20261123)
    committed: set[uuid.UUID] = set()
    for round_ in range(8):
        child, read_fd = _start(path, worker_id, f"K{round_}", limit=100_000)
        time.sleep(rng.uniform(0.2, 1.5))
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(5)
        assert child.exitcode == -signal.SIGKILL
        ids, finished = _reported(read_fd)
        assert not finished
        committed |= ids
        on_file = _check_file(path)
        missing = committed - on_file
        assert not missing, f"round {round_}: {len(missing)} reported intakes are gone"
    assert len(committed) >= 8, "the children hardly wrote anything: the test tested nothing"
    db = open_database(str(path))
    try:
        # The service still works on the file every crash left behind.
        with db.read() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(Person)) >= len(committed)
    finally:
        db.dispose()


def test_two_desks_writing_at_once_lose_nothing(shared_file: tuple[Path, uuid.UUID]) -> None:
    path, worker_id = shared_file
    per_desk = 30
    desks = [_start(path, worker_id, tag, limit=per_desk) for tag in ("A", "B")]
    reported: list[set[uuid.UUID]] = []
    for child, read_fd in desks:
        ids, finished = _reported(read_fd)
        child.join(30)
        assert child.exitcode == 0 and finished, "a desk failed while the other was writing"
        reported.append(ids)
    assert [len(r) for r in reported] == [per_desk, per_desk]
    assert _check_file(path) == reported[0] | reported[1]


# Fuzzing the intake form ------------------------------------------------------------------

TABLES = (Person, Contact, Case, IdentityDocument, AuditEvent)


def _counts(db: Database) -> dict[str, int]:
    with db.read() as s:
        return {
            m.__tablename__: int(s.scalar(sa.select(sa.func.count()).select_from(m)) or 0)
            for m in TABLES
        }


def _translated(code: str) -> bool:
    key = f"error.{code}"
    return all(t(key, lang=lang) not in ("", key) for lang in ("es", "en"))


text = st.text(max_size=60)
maybe_text = st.none() | text | st.sampled_from(["", "   ", "\t", "Ñuñoa", "O'Higgins"])
dates = st.none() | st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
phones = (
    st.none()
    | st.from_regex(r"\+?[0-9 ()-]{0,20}", fullmatch=True)
    | st.sampled_from(["987654321", "+56 9 8765 4321", "+58 412 1234567", "22"])
    | text
)
countries = st.none() | st.sampled_from(["VEN", "ve", "Perú", "HTI", "XXX", "", "chl"]) | text
doc_types = st.sampled_from(["passport", "run", "national_id", "ipe", "dni", ""]) | text
doc_numbers = (
    st.sampled_from(["12.345.678-5", "12345678-9", "VE1234567", "", "AB"])
    | st.from_regex(r"[A-Z0-9.-]{3,12}", fullmatch=True)
    | text
)
documents = st.lists(
    st.fixed_dictionaries(
        {"type": doc_types, "number": doc_numbers}, optional={"issuing_country": countries}
    ),
    max_size=2,
)
# Each example starts from a valid form and replaces some fields with anything at all, so
# that both saved and refused intakes come up (a wholly random form is nearly always
# refused on its first field).
overrides = st.fixed_dictionaries(
    {},
    optional={
        "given_names": text,
        "first_surname": text,
        "second_surname": maybe_text,
        "birth_date": dates,
        "nationality": countries,
        "phone": phones,
        "documents": documents,
        "commune": maybe_text,
        "arrival_date": dates,
        "sex": st.sampled_from(["F", "M", "X", "female", ""]),
        "email": maybe_text,
        "gender_identity": maybe_text,
        "schooling": maybe_text,
        "address": maybe_text,
    },
)
statuses = st.none() | st.fixed_dictionaries(
    {"status": st.sampled_from(["no_permit", "temporary", "refugee", "nope", ""])},
    optional={"valid_until": dates, "entry_date": dates, "subcategory": maybe_text},
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=overrides, status=statuses, note=maybe_text, serial=st.integers(0, 10**9))
def test_any_intake_form_either_saves_or_says_why_in_both_languages(
    database: Database,
    ctx: Context,
    changes: dict[str, Any],
    status: Any,
    note: Any,
    serial: int,
) -> None:
    form = person_data(documents=[{"type": "passport", "number": f"FZ{serial}"}])
    form.update(changes)
    data: dict[str, Any] = {"person": form, "contact": {"note": note}}
    if status is not None:
        data["status"] = status
    before = _counts(database)
    failure: CaseworkError | None = None
    try:
        result = persons.register_intake(ctx, data)
    except CaseworkError as exc:
        failure = exc
    event("refused" if failure is not None else "saved")
    if failure is not None:
        codes = (
            [e.code for e in failure.errors]
            if isinstance(failure, InvalidInput)
            else [failure.code]
        )
        untranslated = [c for c in codes if not _translated(c)]
        assert not untranslated, f"no message in both languages for {untranslated}"
        assert failure.message("es") and failure.message("en")
        assert _counts(database) == before, "a refused intake left rows behind"
        return
    with database.read() as s:
        assert s.get(Person, result.person_id) is not None
        assert s.get(Contact, result.contact_id) is not None
    after = _counts(database)
    assert after["person"] == before["person"] + 1
    assert after["contact"] == before["contact"] + 1


GAPS = {
    "gender_identity": {"gender_identity": "x" * 25},
    "schooling": {"schooling": "y" * 45},
    "document_number": {"documents": [{"type": "passport", "number": "Z" * 45}]},
    "nul": {"given_names": "Ana\x00María"},
}


def test_text_longer_than_its_column_or_with_a_nul_gets_a_message(
    database: Database, ctx: Context
) -> None:
    """PostgreSQL would refuse these with a raw DataError: the form refuses them first."""
    before = _counts(database)
    for name, change in GAPS.items():
        with pytest.raises(CaseworkError) as err:
            persons.register_intake(ctx, intake_data(person_data(**change)))
        assert _translated(
            err.value.errors[0].code if hasattr(err.value, "errors") else err.value.code
        ), name
    assert _counts(database) == before
