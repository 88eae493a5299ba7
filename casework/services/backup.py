"""Backups, restore and encryption of the SQLite file.

A backup is a consistent copy taken with SQLite's online backup API while desks keep
working; an encrypted database gives encrypted copies. Restoring checks the copy first
and backs up the database it replaces.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casework import instance, paths
from casework.db import (
    BUSY_TIMEOUT_MS,
    Database,
    EncryptionError,
    ask_passphrase,
    file_kind,
    fsync_file,
    fsync_folder,
    is_encrypted_file,
    raw_connect,
    remove_side_files,
    script_directory,
    sqlite_url,
)
from casework.errors import CaseworkError, Conflict
from casework.ids import uuid7
from casework.models import AuditEvent
from casework.models.base import utcnow
from casework.private_files import copy_private, create_empty
from casework.services.context import Context, audit

COMMAND_LINE = "command_line"
"""The ``via`` detail of a security act no signed-in worker did (``casework init --encrypt``
before anyone exists, ``casework restore``)."""


RESTORED_INSTANCE = "restored"
"""The Panel instance of a restored database: no physical database has it."""


def _file(db: Database) -> Path:
    path = db.file_path
    if path is None:
        raise CaseworkError("not_sqlite")
    return path


def _audit_raw(conn: Any, action: str, actor: uuid.UUID | None = None, **details: Any) -> None:
    """Audit a file-level operation through a raw connection (no ORM session here). An act
    without a signed-in worker says it came from the command line."""
    if actor is None:
        details["via"] = COMMAND_LINE
    conn.execute(
        f"INSERT INTO {AuditEvent.__tablename__} "
        "(id, at, worker_id, action, entity, entity_id, person_id, details) "
        "VALUES (?, ?, ?, ?, 'database', NULL, NULL, ?)",
        (
            uuid7().hex,
            utcnow().replace(tzinfo=None).isoformat(sep=" "),
            actor.hex if actor is not None else None,
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
    if out is not None and out.exists():
        raise Conflict("backup_out_exists", path=str(out))
    failures: tuple[type[Exception], ...] = (OSError, *_db_errors())
    try:
        copy = db.backup_file(reason="manual", dest=out)
    except failures as exc:
        where = out if out is not None else paths.backup_dir(src)
        raise CaseworkError("backup_unwritable", path=str(where), reason=_reason(exc)) from None
    if copy is None:
        raise CaseworkError("backup_missing", path=str(src))
    return copy


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _db_errors() -> tuple[type[Exception], ...]:
    """The errors of both SQLite drivers (plain ``sqlite3`` and ``sqlcipher3``)."""
    import sqlcipher3.dbapi2 as sqlcipher

    cipher_error: type[Exception] = sqlcipher.Error
    return (sqlite3.Error, cipher_error)


@dataclass(frozen=True)
class BackupCheck:
    revision: str
    counts: dict[str, int]
    encrypted: bool


def _source_key(source: Path, office_key: str | None, passphrase: str | None) -> str | None:
    """The key to open ``source`` with, from what it looks like (see ``db.file_kind``)."""
    kind = file_kind(source)
    if kind in ("missing", "folder"):
        raise CaseworkError("backup_missing", path=str(source))
    if kind == "empty":
        raise CaseworkError("backup_empty", path=str(source))
    if kind == "foreign":
        raise CaseworkError("backup_foreign", path=str(source))
    if kind == "sqlite":
        return None
    return office_key or passphrase or ask_passphrase(source)


def _private_copy(source: Path, tmp: Path) -> None:
    """The backup's bytes (and a ``-wal`` beside it, if someone left one) copied to
    ``tmp``: the backup itself is only read, never opened by SQLite, never changed."""
    _remove(tmp)
    copy_private(source, tmp)
    wal = source.with_name(source.name + "-wal")
    if wal.is_file():
        copy_private(wal, tmp.with_name(tmp.name + "-wal"))


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    remove_side_files(path)


def _check_copy(copy: Path, key: str | None, shown: Path) -> BackupCheck:
    """Every check a restore makes, on a private copy (a WAL left beside the backup is
    folded in here). ``shown`` is the backup's name for the messages."""
    try:
        conn = raw_connect(copy, key)
    except _db_errors() as exc:
        raise CaseworkError("backup_damaged", path=str(shown), reason=str(exc)) from None
    try:
        return _check_open(conn, key, shown)
    finally:
        conn.close()


def _check_open(conn: Any, key: str | None, shown: Path) -> BackupCheck:
    """The checks of :func:`_check_copy` on an open connection.

    The rule for an encrypted file: if the key decrypts the first page (the schema can be
    read), the key is right, and any later failure (a page whose HMAC does not verify,
    ``integrity_check``) means the file is damaged. If the first page does not decrypt,
    the key is wrong, or the file is not an SQLCipher database at all: SQLCipher cannot
    tell those apart, and neither do we.
    """
    errors = _db_errors()
    path = str(shown)

    def damaged(reason: str) -> CaseworkError:
        return CaseworkError("backup_damaged", path=path, reason=reason)

    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except errors as exc:
        if key is not None:
            raise CaseworkError("backup_wrong_key", path=path) from None
        raise damaged(str(exc)) from None
    try:
        if key is not None:
            bad_pages = conn.execute("PRAGMA cipher_integrity_check").fetchall()
            if bad_pages:
                raise damaged(str(bad_pages[0][0]))
        result = conn.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            raise damaged(str(result[0][0]))
        tables = _tables(conn)
        if "alembic_version" not in tables:
            raise CaseworkError("backup_not_casework", path=path)
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        known = {s.revision for s in script_directory().walk_revisions()}
        if row is None or row[0] not in known:
            raise CaseworkError(
                "backup_unknown_revision", path=path, revision=row[0] if row else "-"
            )
        _check_text(conn, tables, damaged)
        counts = _counts(conn, tables)
    except errors as exc:
        raise damaged(str(exc)) from None
    return BackupCheck(str(row[0]), counts, key is not None)


def _tables(conn: Any) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]


def _check_text(conn: Any, tables: list[str], damaged: Any) -> None:
    """Every text value in every table decodes as UTF-8 (a flipped byte in a stored name
    passes integrity_check, then breaks every search that reads it)."""
    columns_of = {t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    conn.text_factory = bytes
    try:
        for table, columns in columns_of.items():
            if not columns:
                continue
            select = ", ".join(f'typeof("{c}"), "{c}"' for c in columns)
            for n, row in enumerate(conn.execute(f'SELECT {select} FROM "{table}"'), 1):
                for i, column in enumerate(columns):
                    if row[2 * i] == b"text":
                        try:
                            row[2 * i + 1].decode("utf-8")
                        except UnicodeDecodeError:
                            raise damaged(f"{table}.{column}, fila {n}: texto ilegible") from None
    finally:
        conn.text_factory = str


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    target: Path
    previous: Path | None
    revision: str | None
    counts: dict[str, int]
    encrypted: bool

    @property
    def persons(self) -> int:
        return self.counts.get("person", 0)


RestoreStep = Callable[[str], None]


def restore(
    target: Path,
    source: Path,
    *,
    current: Database | None = None,
    passphrase: str | None = None,
    step: RestoreStep | None = None,
    actor: uuid.UUID | Callable[[], uuid.UUID | None] | None = None,
) -> RestoreReport:
    """Replace the database at ``target`` (``current``, open; or no file yet) with a
    checked copy of the backup ``source``.

    1. The backup's bytes are copied to ``<target>.restoring`` beside the live file (same
       folder, same file system); the backup itself is only read, and never pruned.
    2. That copy is checked fully (key, cipher HMACs, integrity_check, a known schema
       revision, every text value decodes, row counts), encrypted under the office's key
       if the office is encrypted and the backup is not, brought to the newest schema,
       given a ``restore`` audit event, checked again, and flushed to disk.
    3. Only then is the current database copied to ``backups/…-pre-restore.db``,
       checkpointed and closed (its ``-wal`` folded in, so no stale WAL is left for the new
       file), and the checked copy renamed over it with one atomic ``os.replace``.

    A kill at any moment leaves the old database or the new one, whole. An encrypted
    backup stays encrypted; a plain one restored onto an encrypted office is encrypted.
    Other desks must be closed: a desk still open is refused (its WAL would remain).
    Every file made on the way is the owner's only (``0600``); the ``restore`` event
    names ``actor``, else says it came from the command line. A callable ``actor`` (the
    command line's sign-in) is asked once the backup passed its checks, so a damaged backup
    is refused before anyone signs in, and a failed sign-in replaces nothing.
    """
    mark = step or (lambda _name: None)
    office_key = current._passphrase if current is not None else None
    key = _source_key(source, office_key, passphrase)
    result_key = office_key or key
    tmp = target.with_name(target.name + ".restoring")
    try:
        _private_copy(source, tmp)
        mark("copied")
        check = _check_copy(tmp, key, source)
        mark("checked")
        who = actor() if callable(actor) else actor
        if result_key is not None and key is None:
            _encrypt_file(tmp, result_key)
        if check.revision != script_directory().get_current_head():
            restored = Database(sqlite_url(tmp), passphrase=result_key)
            try:
                restored.upgrade(backup=False)
            finally:
                restored.dispose()
        conn = raw_connect(tmp, result_key)
        try:
            _audit_raw(conn, "restore", who, source=source.name, revision=check.revision)
            # A restored office may lack Panel releases sent after its backup was made (the
            # upgrade may even have stamped it): it earns the instance back with --prior.
            conn.execute(
                "UPDATE office_setting SET value = ? WHERE key = ?",
                (RESTORED_INSTANCE, instance.INSTANCE_KEY),
            )
            conn.commit()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            final = _check_open(conn, result_key, source)
        finally:
            conn.close()
        revision = final.revision
        remove_side_files(tmp)
        fsync_file(tmp)
        mark("ready")
        previous = None
        if current is not None:
            # Refuse before the pre-restore copy while another desk has the file open, so a
            # refused restore copies and prunes nothing; checked again after the copy.
            _close_live(current, target)
            previous = current.backup_file(reason="pre-restore", keep=source)
            mark("previous")
            _close_live(current, target)
        mark("replacing")
        os.replace(tmp, target)
        fsync_folder(target.parent)
        mark("replaced")
    except BaseException:
        _remove(tmp)
        raise
    return RestoreReport(source, target, previous, revision, final.counts, result_key is not None)


def _close_live(current: Database, target: Path) -> None:
    """Fold the live file's WAL into it and close it, so that no ``-wal`` of the old file
    is left to be replayed onto the new one; refused while another desk holds it open."""
    current.dispose()
    conn = current.raw_connect(target)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    # The last connection to close removes -wal and -shm (also those a crashed desk left):
    # if they are still there, another desk has the file open.
    open_elsewhere = any(target.with_name(target.name + x).exists() for x in ("-wal", "-shm"))
    if (busy and busy[0]) or open_elsewhere:
        raise Conflict("restore_desks_open", path=str(target))


@dataclass(frozen=True)
class EncryptReport:
    path: Path
    backups: int


def encrypt(db: Database, passphrase: str, *, actor: uuid.UUID | None = None) -> EncryptReport:
    """Convert a plain SQLite file (and its backups) to SQLCipher under ``passphrase``.

    The plain file is replaced only after the encrypted copy opened and held the same rows;
    that copy carries the ``encrypt`` audit event (``actor``, else "from the command
    line"), so the database is never encrypted without it.
    """
    path = _file(db)
    if db.encrypted or is_encrypted_file(path):
        raise Conflict("already_encrypted")
    db.dispose()
    folder = paths.backup_dir(path)
    copies = sorted(folder.glob(f"{path.stem}-*.db")) if folder.is_dir() else []
    plain_copies = [c for c in copies if not is_encrypted_file(c)]

    # The encrypted file is the same database: if the plain one was the instance the Panel
    # ledger is complete on, so is the encrypted one (the rename keeps its inode).
    was_instance = _recorded_instance(path) == instance.file_identity(path)
    tmp = path.with_name(path.name + ".encrypting")

    def audited(conn: Any) -> None:
        _audit_raw(conn, "encrypt", actor, backups=len(plain_copies))
        if was_instance:
            conn.execute(
                "UPDATE office_setting SET value = ? WHERE key = ?",
                (instance.file_identity(tmp), instance.INSTANCE_KEY),
            )

    _encrypt_file(path, passphrase, before_replace=audited)
    for copy in plain_copies:
        _encrypt_file(copy, passphrase)
    return EncryptReport(path, len(plain_copies))


def _recorded_instance(path: Path) -> str | None:
    """The instance recorded in a plain SQLite file (None when there is none)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT value FROM office_setting WHERE key = ?", (instance.INSTANCE_KEY,)
        ).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return row[0] if row else None


def created_encrypted(db: Database, *, actor: uuid.UUID | None = None) -> None:
    """Audit a database created encrypted (``casework init --encrypt`` on a new file)."""
    if not db.encrypted:
        raise CaseworkError("not_encrypted")
    with db.write() as session:
        details: dict[str, Any] = {"new_database": True}
        if actor is None:
            details["via"] = COMMAND_LINE
        audit(session, Context(db, actor), "encrypt", "database", None, **details)


def _encrypt_file(
    path: Path, passphrase: str, *, before_replace: Callable[[Any], None] | None = None
) -> None:
    """``path`` encrypted in place: an owner-only ``.encrypting`` copy, checked to hold the
    same rows (then given ``before_replace``, committed), renamed over the plain file."""
    import sqlcipher3.dbapi2 as sqlcipher

    tmp = path.with_name(path.name + ".encrypting")
    _remove(tmp)
    create_empty(tmp)
    try:
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
            if before_replace is not None:
                before_replace(check)
                check.commit()
                check.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            check.close()
        remove_side_files(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    remove_side_files(path)
    fsync_folder(path.parent)


def _counts(conn: Any, tables: list[str] | None = None) -> dict[str, int]:
    """Rows per table (of ``tables``, or of every table)."""
    names = _tables(conn) if tables is None else tables
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
