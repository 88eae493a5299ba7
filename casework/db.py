"""The database: URL resolution, engine and sessions, SQLite pragmas, migrations, backups.

Nothing here runs at import time; the CLI and the tests build a :class:`Database` through
:func:`open_database`.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from casework import paths

ENV_URL = "CASEWORK_DATABASE_URL"
BUSY_TIMEOUT_MS = 10_000
BACKUPS_KEPT = 10


class DatabaseError(Exception):
    """A database problem a user can act on (bad path, unreachable server, ...)."""


def resolve_url(db: str | None = None) -> str:
    """``--db`` (a path or a URL) wins, then ``CASEWORK_DATABASE_URL``, then the default file."""
    if db:
        if "://" in db:
            return db
        return sqlite_url(Path(db))
    env = os.environ.get(ENV_URL)
    if env:
        return env
    return sqlite_url(paths.default_db_path())


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.expanduser().resolve()}"


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin): pysqlite's own handling
    # would start transactions late and break IMMEDIATE writes.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def _sqlite_on_begin(conn: sa.Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


@dataclass(frozen=True)
class UpgradeReport:
    before: str | None
    after: str | None
    backup: Path | None


class Database:
    """One database: an engine, session factories and the migration entry point."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = sa.make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            path = self.file_path
            if path is not None:
                if path.exists() and path.is_dir():
                    raise DatabaseError(f"{path} is a folder, not a database file")
                path.parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = sa.create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self._write = sessionmaker(write_engine, expire_on_commit=False)

    @property
    def file_path(self) -> Path | None:
        if not self.is_sqlite or not self.url.database or self.url.database == ":memory:":
            return None
        return Path(self.url.database)

    def describe(self) -> str:
        """The location without any password, for messages and the status bar."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction for one user action: committed on success, rolled back on error."""
        with self._write.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    # Migrations -------------------------------------------------------------------------

    def alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", "casework:migrations")
        cfg.set_main_option("sqlalchemy.url", self.url.render_as_string(hide_password=False))
        return cfg

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def needs_upgrade(self) -> bool:
        return self.current_revision() != self.head_revision()

    def upgrade(self, *, backup: bool = True) -> UpgradeReport:
        """Bring the schema to the newest revision, copying an existing SQLite file first."""
        try:
            before = self.current_revision()
            head = self.head_revision()
        except sa.exc.OperationalError as exc:
            raise DatabaseError(f"cannot open the database {self.describe()}: {exc.orig}") from exc
        if before == head:
            return UpgradeReport(before, head, None)
        copy = None
        if backup and before is not None:
            copy = self.backup_file(reason=f"pre-{head}")
        cfg = self.alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return UpgradeReport(before, self.current_revision(), copy)

    def backup_file(self, reason: str = "manual", dest: Path | None = None) -> Path | None:
        """A consistent copy of the SQLite file (online backup API), keeping the newest few."""
        src = self.file_path
        if src is None or not src.exists():
            return None
        if dest is None:
            folder = paths.backup_dir(src)
            folder.mkdir(parents=True, exist_ok=True)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            dest = folder / f"{src.stem}-{stamp}-{reason}.db"
        with sqlite3.connect(src) as source, sqlite3.connect(dest) as target:
            source.backup(target)
        source.close()
        target.close()
        _prune_backups(dest.parent, src.stem)
        return dest


def _prune_backups(folder: Path, stem: str) -> None:
    copies = sorted(folder.glob(f"{stem}-*.db"))
    for old in copies[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)


def open_database(db: str | None = None, *, upgrade: bool = True, echo: bool = False) -> Database:
    """The one factory the CLI, the app and the tests use."""
    database = Database(resolve_url(db), echo=echo)
    if upgrade:
        database.upgrade()
    return database
