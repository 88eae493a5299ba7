"""Time-ordered UUIDs (version 7, RFC 9562) so ids from different desks never collide."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_entropy = b""
_ENTROPY_BATCH = 8 * 512


def uuid7() -> uuid.UUID:
    """A UUIDv7: 48-bit Unix milliseconds, then a 12-bit counter and random bits.

    The counter keeps ids monotonic within one process even inside one millisecond,
    so rows inserted in a burst (the demo generator) still sort in creation order.
    """
    global _last_ms, _counter, _entropy
    with _lock:
        if len(_entropy) < 10:
            _entropy = os.urandom(_ENTROPY_BATCH)
        seed, _entropy = _entropy[:10], _entropy[10:]
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _counter = int.from_bytes(seed[8:], "big") & 0x3FF
        counter = _counter
    rand = int.from_bytes(seed[:8], "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand
    return uuid.UUID(int=value)


class Uuid7Sequence:
    """Many UUIDv7s fast, for bulk loads: one timestamp, then a 74-bit counter that starts
    at a random value, so the ids stay unique, valid version-7 and in creation order."""

    def __init__(self) -> None:
        self._ms = time.time_ns() // 1_000_000
        self._next = int.from_bytes(os.urandom(10), "big") >> 8

    def __call__(self) -> uuid.UUID:
        n = self._next
        self._next = n + 1
        hi, lo = (n >> 62) & 0xFFF, n & ((1 << 62) - 1)
        return uuid.UUID(int=(self._ms << 80) | (0x7 << 76) | (hi << 64) | (0b10 << 62) | lo)

    def hex(self) -> str:
        """The next id as 32 hex digits (how SQLAlchemy stores a UUID on SQLite)."""
        n = self._next
        self._next = n + 1
        hi, lo = (n >> 62) & 0xFFF, n & ((1 << 62) - 1)
        return f"{(self._ms << 80) | (0x7 << 76) | (hi << 64) | (0b10 << 62) | lo:032x}"


# The ids of one offline-desk command (issue #17) ----------------------------------------


class IdPlan:
    """The ids one service command creates, by key, so the office server gives its rows
    the ids the desk gave them.

    A row's key is its table and its place among that table's new rows in the command
    (``case#0``, ``contact#0``), and for an audit row its action, entity and entity id
    (``audit_event:create:contact:<id>#0``): keyed by kind, not by overall creation order,
    so a server that skips a row the desk made (an open case it already has) still hands
    every other row its desk id. On the desk (``given`` empty) each new id is recorded;
    on the server a planned key takes its id, and a row the desk never made gets a new one.
    """

    def __init__(self, given: dict[str, str] | None = None) -> None:
        self.given = dict(given or {})
        self.made: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def take(self, table: str, params: dict[str, object] | None) -> uuid.UUID:
        base = table
        if table == "audit_event" and params is not None:
            base = (
                f"{table}:{params.get('action')}:{params.get('entity')}:{params.get('entity_id')}"
            )
        n = self._counts.get(base, 0)
        self._counts[base] = n + 1
        key = f"{base}#{n}"
        planned = self.given.get(key)
        new = uuid.UUID(planned) if planned is not None else uuid7()
        self.made[key] = str(new)
        return new


_plan: ContextVar[IdPlan | None] = ContextVar("casework_id_plan", default=None)


@contextmanager
def planned(plan: IdPlan | None) -> Iterator[IdPlan | None]:
    """Within this block, new rows take their ids from ``plan`` (None: plain UUIDv7s)."""
    token = _plan.set(plan)
    try:
        yield plan
    finally:
        _plan.reset(token)


def row_id(context: Any) -> uuid.UUID:
    """The id column's default: a UUIDv7, or the planned id inside :func:`planned`."""
    plan = _plan.get()
    if plan is None or context is None:
        return uuid7()
    column = getattr(context, "current_column", None)
    table = column.table.name if column is not None else "?"
    params = getattr(context, "current_parameters", None)
    if table == "audit_event" and params is not None:
        entity_id = params.get("entity_id")
        params = {
            "action": params.get("action"),
            "entity": params.get("entity"),
            "entity_id": _hex(entity_id),
        }
    return plan.take(table, params)


def _hex(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value.hex
    return str(value).replace("-", "")
