"""The database: URL resolution, engine and sessions, SQLite pragmas, migrations, backups.

Nothing here runs at import time; the CLI and the tests build a :class:`Database` through
:func:`open_database`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from casework import paths
from casework.private_files import create_empty, private_dir, readable_by_others, tighten

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from casework.errors import Busy

ENV_URL = "CASEWORK_DATABASE_URL"
ENV_PASSPHRASE = "CASEWORK_PASSPHRASE"
"""For unattended use (scheduled backups): the passphrase of an encrypted database."""
BUSY_TIMEOUT_MS = 10_000
BACKUPS_KEPT = 10
SQLITE_MAGIC = b"SQLite format 3\x00"


class DatabaseError(Exception):
    """A database problem a user can act on (bad path, unreachable server, ...)."""


class DatabaseProblem(DatabaseError):
    """A :class:`DatabaseError` with a message code, translated when shown."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    def __str__(self) -> str:
        from casework.i18n import t

        return t(f"error.{self.code}", **self.params)


_BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
"""PostgreSQL: serialization failure, deadlock detected, lock not available."""
_BUSY_TEXTS = ("database is locked", "database table is locked", "database is busy")


def busy_error(exc: BaseException) -> Busy | None:
    """The casework error for a write that lost its wait for a lock (SQLite's busy timeout
    with another process holding the write lock, a PostgreSQL lock timeout, deadlock or
    serialization failure); None for any other error."""
    from casework.errors import Busy

    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _BUSY_SQLSTATES:
        return Busy()
    if type(orig).__name__ == "OperationalError" and str(orig).lower().startswith(_BUSY_TEXTS):
        return Busy()
    return None


@contextmanager
def _busy_as_casework_error() -> Iterator[None]:
    try:
        yield
    except sa.exc.DBAPIError as exc:
        busy = busy_error(exc)
        if busy is None:
            raise
        raise busy from exc


class EncryptionError(DatabaseProblem):
    """An encrypted database that cannot be opened as asked; the message is translated."""


PassphrasePrompt = Callable[[Path], str | None]
_prompt: list[PassphrasePrompt] = []


def set_passphrase_prompt(prompt: PassphrasePrompt | None) -> None:
    """How to ask for the passphrase of an encrypted file when none was given (the CLI
    installs a terminal prompt; the tests and unattended runs install nothing)."""
    _prompt.clear()
    if prompt is not None:
        _prompt.append(prompt)


FileKind = Literal["missing", "folder", "empty", "sqlite", "encrypted", "foreign"]


def file_kind(path: Path) -> FileKind:
    """What a file looks like from its bytes alone, before anyone opens it.

    - ``sqlite``: it starts with SQLite's plain header ``SQLite format 3\\0``.
    - ``encrypted``: it could be SQLCipher. An SQLCipher file is a whole number of pages
      (a multiple of 512 bytes) and, from its first byte (the salt) on, looks random:
      nearly every one of the 256 byte values appears in its first page.
    - ``foreign``: anything else (text, another program's file, a cut-off copy): neither
      SQLite nor SQLCipher, whatever key is tried.

    Random bytes of the right length still look ``encrypted``: only a key tells those
    apart from SQLCipher, and then only as "this key does not open it".
    """
    try:
        if path.is_dir():
            return "folder"
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "foreign"
    if not head:
        return "empty"
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if size % 512 or len(head) < 512:
        return "foreign"
    expected = 256 * (1 - (255 / 256) ** len(head))
    return "encrypted" if len(set(head)) >= 0.8 * expected else "foreign"


def is_encrypted_file(path: Path) -> bool:
    """A file that looks like SQLCipher (see :func:`file_kind`)."""
    return file_kind(path) == "encrypted"


def read_passphrase_file(path: str | Path) -> str:
    """The passphrase in ``path``; refused (nothing opened) if other accounts of this
    computer may read the file: a key anyone can read protects nothing."""
    try:
        with Path(path).open("rb") as fh:
            if readable_by_others(fh.fileno()):
                raise EncryptionError("secret_file_open", path=str(path))
            data = fh.read()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise EncryptionError("passphrase_file_unreadable", path=str(path)) from None
    return text.rstrip("\r\n")


_QUIET = "PRAGMA cipher_log_level = NONE"
"""A wrong key gets our one-line message, not SQLCipher's log on stderr."""


def _key_pragma(passphrase: str) -> str:
    # PRAGMA takes no bound parameters: quote as an SQL string literal.
    return "PRAGMA key = '" + passphrase.replace("'", "''") + "'"


def raw_connect(path: Path, passphrase: str | None = None) -> Any:
    """A DB-API connection to a SQLite file outside the engine (backups, conversion)."""
    if passphrase is None:
        return sqlite3.connect(path)
    import sqlcipher3.dbapi2 as sqlcipher

    conn = sqlcipher.connect(str(path))
    conn.execute(_QUIET)
    conn.execute(_key_pragma(passphrase))
    return conn


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


CACHE_KIB = -65536
"""SQLite's page cache per connection (negative: KiB), 64 MB instead of its 2 MB default:
an import's index inserts into person_key (and a search's look-ups) stay in memory up to
about 100,000 persons instead of re-reading the same pages. Only what is used is taken."""


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin): pysqlite's own handling
    # would start transactions late and break IMMEDIATE writes.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute(f"PRAGMA cache_size = {CACHE_KIB}")
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

    def __init__(self, url: str, *, echo: bool = False, passphrase: str | None = None) -> None:
        self.url = sa.make_url(url)
        if self.url.password and self.url.get_backend_name() == "sqlite":
            raise DatabaseProblem("url_with_passphrase")
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        path = self.file_path
        if self.is_sqlite:
            if path is not None:
                if path.exists() and path.is_dir():
                    raise DatabaseProblem("db_is_folder", path=str(path))
                private_dir(path.parent, own=paths.is_own_folder(path.parent))
                _tighten_database(path)
                kind = file_kind(path)
                if kind == "foreign":
                    raise DatabaseProblem("not_a_database", path=str(path))
                if passphrase is None and kind == "encrypted":
                    passphrase = ask_passphrase(path)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
            if passphrase is not None:
                import sqlcipher3.dbapi2 as sqlcipher

                kwargs["module"] = sqlcipher
        else:
            kwargs["pool_pre_ping"] = True
        self._passphrase = passphrase
        """Kept in memory only: never in the URL, a log or a file."""
        self.engine = sa.create_engine(self.url, **kwargs)
        if self.is_sqlite:
            if passphrase is not None:
                pragma = _key_pragma(passphrase)

                def _set_key(dbapi_conn: Any, _record: Any) -> None:
                    dbapi_conn.execute(_QUIET)
                    dbapi_conn.execute(pragma)

                # The key must be the very first statement on every new connection.
                event.listen(self.engine, "connect", _set_key, insert=True)
            if path is not None:
                file = path

                def _create_private(*_: Any) -> None:
                    # SQLite would create a missing file 0644 (and its -wal/-shm like it).
                    create_empty(file)

                event.listen(self.engine, "do_connect", _create_private)
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
            if passphrase is not None:
                self._check_key()
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self._write = sessionmaker(write_engine, expire_on_commit=False)

    @property
    def encrypted(self) -> bool:
        return self._passphrase is not None

    def _check_key(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        except sa.exc.DatabaseError:
            self.engine.dispose()
            raise EncryptionError("wrong_passphrase") from None

    def raw_connect(self, path: Path | None = None) -> Any:
        """A DB-API connection to this database's file (or another with the same key)."""
        target = path or self.file_path
        if target is None:
            raise EncryptionError("not_sqlite")
        return raw_connect(target, self._passphrase)

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
        """One transaction for one user action: committed on success, rolled back on error.
        A write that waited past the lock timeout raises :class:`casework.errors.Busy`."""
        try:
            with _busy_as_casework_error(), self._write.begin() as session:
                yield session
        except StaleDataError:
            # A row changed by another desk since this transaction read it (its version
            # moved on): nothing was written.
            from casework.errors import EditConflict

            raise EditConflict(code="record_changed") from None

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _busy_as_casework_error(), self._read() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    # Migrations -------------------------------------------------------------------------

    # alembic loads only where a migration runs: a command on a current schema reads the
    # version table and the migration files' revision lines (their head) without it.

    def alembic_config(self) -> Config:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", "casework:migrations")
        cfg.set_main_option("sqlalchemy.url", self.url.render_as_string(hide_password=False))
        return cfg

    def current_revision(self) -> str | None:
        """The schema's revision in alembic's version table (None: no casework schema)."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(VERSION_TABLE):
                return None
            found = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
        if len(found) > 1:  # branches, which casework never has: alembic tells what is wrong
            from alembic.runtime.migration import MigrationContext

            with self.engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        return str(found[0][0]) if found else None

    def head_revision(self) -> str | None:
        return head_revision()

    def needs_upgrade(self) -> bool:
        return self.current_revision() != self.head_revision()

    def upgrade(self, *, backup: bool = True) -> UpgradeReport:
        """Bring the schema to the newest revision, copying an existing SQLite file first."""
        try:
            before = self.current_revision()
            head = self.head_revision()
        except sa.exc.OperationalError as exc:
            raise DatabaseProblem(
                "db_cannot_open", url=self.describe(), reason=str(exc.orig)
            ) from exc
        if before == head:
            return UpgradeReport(before, head, None)
        copy = None
        if backup and before is not None:
            copy = self.backup_file(reason=f"pre-{head}")
        from alembic import command

        cfg = self.alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return UpgradeReport(before, self.current_revision(), copy)

    def backup_file(
        self, reason: str = "manual", dest: Path | None = None, *, keep: Path | None = None
    ) -> Path | None:
        """A consistent copy of the SQLite file (online backup API). In the backups folder
        only the newest few are kept, never ``keep`` (the backup being restored); a copy
        written elsewhere (``dest``) prunes nothing."""
        src = self.file_path
        if src is None or not src.exists():
            return None
        prune = dest is None
        if dest is None:
            folder = private_dir(paths.backup_dir(src), own=True)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            dest = folder / f"{src.stem}-{stamp}-{reason}.db"
        private_dir(dest.parent)
        tmp = dest.with_name(dest.name + ".part")
        tmp.unlink(missing_ok=True)
        create_empty(tmp)
        # The online backup API copies a consistent snapshot while other desks keep writing;
        # an encrypted database gives an encrypted copy under the same key.
        source = self.raw_connect(src)
        target = self.raw_connect(tmp)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        fsync_file(tmp)
        os.replace(tmp, dest)
        fsync_folder(dest.parent)
        if prune:
            _prune_backups(dest.parent, src.stem, keep)
        return dest


def _prune_backups(folder: Path, stem: str, keep: Path | None = None) -> None:
    copies = sorted(folder.glob(f"{stem}-*.db"))
    for kept in copies[-BACKUPS_KEPT:]:
        tighten(kept)  # copies an older casework left readable by all
    for old in copies[:-BACKUPS_KEPT]:
        if keep is not None and old.resolve() == keep.resolve():
            continue
        old.unlink(missing_ok=True)


SIDE_FILES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database while it is open or mid-transaction."""


def remove_side_files(path: Path) -> None:
    """Remove what SQLite left beside ``path`` (``-wal``, ``-shm``, ``-journal``)."""
    for suffix in SIDE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _tighten_database(path: Path) -> None:
    """A database file (and its side files) an older casework created ``0644``: owner only."""
    for suffix in ("", *SIDE_FILES):
        tighten(path.with_name(path.name + suffix))


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def script_directory() -> ScriptDirectory:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "casework:migrations")
    return ScriptDirectory.from_config(cfg)


VERSION_TABLE = "alembic_version"
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r"^(down_)?revision(?:: [^=]+)? = (None|'\w+'|\"\w+\")$", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest migration, read from the files' ``revision``/``down_revision`` lines
    (alembic's own way loads alembic and imports every migration); alembic's answer when
    the files do not make one plain line of revisions."""
    links: dict[str, str | None] = {}
    for path in MIGRATIONS.glob("*.py"):
        if path.name == "__init__.py":
            continue
        found = {
            bool(down): None if value == "None" else value.strip("'\"")
            for down, value in _REVISION.findall(path.read_text(encoding="utf-8"))
        }
        revision = found.get(False)
        if revision is None or True not in found or revision in links:
            return script_directory().get_current_head()
        links[revision] = found[True]
    heads = set(links) - set(links.values())
    if len(heads) != 1:
        return script_directory().get_current_head()
    return heads.pop()


def ask_passphrase(path: Path) -> str:
    """The passphrase of an encrypted file: the environment, else the installed prompt."""
    env = os.environ.get(ENV_PASSPHRASE)
    if env:
        return env
    for prompt in _prompt:
        given = prompt(path)
        if given:
            return given
    raise EncryptionError("passphrase_required")


def open_database(
    db: str | None = None,
    *,
    upgrade: bool = True,
    echo: bool = False,
    passphrase: str | None = None,
) -> Database:
    """The one factory the CLI, the app and the tests use. An encrypted SQLite file takes
    ``passphrase``, else ``CASEWORK_PASSPHRASE``, else the installed prompt."""
    database = Database(resolve_url(db), echo=echo, passphrase=passphrase)
    if upgrade:
        database.upgrade()
    return database


# A desk file open in the app (issue #17) --------------------------------------------------

IN_USE_SUFFIX = ".inuse"


def _lock_file(path: Path, exclusive: bool) -> int | None:
    """An advisory lock on ``<file>.inuse`` (POSIX ``flock``; elsewhere no lock): the fd
    holding it, or None where there is no locking. Raises BlockingIOError when taken."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks
        return None
    fd = os.open(str(path) + IN_USE_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise
    return fd


def refuse_while_replaced(path: Path) -> None:
    """Before the app opens a desk file: refused (``DatabaseProblem("desk_syncing")``)
    while ``casework sync`` is replacing it -- what the app wrote into the old file would
    be lost with it."""
    try:
        fd = _lock_file(path, exclusive=False)
    except BlockingIOError:
        raise DatabaseProblem("desk_syncing", path=str(path)) from None
    release(fd)


def hold_open(path: Path) -> int | None:
    """Mark a database file as open in the app for as long as the process runs (a shared
    lock: several windows may have it open; ``casework sync`` waits for none of them)."""
    try:
        return _lock_file(path, exclusive=False)
    except BlockingIOError:  # a sync is replacing it right now: the app opened the old file
        return None


def release(fd: int | None) -> None:
    """Give up what :func:`hold_open` took (the app closing)."""
    if fd is not None:
        os.close(fd)


@contextmanager
def not_open_elsewhere(path: Path) -> Iterator[None]:
    """While a sync replaces a desk file: refused (``DatabaseProblem("desk_in_use")``)
    when the app has the file open, which would go on writing to the replaced file."""
    try:
        fd = _lock_file(path, exclusive=True)
    except BlockingIOError:
        raise DatabaseProblem("desk_in_use", path=str(path)) from None
    try:
        yield
    finally:
        release(fd)
