"""Chilean RUN/RUT: normalisation, the modulo-11 check digit, display format."""

from __future__ import annotations

from casework.text import alnum_upper


def check_digit(body: str) -> str:
    """The check digit of a RUN body (digits only): weights 2..7 from the right, mod 11."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (2 + i % 6)
    r = 11 - total % 11
    return {11: "0", 10: "K"}.get(r, str(r))


def split(text: str) -> tuple[str, str] | None:
    """(body, digit) from a typed RUN ("12.345.678-5", "123456785", "CL12345678-5"), or None."""
    compact = alnum_upper(text)
    if compact.startswith("CL"):
        compact = compact[2:]
    if len(compact) < 2:
        return None
    body, digit = compact[:-1].lstrip("0"), compact[-1]
    if not body.isdigit() or len(body) > 9 or not (digit.isdigit() or digit == "K"):
        return None
    return body, digit


def is_valid(text: str) -> bool:
    parts = split(text)
    return parts is not None and check_digit(parts[0]) == parts[1]


def canonical(text: str) -> str:
    """ "12345678-5"; raises ValueError when the text is not a RUN with a correct check digit."""
    parts = split(text)
    if parts is None:
        raise ValueError("not a RUN")
    body, digit = parts
    if check_digit(body) != digit:
        raise ValueError("wrong check digit")
    return f"{body}-{digit}"


def display(canonical_run: str) -> str:
    """ "12.345.678-5" for people to read."""
    body, _, digit = canonical_run.partition("-")
    groups: list[str] = []
    while body:
        groups.insert(0, body[-3:])
        body = body[:-3]
    return ".".join(groups) + "-" + digit
