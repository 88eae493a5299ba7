"""Synthetic form data for tests: every name and number is invented (casework.synthetic.forms),
and follow-ups already late, as a desk scheduled them on an earlier day."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from casework import clock
from casework.services import followups
from casework.services.context import Context
from casework.synthetic.forms import intake_data, person_data

__all__ = ["intake_data", "person_data", "schedule_follow_up"]


def schedule_follow_up(
    ctx: Context, person_id: uuid.UUID, data: Mapping[str, Any], **kwargs: Any
) -> uuid.UUID:
    """``followups.schedule``; a follow-up due before today (which the desk refuses: issue
    #14) is scheduled as on its due day, so a test can have one overdue."""
    due: dt.date = data["due_on"]
    if due >= clock.today():
        return followups.schedule(ctx, person_id, data, **kwargs)
    was = clock._frozen
    clock.freeze(dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC))
    try:
        return followups.schedule(ctx, person_id, data, **kwargs)
    finally:
        clock.freeze(was)
