"""Offline desks (issue #17), the push: a desk's outbox replayed on the office server.

:func:`push` sends the desk's pending commands in the desk's order. For each:

- already on the server (``sync_applied`` or ``sync_conflict`` holds its id: a push cut
  after the server applied it, before the desk heard back) -> *already*, nothing applied;
- an open conflict of this desk touches one of its records -> stored as a *waiting*
  conflict behind it (the desk's own order is never reversed);
- else replayed through the real service (services/outbox.py :func:`replay`), with the
  desk's ids. An intake runs the duplicate matcher against the server's population: a
  likely match (or a document number already on record) is applied and the pair queued
  in the duplicate queue with its reasons, never merged, never dropped (*duplicate*).
  A refusal (the per-field base check, a blocked person, a state that moved on, ...)
  becomes a ``sync_conflict`` row, audited (*conflict*); nothing of the command is written.

Then the desk's own audit rows that belong to no command (its reads) are copied to the
server with their ids. A network cut stops the push (:class:`PushInterrupted`) with what
was done so far; a later push resumes and applies nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from casework.db import Database


@dataclass
class PushSummary:
    sent: int = 0
    """Commands sent this time."""
    applied: int = 0
    already: int = 0
    """Applied by an earlier, interrupted push."""
    duplicates: int = 0
    """Intakes applied and queued as a possible duplicate."""
    conflicts: int = 0
    waiting: int = 0
    audit_rows: int = 0
    """Audit rows of the desk's reads copied to the server."""
    conflict_ids: list[str] = field(default_factory=list)


class PushInterrupted(Exception):
    """The server could not be reached part-way: ``summary`` says what got through."""

    def __init__(self, summary: PushSummary, cause: BaseException) -> None:
        self.summary = summary
        self.cause = cause
        super().__init__(str(cause))


Progress = Callable[[int, int], None]
"""``progress(done, total)`` after each command."""


def push(desk: Database, server: Database, *, progress: Progress | None = None) -> PushSummary:
    """Send the desk's pending commands to the server (see module doc)."""
    raise NotImplementedError
