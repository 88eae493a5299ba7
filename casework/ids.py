"""Time-ordered UUIDs (version 7, RFC 9562) so ids from different desks never collide."""

from __future__ import annotations

import os
import threading
import time
import uuid

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
