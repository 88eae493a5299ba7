"""Shared fixtures: isolated user folders, and one fresh database per test on SQLite and
on PostgreSQL (the server at 127.0.0.1:5432; its tests skip locally when it is down, and
fail in CI, where it must be there)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from casework import clock, instance, logs
from casework.db import Database, open_database
from casework.i18n import set_language
from casework.models import Base
from casework.services import auth, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

PG_ADMIN_URL = os.environ.get(
    "CASEWORK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def isolated_user_dirs(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Nothing a test does touches the real user data, state or log dir or a real database
    URL. The log dir is outside ``tmp_path`` (tests count what a command left there); the
    log handler a command installed is removed after the test."""
    data = tmp_path / "userdata"
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(data))
    monkeypatch.setenv("CASEWORK_STATE_DIR", str(tmp_path / "userstate"))
    log_dir = tmp_path_factory.getbasetemp() / "userlog" / tmp_path.name
    monkeypatch.setenv("CASEWORK_LOG_DIR", str(log_dir))
    monkeypatch.delenv("CASEWORK_USER", raising=False)
    monkeypatch.delenv("CASEWORK_DATABASE_URL", raising=False)
    set_language("es")
    yield data
    logs.reset()


@pytest.fixture(autouse=True)
def no_background_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Desks do not start the duplicate scan by themselves in tests (it would run under
    every test that signs in on a database with persons); tests/test_followthrough.py
    turns it back on where that scan is what is tested."""
    from casework.screens import background

    monkeypatch.setattr(background, "AUTOMATIC", False)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """argon2 at a trivial cost in the test process, session fixtures included (the tests
    check behaviour, not the cost of a guess). Production keeps the library's defaults
    and has no switch to weaken them; commands run in a subprocess hash at the real cost.
    A test that patches ``auth._hasher`` itself gets this one back afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=512, parallelism=1))
        patch.setattr(auth, "_dummy_hash", {})
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for every test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = open_database(str(path))
    db.dispose()
    return path


def _pg_admin() -> sa.Engine | None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            return engine
    except sa.exc.OperationalError:
        engine.dispose()
        return None


class PgServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self, admin: sa.Engine) -> None:
        self.admin = admin
        self.created: list[str] = []

    def create(self) -> str:
        name = f"casework_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = sa.make_url(url).database
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    admin = _pg_admin()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL is not reachable")
    server = PgServer(admin)
    yield server
    for name in list(server.created):
        server.drop(admin.url.set(database=name).render_as_string(hide_password=False))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_database(pg_server: PgServer) -> Iterator[Database]:
    """One migrated PostgreSQL database for the session, emptied after every test."""
    url = pg_server.create()
    db = open_database(url)
    yield db
    db.dispose()
    pg_server.drop(url)


def _truncate(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Database]:
    """A fresh, migrated database: a SQLite file, or the emptied PostgreSQL test database."""
    if request.param == "sqlite":
        path = tmp_path / "casework.db"
        shutil.copy(sqlite_template, path)
        db = open_database(str(path))
        _stamp(db)
        yield db
        db.dispose()
    else:
        db = request.getfixturevalue("pg_database")
        _truncate(db)
        _stamp(db)
        yield db
        _truncate(db)


def _stamp(db: Database) -> None:
    """A fresh test database is a whole office, not a copy of one: its (empty) release
    ledger is complete (the template's copy is another file, hence another instance)."""
    with db.engine.begin() as conn:
        instance.stamp(conn)


DESK_NOW = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)
"""Monday 23-11-2026, 10:00 in Santiago: the clock of the tests driven at the desk."""


@pytest.fixture
def frozen_clock() -> Iterator[dt.datetime]:
    clock.freeze(DESK_NOW)
    yield DESK_NOW
    clock.freeze(None)


@pytest.fixture
def desk_database(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """A fresh SQLite file for tests that drive the desk: the screens run on SQLite, the
    services under them run on both backends in their own tests."""
    path = tmp_path / "desk.db"
    shutil.copy(sqlite_template, path)
    db = open_database(str(path))
    _stamp(db)
    yield db
    db.dispose()


CLI_PASSWORD = "frase larga de prueba"
"""The password the command-line tests sign in with (synthetic)."""


@pytest.fixture
def password_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write a password to an owner-only file (``chmod 600``), as a script keeps it."""
    count = iter(range(1_000_000))

    def write(password: str = CLI_PASSWORD) -> Path:
        path = tmp_path / f"password-{next(count)}.txt"
        path.write_text(password + "\n", encoding="utf-8")
        path.chmod(0o600)
        return path

    return write


@pytest.fixture
def cli_user(password_file: Callable[[str], Path]) -> Callable[[Database, str], list[str]]:
    """``--user NAME --password-file FILE`` for a worker of ``db``, whose own password (not a
    temporary one) becomes :data:`CLI_PASSWORD`: how a test signs in on the command line."""

    def args(db: Database, username: str) -> list[str]:
        from casework.models import Worker
        from casework.services.auth import hash_password

        with db.write() as session:
            row = session.scalar(sa.select(Worker).where(Worker.username == username))
            assert row is not None, username
            row.password_hash = hash_password(CLI_PASSWORD)
            row.password_temporary = False
        return ["--user", username, "--password-file", str(password_file(CLI_PASSWORD))]

    return args


@pytest.fixture
def admin(database: Database) -> WorkerOut:
    return staff.first_run(
        Context(database),
        {"code": "OFMIG", "name": "Oficina de Migrantes"},
        {"username": "admin", "full_name": "Ana Admin"},
    )


@pytest.fixture
def worker(database: Database, admin: WorkerOut) -> WorkerOut:
    return staff.create_worker(
        Context(database, admin.id),
        {"username": "dfuentes", "full_name": "Daniela Fuentes", "programme_code": "OFMIG"},
    )


@pytest.fixture
def supervisor(database: Database, admin: WorkerOut) -> WorkerOut:
    return staff.create_worker(
        Context(database, admin.id),
        {
            "username": "creyes",
            "full_name": "Carolina Reyes",
            "role": "supervisor",
            "programme_code": "OFMIG",
        },
    )


@pytest.fixture
def ctx(database: Database, worker: WorkerOut) -> Context:
    """The service context of an ordinary desk worker."""
    return Context(database, worker.id)
