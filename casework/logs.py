"""The log: a rotating file in the user log folder that never holds a person's data.

:func:`setup` is called once by the command line (the desk's start and every command);
importing casework configures nothing. Records go to ``casework.log`` (1 MiB, five old
files kept) in :func:`casework.paths.log_dir`, the folder ``0700`` and the files ``0600``,
both made at the first record.

What reaches the file is ids and codes only, whatever the caller passes:

- a traceback keeps each frame's file, line, function and code line, and the exception's
  type (and a :class:`~casework.errors.CaseworkError`'s code), but never ``str(exc)``:
  a Conflict may name a person, a pydantic error echoes the input, a SQL error carries
  its parameters;
- a message's arguments are kept only when they are numbers, ids (UUIDs), enum members,
  dates or strings marked :class:`Code`; anything else is written ``<withheld>``;
- only the ``casework`` logger writes here (SQLAlchemy's and Textual's loggers never do,
  so SQL echo with its parameters cannot land in the file).

So ``log.error("import failed for %s", person_id, exc_info=exc)`` is the shape to use;
never put a name, RUN, phone, document number or note into the message text itself.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import os
import sys
import traceback
import uuid
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from casework import paths
from casework.errors import CaseworkError
from casework.private_files import create_empty, private_dir, tighten

LOGGER = "casework"
FILE_NAME = "casework.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 5
WITHHELD = "<withheld>"


class Code(str):
    """A string safe to log as it is: a message code, a command name, a programme code.
    Plain strings passed as log arguments are withheld (they may be a person's data)."""

    __slots__ = ()


_SAFE_TYPES = (int, float, uuid.UUID, enum.Enum, dt.date, dt.time, dt.timedelta, Code)


def safe_arg(value: object) -> object:
    """``value`` if it can hold no person's data (see the module's rule), else a marker."""
    if value is None or isinstance(value, _SAFE_TYPES):
        return value
    return WITHHELD


class PrivateFormatter(logging.Formatter):
    """Formats records with their arguments screened and tracebacks without messages."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(funcName)s:%(lineno)d %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )

    def format(self, record: logging.LogRecord) -> str:
        # A copy: other handlers (pytest's capture, say) see the record untouched. The
        # cached ``exc_text`` another formatter may have left is never reused.
        safe = logging.makeLogRecord(record.__dict__)
        safe.exc_text = None
        if not isinstance(safe.msg, str):
            safe.msg = f"<{type(safe.msg).__name__}>"
        if isinstance(safe.args, dict):
            safe.args = {key: safe_arg(value) for key, value in safe.args.items()}
        elif safe.args:
            safe.args = tuple(safe_arg(value) for value in safe.args)
        try:
            safe.message = safe.getMessage()
        except (TypeError, ValueError, KeyError):
            safe.message = f"{safe.msg} {WITHHELD}"
        safe.asctime = self.formatTime(safe, self.datefmt)
        text = self.formatMessage(safe)
        if safe.exc_info and safe.exc_info[1] is not None:
            text += "\n" + self.formatException(safe.exc_info)
        if safe.stack_info:
            text += "\n" + self.formatStack(safe.stack_info)
        return text

    def formatException(self, ei: Any) -> str:
        exc = ei[1]
        if exc is None:
            return ""
        return "\n".join(describe(exc))


def describe(exc: BaseException, seen: set[int] | None = None) -> list[str]:
    """``exc``'s traceback lines (and those of its cause or context) without any
    exception's message."""
    seen = set() if seen is None else seen
    seen.add(id(exc))
    lines: list[str] = []
    if exc.__cause__ is not None and id(exc.__cause__) not in seen:
        lines += describe(exc.__cause__, seen)
        lines += ["", "The above exception was the direct cause of the following exception:", ""]
    elif (
        exc.__context__ is not None
        and not exc.__suppress_context__
        and id(exc.__context__) not in seen
    ):
        lines += describe(exc.__context__, seen)
        lines += ["", "During handling of the above exception, another exception occurred:", ""]
    lines.append("Traceback (most recent call last):")
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f'  File "{_where(frame.filename)}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines.append(kind(exc))
    if isinstance(exc, BaseExceptionGroup):
        for number, inner in enumerate(exc.exceptions, 1):
            lines.append(f"  +-- {number} --")
            lines += [f"  | {line}" for line in describe(inner, seen)]
    return lines


def kind(exc: BaseException) -> str:
    """The exception's qualified type, its casework code, and the type of the database
    error under a SQLAlchemy one: never its message."""
    text = _type_name(type(exc))
    if isinstance(exc, CaseworkError):
        text += f" [{exc.code}]"
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        text += f" (from {_type_name(type(orig))})"
    return text + " (message not logged)"


def _type_name(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _where(filename: str) -> str:
    """A frame's file relative to the import path it came from (no home folder, no user
    name in the log); a file outside it by its name alone."""
    path = os.path.abspath(filename)
    roots = sorted((os.path.abspath(p) for p in sys.path if p), key=len, reverse=True)
    for root in roots:
        if path.startswith(root + os.sep):
            return os.path.relpath(path, root)
    return os.path.basename(path)


class PrivateFileHandler(RotatingFileHandler):
    """A rotating file whose every generation is created ``0600``, and which never prints
    a failed record to stderr (logging's default would echo the record's arguments)."""

    def _open(self) -> Any:
        # Made at the first record, not at setup: a command that logs nothing leaves no
        # folder and no file behind.
        target = Path(self.baseFilename)
        private_dir(target.parent, own=True)
        if not create_empty(target):
            tighten(target)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        # A full disk or a removed folder must not break the desk, nor show anything.
        return None


def setup(level: int = logging.INFO) -> Path:
    """Send the ``casework`` loggers to the log file, whose path is returned. The folder
    and the file are made at the first record; if they cannot be, records are dropped
    quietly (casework runs without a log, as before).

    Calling it again adds no second handler; a different log folder (the tests' own)
    replaces the old handler."""
    logger = logging.getLogger(LOGGER)
    target = paths.log_dir() / FILE_NAME
    for handler in list(logger.handlers):
        if isinstance(handler, PrivateFileHandler):
            if handler.baseFilename == os.path.abspath(target):
                return target
            logger.removeHandler(handler)
            handler.close()
    handler = PrivateFileHandler(
        target, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(PrivateFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    # The file is the only place casework's records go: never a handler someone put on
    # the root logger with an ordinary formatter.
    logger.propagate = False
    return target


def reset() -> None:
    """Undo :func:`setup` (tests): handlers closed, records propagate again."""
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler, PrivateFileHandler):
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
