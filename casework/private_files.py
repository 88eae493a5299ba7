"""Files and folders only their owner reads (issue #12 point 4).

Everything casework writes to disk (databases and their ``-wal``/``-shm``, backups,
restore and conversion copies, exports, rights answers) is created ``0600``, and every
folder it creates ``0700``: on an office PC shared by several accounts no other account
reads a database, a backup or an export. SQLite gives ``-wal``, ``-shm`` and
``-journal`` files the permissions of their database, so a database created here keeps
its side files private too.

The same holds whatever the process umask is: modes are set explicitly, never left to
the umask. On Windows (``os.name == "nt"``) POSIX modes mean nothing; nothing is checked
and nothing is changed there beyond creating the files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
POSIX = os.name != "nt"
_BINARY = getattr(os, "O_BINARY", 0)


def private_dir(path: Path, *, own: bool = False) -> Path:
    """``path`` as a folder: it and every missing parent created ``0700``.

    An existing folder is left as it is (a folder the user chose, their Desktop say),
    unless ``own``: a folder casework itself made (the data folder, a backups folder),
    which is tightened to ``0700`` if it had drifted."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # another process made it first
        _chmod(folder, DIR_MODE)
    if own and not missing:
        tighten(path)
    return path


def tighten(path: Path) -> None:
    """Take group and others' access away from an existing file or folder (one an older
    casework left ``0644``/``0755``). Quietly nothing if it is missing or not ours."""
    if not POSIX:
        return
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if current & 0o077:
        _chmod(path, current & 0o700)


def _chmod(path: Path, mode: int) -> None:
    if not POSIX:
        return
    # Not ours (another account's file we may write): nothing to tighten.
    with contextlib.suppress(OSError):
        os.chmod(path, mode)


def create_empty(path: Path) -> bool:
    """Create ``path`` as an empty ``0600`` file if it does not exist yet (before SQLite
    opens it, so that SQLite's own ``0644`` never applies). True if it was created here."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, FILE_MODE)
    except FileExistsError:
        return False
    try:
        if POSIX:
            os.fchmod(fd, FILE_MODE)  # whatever the umask
    finally:
        os.close(fd)
    return True


def open_private(path: Path) -> int:
    """A descriptor open for writing on ``path``, created ``0600`` or truncated; a file
    that was already there is tightened to ``0600`` before anything is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _BINARY, FILE_MODE)
    if POSIX:
        try:
            os.fchmod(fd, FILE_MODE)
        except OSError:
            os.close(fd)
            raise
    return fd


def write_private(path: Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8 with ``\\n`` line ends) to ``path``, owner only."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with os.fdopen(open_private(path), "wb") as out:
        out.write(raw)
    return path


def copy_private(source: Path, dest: Path) -> Path:
    """A byte copy of ``source`` at ``dest``, owner only (``shutil.copyfile`` would give
    the umask's ``0644``)."""
    with source.open("rb") as src, os.fdopen(open_private(dest), "wb") as out:
        shutil.copyfileobj(src, out, 1024 * 1024)
    return dest


def readable_by_others(path: Path | int) -> bool:
    """A key or password file other accounts may read (group or others' read bit); never
    on Windows. ``path`` may be an open descriptor (no race between check and read)."""
    if not POSIX:
        return False
    mode = os.fstat(path).st_mode if isinstance(path, int) else path.stat().st_mode
    return bool(stat.S_IMODE(mode) & 0o044)
