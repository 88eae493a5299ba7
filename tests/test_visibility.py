"""Extra-sensitive facts (an expulsion order; violence, trafficking, unaccompanied child)
reach only supervisors, admins and the worker whose case it is."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from casework.db import Database
from casework.errors import NotAllowed
from casework.models import Case
from casework.services import person_file, persons, rights, staff
from casework.services.context import Context
from casework.services.schemas import WorkerOut

from .factories import intake_data


def test_an_unassigned_worker_does_not_see_the_flags_the_supervisor_does(
    ctx: Context, database: Database, admin: WorkerOut, supervisor: WorkerOut
) -> None:
    person_id = persons.register_intake(ctx, intake_data()).person_id
    persons.change_status(ctx, person_id, {"status": "no_permit", "expulsion_order": True})
    with database.write() as s:
        case = s.scalars(sa.select(Case).where(Case.person_id == person_id)).one()
        case.flags = ["violence", "children", "trafficking"]
    other = staff.create_worker(
        Context(database, admin.id),
        {"username": "otra", "full_name": "Otra Persona", "programme_code": "OFMIG"},
    )

    def seen(who: uuid.UUID | None) -> tuple[list[str], bool | None]:
        detail = person_file.get_person(Context(database, who), person_id, reason="duplicate_check")
        return detail.cases[0].flags, detail.statuses[-1].expulsion_order

    assert seen(supervisor.id) == (["violence", "children", "trafficking"], True)
    assert seen(admin.id) == (["violence", "children", "trafficking"], True)
    assert seen(ctx.actor_id) == (["violence", "children", "trafficking"], True)  # her case
    assert seen(other.id) == (["children"], None)  # hidden, not "no order"
    # Nobody signed in reads nothing of the file, not even without the sensitive facts.
    with pytest.raises(NotAllowed) as refused:
        seen(None)
    assert refused.value.code == "no_actor"

    # The person's own access request still gives them everything on record.
    sup = Context(database, supervisor.id)
    req = rights.register(sup, {"person_id": person_id, "kind": "access"})
    rights.confirm_identity(sup, req.id)
    data, _ = rights.answer_access(sup, req.id)
    assert data["person"]["statuses"][-1]["expulsion_order"] is True
