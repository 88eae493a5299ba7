"""Person-level facts: the only input of the disclosure package.

The type carries no name, document, phone, address, free text or date, so none of them can
reach an export. The service that builds these facts from the database is the only place
identifying data could enter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the export needs to know about one person served in the period."""

    key: str
    """Opaque per-person key (e.g. an HMAC of the record id); used to count each person
    once, never exported."""
    nationality: str | None
    """ISO 3166-1 alpha-3 code, or None."""
    sex: str | None
    """``"F"``, ``"M"``, ``"X"`` or None."""
    age: int | None
    """Whole years at the end of the period, or None."""
    status: str | None
    """Migration status key (see ``codebook.STATUS_MAP``), or None."""
    commune: str | None
    """5-digit CUT code of the commune of residence, or None."""
    referrals: tuple[tuple[str, str], ...] = ()
    """``(service_area, outcome_group)`` per referral in the period."""
    excluded: bool = False
    """The person asked to be left out of statistics: changes no count."""
