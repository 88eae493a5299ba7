"""Intake form data for tests: one invented Venezuelan woman, and her intake."""

from __future__ import annotations

import datetime as dt
from typing import Any


def person_data(**overrides: Any) -> dict[str, Any]:
    """The person part of an intake form; ``overrides`` replace fields."""
    data: dict[str, Any] = {
        "given_names": "Yesenia Carolina",
        "first_surname": "Rondón",
        "second_surname": "Briceño",
        "sex": "F",
        "birth_date": dt.date(1991, 4, 17),
        "nationality": "VEN",
        "phone": "987654321",
        "commune": "13101",
        "languages": ["es"],
        "documents": [{"type": "passport", "number": "VE1234567"}],
    }
    data.update(overrides)
    return data


def intake_data(person: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A whole intake form (person, first contact, migration status)."""
    data: dict[str, Any] = {
        "person": person or person_data(),
        "contact": {"reasons": ["regularization"], "note": "Consulta por residencia temporal."},
        "status": {"status": "no_permit", "entry_authorised": False},
    }
    data.update(overrides)
    return data
