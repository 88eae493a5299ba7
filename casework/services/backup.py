"""Backups, restore and encryption of the SQLite file.

A backup is a consistent copy taken with SQLite's online backup API while desks keep
working; an encrypted database gives encrypted copies. Restoring checks the copy first
and backs up the database it replaces.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

from casework import paths
from casework.db import (
    Database,
    EncryptionError,
    is_encrypted_file,
    raw_connect,
)
from casework.errors import CaseworkError, Conflict
from casework.models import AuditEvent

_SIDE_FILES = ("-wal", "-shm", "-journal")


def _file(db: Database) -> Path:
    path = db.file_path
    if path is None:
        raise CaseworkError("not_sqlite")
    return path


def _audit_raw(conn: Any, action: str, **details: Any) -> None:
    """Audit a file-level operation through a raw connection (no ORM session here)."""
    import json

    from casework.ids import uuid7
    from casework.models.base import utcnow

    conn.execute(
        f"INSERT INTO {AuditEvent.__tablename__} "
        "(id, at, worker_id, action, entity, entity_id, person_id, details) "
        "VALUES (?, ?, NULL, ?, 'database', NULL, NULL, ?)",
        (
            uuid7().hex,
            utcnow().replace(tzinfo=None).isoformat(sep=" "),
            action,
            json.dumps(details),
        ),
    )


def backup(db: Database, out: Path | None = None) -> Path:
    """A consistent copy of the database, to ``out`` or to the backups folder."""
    src = _file(db)
    if out is not None and out.exists() and out.is_dir():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = out / f"{src.stem}-{stamp}.db"
    copy = db.backup_file(reason="manual", dest=out)
    assert copy is not None
    return copy


@dataclass(frozen=True)
class BackupCheck:
    revision: str | None
    persons: int
    encrypted: bool


def check_backup(db: Database, path: Path) -> BackupCheck:
    """Open a backup file with this database's key and check it is a whole casework file."""
    if not path.is_file():
        raise CaseworkError("backup_missing", path=str(path))
    encrypted = is_encrypted_file(path)
    if encrypted and not db.encrypted:
        raise CaseworkError("backup_invalid", path=str(path), reason="encrypted")
    try:
        conn = raw_connect(path, db._passphrase if encrypted else None)
    except Exception as exc:  # pragma: no cover - sqlite refuses to open at all
        raise CaseworkError("backup_invalid", path=str(path), reason=str(exc)) from None
    try:
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            persons = conn.execute("SELECT count(*) FROM person").fetchone()[0]
        except Exception as exc:
            reason = "wrong key" if encrypted else str(exc)
            raise CaseworkError("backup_invalid", path=str(path), reason=reason) from None
    finally:
        conn.close()
    if ok != "ok":
        raise CaseworkError("backup_invalid", path=str(path), reason=ok)
    rev = revision[0] if revision else None
    known = {s.revision for s in ScriptDirectory.from_config(db.alembic_config()).walk_revisions()}
    if rev not in known:
        raise CaseworkError("backup_invalid", path=str(path), reason=f"revision {rev}")
    return BackupCheck(rev, int(persons), encrypted)


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    previous: Path
    persons: int


def restore(db: Database, source: Path) -> RestoreReport:
    """Replace the database with a checked backup; the current one is backed up first.

    Other desks must be closed: their open connections would keep the old pages.
    """
    check = check_backup(db, source)
    dest = _file(db)
    previous = db.backup_file(reason="pre-restore")
    assert previous is not None
    db.dispose()
    src_conn = raw_connect(source, db._passphrase if check.encrypted else None)
    dst_conn = db.raw_connect(dest)
    try:
        # A plain backup restored into an encrypted database is encrypted by the copy.
        src_conn.backup(dst_conn)
        _audit_raw(dst_conn, "restore", revision=check.revision)
        dst_conn.commit()
    finally:
        src_conn.close()
        dst_conn.close()
    db.upgrade(backup=False)
    return RestoreReport(source, previous, check.persons)


@dataclass(frozen=True)
class EncryptReport:
    path: Path
    backups: int


def encrypt(db: Database, passphrase: str) -> EncryptReport:
    """Convert a plain SQLite file (and its backups) to SQLCipher under ``passphrase``.

    The plain file is replaced only after the encrypted copy opened and held the same rows.
    """
    path = _file(db)
    if db.encrypted or is_encrypted_file(path):
        raise Conflict("already_encrypted")
    db.dispose()
    _encrypt_file(path, passphrase)
    done = 0
    folder = paths.backup_dir(path)
    for copy in sorted(folder.glob(f"{path.stem}-*.db")) if folder.is_dir() else []:
        if not is_encrypted_file(copy):
            _encrypt_file(copy, passphrase)
            done += 1
    return EncryptReport(path, done)


def _encrypt_file(path: Path, passphrase: str) -> None:
    import sqlcipher3.dbapi2 as sqlcipher

    tmp = path.with_name(path.name + ".encrypting")
    tmp.unlink(missing_ok=True)
    plain = sqlcipher.connect(str(path))
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = _counts(plain)
        version = plain.execute("PRAGMA user_version").fetchone()[0]
        plain.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(tmp), passphrase))
        plain.execute("SELECT sqlcipher_export('encrypted')")
        plain.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        plain.execute("DETACH DATABASE encrypted")
    finally:
        plain.close()
    check = raw_connect(tmp, passphrase)
    try:
        if _counts(check) != counts:
            raise EncryptionError("wrong_passphrase")
        check.execute("PRAGMA journal_mode = WAL")
    finally:
        check.close()
    os.replace(tmp, path)
    for suffix in _SIDE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _counts(conn: Any) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
