"""Synthetic form data for tests: every name and number is invented (casework.synthetic.forms)."""

from __future__ import annotations

from casework.synthetic.forms import intake_data, person_data

__all__ = ["intake_data", "person_data"]
