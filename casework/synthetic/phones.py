"""Chilean mobile numbers of synthetic people, and the ways desks type them."""

from __future__ import annotations

import random


def mobile(rng: random.Random) -> str:
    """A Chilean mobile number in E.164: "+569" and eight digits."""
    return f"+569{rng.randint(10_000_000, 99_999_999)}"


def typed(e164: str, rng: random.Random) -> str:
    """The number as a desk wrote it: E.164, the nine local digits, or spaced."""
    style = rng.random()
    local = e164[3:]
    if style < 0.4:
        return e164
    if style < 0.7:
        return local
    return f"{local[0]} {local[1:5]} {local[5:]}"
