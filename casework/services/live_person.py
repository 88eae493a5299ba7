"""The live person: a person's row, unless it was merged into another."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from casework.errors import NotFound
from casework.models import Person
from casework.services.context import get_or_404
from casework.services.edits import lock


def live_person(session: Session, person_id: uuid.UUID, *, locked: bool = False) -> Person:
    """The person, unless merged into another; ``locked``: read afresh and locked until the
    write ends (:func:`casework.services.edits.lock`)."""
    if locked:
        person = lock(session, Person, person_id, "person")
    else:
        person = get_or_404(session, Person, person_id, "person")
    if person.merged_into_id is not None:
        raise NotFound("person_merged", survivor=str(person.merged_into_id))
    return person
