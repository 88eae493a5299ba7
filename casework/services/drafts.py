"""Unfinished intake forms (borradores), kept in memory per signed-in worker.

In memory on purpose: a half-typed ficha holds sensitive data that was never validated or
consented to be stored; it lives only as long as the desk program, and the desk asks
before quitting would lose one. A draft belongs to the worker who typed it: every lookup
names the worker, so after a sign-in at the same desk another worker neither sees nor
resumes it. What a draft holds (the form itself) is opaque here.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from casework import clock


@dataclass
class Draft:
    id: uuid.UUID
    worker_id: uuid.UUID
    started_at: dt.datetime
    number: int
    """1, 2, 3... in the order the desk started them: how the list names an unnamed one."""
    label: str = ""
    """The names typed so far (may be empty)."""
    form: Any = field(default=None, repr=False)


class DraftBook:
    """The desk's drafts, by worker. Thread-safe (workers run in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drafts: dict[uuid.UUID, Draft] = {}
        self._numbers = itertools.count(1)

    def start(self, worker_id: uuid.UUID, form: Any = None) -> Draft:
        with self._lock:
            draft = Draft(uuid.uuid4(), worker_id, clock.now(), next(self._numbers), form=form)
            self._drafts[draft.id] = draft
            return draft

    def mine(self, worker_id: uuid.UUID | None) -> list[Draft]:
        """The worker's drafts, the latest first; none for nobody."""
        with self._lock:
            found = [d for d in self._drafts.values() if d.worker_id == worker_id]
        return sorted(found, key=lambda d: d.number, reverse=True)

    def get(self, worker_id: uuid.UUID | None, draft_id: uuid.UUID) -> Draft | None:
        """The draft, only for the worker who typed it."""
        with self._lock:
            draft = self._drafts.get(draft_id)
        return draft if draft is not None and draft.worker_id == worker_id else None

    def discard(self, worker_id: uuid.UUID | None, draft_id: uuid.UUID) -> Draft | None:
        """Forget the worker's draft (saved, or thrown away on purpose); None if not theirs."""
        with self._lock:
            draft = self._drafts.get(draft_id)
            if draft is None or draft.worker_id != worker_id:
                return None
            return self._drafts.pop(draft_id)

    def all(self) -> list[Draft]:
        """Every worker's drafts (what quitting the desk would lose)."""
        with self._lock:
            return list(self._drafts.values())
