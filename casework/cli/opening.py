"""The database a command works on: ``--db`` checked, opened, migrated."""

from __future__ import annotations

import argparse
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from casework import paths
from casework.db import (
    ENV_URL,
    Database,
    file_kind,
    open_database,
    read_passphrase_file,
    resolve_url,
)
from casework.errors import CaseworkError
from casework.private_files import private_dir


def passphrase_arg(args: argparse.Namespace) -> str | None:
    path = getattr(args, "passphrase_file", None)
    return read_passphrase_file(path) if path else None


def check_db_arg(db: str | None, *, create: bool = False) -> None:
    """Refuse a ``--db`` (or ``CASEWORK_DATABASE_URL``) a command should not open.

    Refused: an address that is no database URL, a SQLite path whose folder does not
    exist, a folder, an empty file, a file that is neither SQLite nor SQLCipher, and a
    plain SQLite file without casework's schema (opening it would change it). A missing
    file is refused unless ``create`` (``casework init``, ``casework demo``, the desk's
    first run on the default path). Nothing is created or written here.
    """
    text = resolve_url(db)
    shown = db or text
    try:
        url = sa.make_url(text)
        dialect = url.get_dialect()
        dialect.import_dbapi()
    except sa.exc.ArgumentError:
        raise CaseworkError("db_url_invalid", url=shown) from None
    except (sa.exc.NoSuchModuleError, ImportError):
        raise CaseworkError("db_url_unknown", url=shown) from None
    if url.get_backend_name() != "sqlite":
        return
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise CaseworkError("db_url_invalid", url=shown)
    path = Path(url.database).expanduser()
    kind = file_kind(path)
    if kind == "folder":
        raise CaseworkError("db_is_folder", path=str(path))
    if create and path.parent.resolve() == paths.data_dir().resolve():
        private_dir(path.parent, own=True)  # casework's own folder, first run
    if not path.parent.is_dir():
        raise CaseworkError("db_folder_missing", folder=str(path.parent))
    if kind == "missing":
        if not create:
            raise CaseworkError("db_missing", path=str(path))
    elif kind == "empty":
        raise CaseworkError("db_empty", path=str(path))
    elif kind == "foreign":
        raise CaseworkError("db_foreign", path=str(path))
    elif kind == "sqlite" and not _has_casework_schema(path):
        raise CaseworkError("db_not_casework", path=str(path))


def _has_casework_schema(path: Path) -> bool:
    """A plain SQLite file with casework's ``alembic_version`` table, read without
    changing it (read-only; a file that cannot be read counts as not casework)."""
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return row is not None


def open_cli_database(
    db: str | None,
    *,
    create: bool = False,
    upgrade: bool = True,
    passphrase: str | None = None,
) -> Database:
    """The database a command works on: ``--db`` checked (:func:`check_db_arg`), opened,
    refused if it holds no casework schema (unless ``create``), then migrated."""
    check_db_arg(db, create=create)
    database = open_database(db, passphrase=passphrase, upgrade=False)
    try:
        if not create and database.current_revision() is None:
            raise CaseworkError("db_not_casework", path=database.describe())
        if upgrade:
            database.upgrade()
    except BaseException:
        database.dispose()
        raise
    return database


def default_location(db: str | None) -> bool:
    """No ``--db`` and no ``CASEWORK_DATABASE_URL``: the desk's own file in the data dir."""
    return not db and not os.environ.get(ENV_URL)


def demo_db_arg(db: str | None) -> str:
    return db or str(paths.data_dir() / "demo.db")
