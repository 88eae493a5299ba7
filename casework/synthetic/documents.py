"""Identity-document numbers of synthetic people."""

from __future__ import annotations

from functools import cache

from casework import refdata, rut


def run_text(body: int | str) -> str:
    """A RUN (or IPE) as the registry writes it, with its true check digit: "24000017-5"."""
    digits = str(body)
    return f"{digits}-{rut.check_digit(digits)}"


@cache
def alpha2(alpha3: str) -> str:
    """The country's two letters, as passport numbers often start (Chile: CL, not CH)."""
    found = refdata.country(alpha3)
    return found.alpha2 if found is not None else alpha3[:2]
